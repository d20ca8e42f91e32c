package ethnode_test

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/rpc"

	"paysuite/pkg/ethnode"
)

// Head serves a read for MaxAge while blocks are mined (an older head is
// still a lower bound), reads again past it, and keeps the last value read
// when the node stops answering; with nothing read yet, that is an error.
func TestHeadIsNeverAhead(t *testing.T) {
	chain := startChain(t, "127.0.0.1:0")
	c, err := rpc.DialContext(t.Context(), chain.HTTPURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cached := &ethnode.Head{Client: c, MaxAge: time.Hour}
	fresh := &ethnode.Head{Client: c, MaxAge: 0}
	first, err := cached.Number(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := chain.Mine(3); err != nil {
		t.Fatal(err)
	}
	if n, err := fresh.Number(t.Context()); err != nil || n != first+3 {
		t.Fatalf("past MaxAge: %d, %v; want %d", n, err, first+3)
	}
	if err := chain.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		head *ethnode.Head
		want uint64
		ok   bool
	}{
		{"cached within MaxAge", cached, first, true},
		{"node gone: the last read", fresh, first + 3, true},
		{"node gone, nothing read", &ethnode.Head{Client: c}, 0, false},
	}
	for _, tc := range tests {
		n, err := tc.head.Number(t.Context())
		if (err == nil) != tc.ok || n != tc.want {
			t.Errorf("%s: %d, %v; want %d, ok=%v", tc.name, n, err, tc.want, tc.ok)
		}
	}
}
