package witness_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rpc"

	"paysuite/pkg/events"
	"paysuite/pkg/witness"
	"paysuite/pkg/witness/witnesstest"
)

const depth = 3

// TestConfirm checks real transfers, and claims about them that are false in
// one field each, against the development chain.
func TestConfirm(t *testing.T) {
	chain := witnesstest.Start(t)
	a, b := witnesstest.Address("a"), witnesstest.Address("b")
	evs := chain.Pay([]common.Address{a, b, a}, []int64{1_500_000, 2_000_000, 3})
	w := chain.Witness(depth)
	confirmed := func(i int) events.Transfer { return witnesstest.Confirmed(evs[i], depth) }

	if _, err := w.Confirm(t.Context(), []events.Transfer{confirmed(0)}); err == nil || isRefuted(err) {
		t.Fatalf("one block deep: %v, want a transient error", err)
	}
	chain.Mine(depth - 1)
	head, err := w.Confirm(t.Context(), []events.Transfer{confirmed(0), confirmed(1), confirmed(2)})
	if err != nil || head != evs[0].BlockNumber+depth-1 {
		t.Fatalf("genuine transfers: head %d, %v", head, err)
	}

	other := chain.Pay([]common.Address{b}, []int64{7})[0]
	chain.Mine(depth - 1)
	cases := []struct {
		name   string
		reason string
		change func(*events.Transfer)
	}{
		{"a transaction not on chain", "no receipt", func(e *events.Transfer) { e.TxHash = "0x" + strings.Repeat("ab", 32) }},
		{"a changed amount", "another amount", func(e *events.Transfer) { e.Amount = "1500001" }},
		{"a changed log_index", "another amount", func(e *events.Transfer) { e.LogIndex = evs[2].LogIndex }},
		{"a log_index the transaction lacks", "no log 99", func(e *events.Transfer) { e.LogIndex = 99 }},
		{"a changed recipient", "pays another address", func(e *events.Transfer) { e.To = strings.ToLower(b.Hex()) }},
		{"a changed sender", "another sender", func(e *events.Transfer) { e.From = strings.ToLower(a.Hex()) }},
		{"another block hash", "canonical block", func(e *events.Transfer) { e.BlockHash = other.BlockHash }},
		{"another block", "is in block", func(e *events.Transfer) { e.BlockNumber, e.BlockHash = other.BlockNumber, other.BlockHash }},
		{"another token contract", "token contract", func(e *events.Transfer) { e.Token = strings.ToLower(a.Hex()) }},
		{"other decimals", "decimals", func(e *events.Transfer) { e.Decimals = 18 }},
		{"another chain", "another chain", func(e *events.Transfer) { e.Chain = "BSC" }},
		{"a malformed hash", "tx_hash", func(e *events.Transfer) { e.TxHash = "0x12" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := confirmed(0)
			c.change(&ev)
			// Alone, and among genuine transfers.
			for _, batch := range [][]events.Transfer{{ev}, {confirmed(1), ev, confirmed(2)}} {
				_, err := w.Confirm(t.Context(), batch)
				var r *witness.Refuted
				if !errors.As(err, &r) || !strings.Contains(r.Reason, c.reason) {
					t.Fatalf("%d transfers: %v, want a refutation saying %q", len(batch), err, c.reason)
				}
			}
		})
	}

	transient := []struct {
		name  string
		ev    events.Transfer
		node  witness.Node
		depth uint64
	}{
		{"a block the node has not reached", func() events.Transfer {
			ev := confirmed(0)
			ev.BlockNumber += 1000
			return ev
		}(), chain.RPC, depth},
		{"a node not deep enough", confirmed(0), chain.RPC, 1000},
		{"an unreachable node", confirmed(0), unreachable(t), depth},
	}
	for _, c := range transient {
		t.Run(c.name, func(t *testing.T) {
			w := *w
			w.Node, w.Confirmations = c.node, c.depth
			if _, err := w.Confirm(t.Context(), []events.Transfer{c.ev}); err == nil || isRefuted(err) {
				t.Fatalf("%v, want a transient error", err)
			}
		})
	}
}

// TestOneRoundTrip: a batch of transfers, whatever their number, costs one
// JSON-RPC batch: the head, one receipt per transaction, one header per block.
func TestOneRoundTrip(t *testing.T) {
	chain := witnesstest.Start(t)
	to, amounts := payees(50)
	evs := chain.Pay(to[:40], amounts[:40])
	evs = append(evs, chain.Pay(to[40:], amounts[40:])...)
	evs = mineConfirmed(chain, evs)
	node := &countingNode{Node: chain.RPC}
	w := chain.Witness(depth)
	w.Node = node
	if _, err := w.Confirm(t.Context(), evs); err != nil {
		t.Fatal(err)
	}
	if calls, elems := node.calls.Load(), node.elems.Load(); calls != 1 || elems != 1+2+2 {
		t.Fatalf("50 transfers in 2 transactions and 2 blocks: %d round trips of %d calls, want 1 of 5", calls, elems)
	}
	if _, err := w.Confirm(t.Context(), nil); err != nil || node.calls.Load() != 1 {
		t.Fatalf("no transfer: %v, %d round trips", err, node.calls.Load())
	}
}

// BenchmarkConfirm times the witness of one topup batch: 50 transfers of one
// transaction.
func BenchmarkConfirm(b *testing.B) {
	chain := witnesstest.Start(b)
	evs := mineConfirmed(chain, chain.Pay(payees(50)))
	w := chain.Witness(depth)
	for b.Loop() {
		if _, err := w.Confirm(b.Context(), evs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "transfers/s")
}

// payees returns n recipients, each labelled by its index, and the amounts 1 to n to pay them.
func payees(n int) ([]common.Address, []int64) {
	to := make([]common.Address, n)
	amounts := make([]int64, n)
	for i := range to {
		to[i], amounts[i] = witnesstest.Address(fmt.Sprint(i)), int64(i+1)
	}
	return to, amounts
}

// mineConfirmed mines depth blocks on chain and returns evs as the listener reports them then:
// confirmed at depth.
func mineConfirmed(chain *witnesstest.Chain, evs []events.Transfer) []events.Transfer {
	chain.Mine(depth)
	for i := range evs {
		evs[i] = witnesstest.Confirmed(evs[i], depth)
	}
	return evs
}

func isRefuted(err error) bool {
	var r *witness.Refuted
	return errors.As(err, &r)
}

type countingNode struct {
	witness.Node
	calls, elems atomic.Int64
}

func (n *countingNode) BatchCallContext(ctx context.Context, b []rpc.BatchElem) error {
	n.calls.Add(1)
	n.elems.Add(int64(len(b)))
	return n.Node.BatchCallContext(ctx, b)
}

// unreachable is a node at an address where nothing listens.
func unreachable(t *testing.T) witness.Node {
	c, err := rpc.DialContext(t.Context(), "http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}
