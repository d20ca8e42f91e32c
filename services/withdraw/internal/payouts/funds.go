package payouts

import (
	"context"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"paysuite/pkg/contract"
	"paysuite/pkg/money"
	"paysuite/pkg/request"
	"paysuite/pkg/txsender"
	"paysuite/services/withdraw/internal/store"
)

// batchFunds keeps the free funds of one turn of the gate, lowered by each
// withdrawal the turn signs, which the chain's balances cannot show yet.
//
// What is slow to read (the node's balances) is read before the hot wallet's
// nonce is locked, so that the lock every withdrawal waits for is not held
// meanwhile: the balances and the hot wallet's nonce, all at one block, the
// mark. Every send of a lower nonce is mined in that block's balances, every
// send from the mark on is not; once the nonce is locked, settle takes off
// what every send from the mark on takes, whatever its state, stored before
// the read or since, by this replica or another. Each send is thus counted
// exactly once. (Reading the mark from the database and the balances from
// the node at different moments counted a send mined in between twice, and
// refused a withdrawal the hot wallet could pay.)
type batchFunds struct {
	mark    uint64
	ether   *big.Int
	tokens  map[common.Address]*big.Int
	settled bool
}

// readFunds reads the funds of a turn holding withdrawals of tokens, before
// the nonce is locked.
func (e *Engine) readFunds(ctx context.Context, tokens []common.Address) (*batchFunds, error) {
	node := e.Sender.Node()
	head, err := node.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("read head: %w", err)
	}
	mark, err := node.NonceAt(ctx, e.HotWallet, head.Number)
	if err != nil {
		return nil, fmt.Errorf("nonce of the hot wallet at block %s: %w", head.Number, err)
	}
	balances, eth, err := e.balances(ctx, tokens, head.Number)
	if err != nil {
		return nil, err
	}
	b := &batchFunds{mark: mark, ether: eth, tokens: make(map[common.Address]*big.Int, len(tokens))}
	for i, token := range tokens {
		b.tokens[token] = balances[i]
	}
	return b, nil
}

// balances reads the hot wallet's balance of each of tokens and of ether at
// block from the node, all at once.
func (e *Engine) balances(ctx context.Context, tokens []common.Address, block *big.Int) ([]*big.Int, *big.Int, error) {
	node := e.Sender.Node()
	toks := make([]*big.Int, len(tokens))
	var eth *big.Int
	g, gctx := errgroup.WithContext(ctx)
	for i, token := range tokens {
		g.Go(func() (err error) {
			toks[i], err = txsender.TokenBalance(gctx, node, token, e.HotWallet, block)
			return err
		})
	}
	g.Go(func() (err error) {
		if eth, err = node.BalanceAt(gctx, e.HotWallet, block); err != nil {
			return fmt.Errorf("ether balance of the hot wallet: %w", err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return toks, eth, nil
}

// settle takes off what the sends from the mark on take; it runs once, with
// the nonce locked.
func (b *batchFunds) settle(e *Engine, tx *gorm.DB) error {
	if b.settled {
		return nil
	}
	spent, err := store.SpentSince(tx, e.chainID(), e.HotWallet, b.mark)
	if err != nil {
		return err
	}
	b.ether.Sub(b.ether, spent.Ether)
	for token, units := range spent.Tokens {
		if free, ok := b.tokens[token]; ok {
			free.Sub(free, units)
		}
	}
	b.settled = true
	return nil
}

// check runs under the hot wallet's nonce lock for a withdrawal of the turn:
// the tokens and the ether for gas must be there, minus what earlier
// withdrawals not yet mined will take. It returns the text of a low-balance
// alert to raise, if any.
func (b *batchFunds) check(e *Engine, tx *gorm.DB, w Withdrawal, q txsender.Quote) (string, error) {
	if err := b.settle(e, tx); err != nil {
		return "", err
	}
	tok, ok := b.tokens[w.Token.Address]
	if !ok {
		return "", fmt.Errorf("withdraw %s: funds of token %s not read", w.RequestID, w.Token.Address.Hex())
	}
	low, err := e.judge(w, q, funds{tokens: tok, ether: b.ether})
	if err != nil {
		return "", err
	}
	tok.Sub(tok, w.Units)
	b.ether.Sub(b.ether, q.MaxCost)
	return low, nil
}

// funds is what the hot wallet holds beyond what unmined withdrawals will take.
type funds struct {
	tokens, ether *big.Int
}

// judge refuses w when f cannot pay it and its gas, and returns the text of
// a low-balance alert to raise, if any.
func (e *Engine) judge(w Withdrawal, q txsender.Quote, f funds) (string, error) {
	if f.tokens.Cmp(w.Units) < 0 {
		return "", request.Refusal{Code: contract.ErrInsufficientBalance, Message: fmt.Sprintf("the hot wallet has %s %s available",
			money.Format(money.FromBaseUnits(money.NonNegative(f.tokens), w.Token.Decimals)), w.Symbol)}
	}
	if f.ether.Cmp(q.MaxCost) < 0 {
		return "", request.Refusal{Code: contract.ErrInsufficientGas, Message: fmt.Sprintf("the hot wallet has %s %s available for gas, %s needed",
			money.Format(money.FromBaseUnits(money.NonNegative(f.ether), 18)), e.Native, money.Format(money.FromBaseUnits(q.MaxCost, 18)))}
	}
	if e.MinUSDT != nil && strings.EqualFold(w.Symbol, "USDT") {
		left := new(big.Int).Sub(f.tokens, w.Units)
		if left.Cmp(e.MinUSDT) < 0 {
			return fmt.Sprintf("hot wallet %s has %s USDT left on %s after withdrawal %s, below %s", e.hot(),
				money.Format(money.FromBaseUnits(left, w.Token.Decimals)), w.Chain, w.RequestID,
				money.Format(money.FromBaseUnits(e.MinUSDT, w.Token.Decimals))), nil
		}
	}
	return "", nil
}
