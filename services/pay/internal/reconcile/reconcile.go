// Package reconcile compares, for every deposit address of a chain and each
// asset (the chain's coin and its tokens), the balance the suite's records
// say it holds with the balance the chain shows, both at one settled block.
// The records are pay's own: the deposits the chain-listener reported
// (credits), and every send pay made from or to the address (payments,
// sweeps, gas fundings and their fees).
package reconcile

import (
	"context"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"paysuite/pkg/money"
	"paysuite/pkg/tokens"
	"paysuite/pkg/txsender"
	"paysuite/services/pay/internal/store"
)

// balanceReaders bounds the balance reads that run at once.
const balanceReaders = 8

// Difference is an address whose balance of an asset on chain differs from
// the records, at Block.
type Difference struct {
	Chain   string
	Address string
	// Asset is the token's symbol, or the chain's coin's.
	Asset    string
	Decimals int32
	Records  *big.Int
	OnChain  *big.Int
	Block    uint64
}

// Delta is what the chain shows beyond the records (negative: less).
func (d Difference) Delta() *big.Int { return new(big.Int).Sub(d.OnChain, d.Records) }

// Key names the address and asset of d.
func (d Difference) Key() string { return d.Chain + ":" + d.Address + ":" + d.Asset }

// Reconciler reconciles one chain.
type Reconciler struct {
	Chain  string
	Native string
	Tokens tokens.List
	Node   txsender.Node
	// ChainID is the chain's id, as pay's sends record it.
	ChainID uint64
	DB      *gorm.DB
	// Confirmations is the depth at which a block is settled.
	Confirmations uint64
}

// Height is the newest settled block: Confirmations deep.
func (r *Reconciler) Height(ctx context.Context) (uint64, error) {
	head, err := r.Node.HeaderByNumber(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("read head: %w", err)
	}
	h := head.Number.Uint64()
	if r.Confirmations > 1 {
		if h+1 < r.Confirmations {
			return 0, nil
		}
		h = h + 1 - r.Confirmations
	}
	return h, nil
}

// ledger is what the records say one address holds.
type ledger struct {
	coin   *big.Int
	tokens map[string]*big.Int // by lowercase token address
}

// At reconciles the deposit addresses at block h (only those of only, when
// it is not empty), and returns how many it looked at and the differences.
func (r *Reconciler) At(ctx context.Context, h uint64, only ...string) (int, []Difference, error) {
	addrs, err := store.AddressesOn(r.DB.WithContext(ctx), r.Chain)
	if err != nil {
		return 0, nil, err
	}
	books := map[string]*ledger{}
	for _, a := range addrs {
		if len(only) > 0 && !contains(only, a.Address) {
			continue
		}
		books[a.Address] = &ledger{coin: new(big.Int), tokens: map[string]*big.Int{}}
	}
	if err := r.credit(ctx, h, books); err != nil {
		return 0, nil, err
	}
	if err := r.debit(ctx, h, books); err != nil {
		return 0, nil, err
	}
	diffs, err := r.compare(ctx, h, books)
	return len(books), diffs, err
}

// credit counts in the deposits confirmed at or below h.
func (r *Reconciler) credit(ctx context.Context, h uint64, books map[string]*ledger) error {
	var credits []store.Credit
	err := r.DB.WithContext(ctx).Where("chain = ? AND kind = ? AND block_number <= ?", r.Chain, "confirmed", h).Find(&credits).Error
	if err != nil {
		return fmt.Errorf("credits on %s: %w", r.Chain, err)
	}
	for _, c := range credits {
		if b := books[c.Address]; b != nil {
			b.token(c.Token).Add(b.token(c.Token), money.Units(c.AmountUnits))
		}
	}
	return nil
}

// debit counts the sends mined at or below h from and to the addresses: a
// send from one costs its fee, and when it succeeded its value and the
// tokens it moved; a send to one (a gas funding) brings its value.
func (r *Reconciler) debit(ctx context.Context, h uint64, books map[string]*ledger) error {
	var sends []txsender.Send
	err := r.DB.WithContext(ctx).Where("chain_id = ? AND block_number IS NOT NULL AND block_number <= ?", r.ChainID, h).
		Order("id").Find(&sends).Error
	if err != nil {
		return fmt.Errorf("sends on %s: %w", r.Chain, err)
	}
	for i := range sends {
		s := &sends[i]
		ok := s.ReceiptStatus != nil && *s.ReceiptStatus == 1
		if b := books[s.From]; b != nil {
			b.coin.Sub(b.coin, money.Units(deref(s.Fee)))
			if ok {
				b.coin.Sub(b.coin, money.Units(s.Value))
			}
			if ok && s.State != txsender.StateNotMoved {
				moved, err := s.TokensAsked()
				if err != nil {
					return fmt.Errorf("send %s: %w", s.Key, err)
				}
				b.token(s.To).Sub(b.token(s.To), moved)
			}
		}
		if b := books[s.To]; b != nil && ok {
			b.coin.Add(b.coin, money.Units(s.Value))
		}
	}
	return nil
}

// compare reads the balances at h and lists those that differ.
func (r *Reconciler) compare(ctx context.Context, h uint64, books map[string]*ledger) ([]Difference, error) {
	type read struct {
		addr  string
		asset string
		token *tokens.Token
		want  *big.Int
		got   *big.Int
	}
	var reads []*read
	for addr, b := range books {
		reads = append(reads, &read{addr: addr, asset: r.Native, want: b.coin})
		for i := range r.Tokens {
			t := &r.Tokens[i]
			reads = append(reads, &read{addr: addr, asset: t.Symbol, token: t, want: b.token(store.Lower(t.Address))})
		}
	}
	block := new(big.Int).SetUint64(h)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(balanceReaders)
	for _, rd := range reads {
		g.Go(func() error {
			var err error
			holder := common.HexToAddress(rd.addr)
			if rd.token == nil {
				rd.got, err = r.Node.BalanceAt(gctx, holder, block)
			} else {
				rd.got, err = txsender.TokenBalance(gctx, r.Node, rd.token.Address, holder, block)
			}
			if err != nil {
				return fmt.Errorf("balance of %s at %d: %w", rd.addr, h, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var diffs []Difference
	for _, rd := range reads {
		if rd.got.Cmp(rd.want) == 0 {
			continue
		}
		d := Difference{Chain: r.Chain, Address: rd.addr, Asset: rd.asset, Decimals: 18, Records: rd.want, OnChain: rd.got, Block: h}
		if rd.token != nil {
			d.Decimals = rd.token.Decimals
		}
		diffs = append(diffs, d)
	}
	sortDiffs(diffs)
	return diffs, nil
}

// token is the records' balance of the token at address a (lowercase).
func (l *ledger) token(a string) *big.Int {
	a = strings.ToLower(a)
	if l.tokens[a] == nil {
		l.tokens[a] = new(big.Int)
	}
	return l.tokens[a]
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
