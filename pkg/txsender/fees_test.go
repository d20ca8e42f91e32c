package txsender

import (
	"math/big"
	"testing"
)

func TestBump(t *testing.T) {
	for _, tc := range []struct{ in, want int64 }{{0, 1}, {1, 2}, {8, 9}, {1000, 1125}, {1001, 1127}, {2_000_000_000, 2_250_000_000}} {
		if got := bump(big.NewInt(tc.in)); got.Int64() != tc.want {
			t.Errorf("bump(%d) = %s, want %d", tc.in, got, tc.want)
		}
	}
}

func TestReplacementFees(t *testing.T) {
	g := func(v int64) *big.Int { return big.NewInt(v) }
	tests := []struct {
		name                                  string
		oldTip, oldCap, tip, cap, maxTip, max int64
		wantTip, wantCap                      int64
		ok                                    bool
	}{
		{"raise by 12.5%", 100, 1000, 100, 1000, 10_000, 10_000, 113, 1125, true},
		{"market went up", 100, 1000, 500, 3000, 10_000, 10_000, 500, 3000, true},
		{"market tip up, cap keeps headroom", 100, 1000, 400, 1300, 10_000, 10_000, 400, 1300, true},
		{"capped by max fee", 100, 1000, 100, 1000, 10_000, 1100, 113, 1100, false},
		{"capped by max tip", 100, 1000, 100, 1000, 105, 10_000, 105, 1125, false},
		{"was capped, limit raised", 100, 100, 2_000_000, 5_000_000, 3_000_000, 10_000_000, 2_000_000, 5_000_000, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tip, feeCap, ok := replacementFees(g(tc.oldTip), g(tc.oldCap), g(tc.tip), g(tc.cap), g(tc.maxTip), g(tc.max))
			if ok != tc.ok || (ok && (tip.Int64() != tc.wantTip || feeCap.Int64() != tc.wantCap)) {
				t.Fatalf("got %s %s %v, want %d %d %v", tip, feeCap, ok, tc.wantTip, tc.wantCap, tc.ok)
			}
			if tip.Cmp(feeCap) > 0 {
				t.Fatalf("tip %s above fee cap %s", tip, feeCap)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	for msg, want := range map[string]broadcastResult{
		"already known": sentOK,
		"nonce too low: next nonce 5, tx nonce 4":    sentNonceUsed,
		"replacement transaction underpriced":        sentRefused,
		"insufficient funds for gas * price + value": sentRefused,
	} {
		if got := classify(errString(msg)); got != want {
			t.Errorf("classify(%q) = %d, want %d", msg, got, want)
		}
	}
	if classify(nil) != sentOK {
		t.Error("nil error is not sentOK")
	}
}

type errString string

func (e errString) Error() string { return string(e) }
