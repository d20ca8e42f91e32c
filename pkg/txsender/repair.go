package txsender

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/rs/zerolog"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// fillerGas is the gas of an empty ether transfer.
const fillerGas = 21000

// Repair is what the nonce repair found for one stopped address and what it
// does about it.
type Repair struct {
	Report NonceReport
	// Fillers are the nonces given an empty transaction (to itself, no value),
	// so that every unmined send above them is mined at its own nonce.
	Fillers []uint64
	// NextNonce, when not zero, is the next nonce moved past nonces used
	// outside the suite.
	NextNonce uint64
	// Refused says why nothing is done automatically ("" otherwise).
	Refused string
	// Applied: the repair is stored and signing from the address resumed.
	Applied bool
}

// String tells the operator what the repair does (or would do).
func (r Repair) String() string {
	var b strings.Builder
	b.WriteString(r.Report.String())
	b.WriteString("\n  ")
	verb := "would"
	if r.Applied {
		verb = "did"
	}
	switch {
	case r.Refused != "":
		b.WriteString("repair refused: " + r.Refused)
	case r.Report.Kind == MismatchAhead:
		fmt.Fprintf(&b, "repair %s move the next nonce from %d to %d and resume signing; sends whose nonce a transaction of the key "+
			"took elsewhere are answered failed by the tracker once that transaction has its confirmations, never before", verb, r.Report.Stored, r.NextNonce)
	case len(r.Fillers) > 0:
		fmt.Fprintf(&b, "repair %s sign an empty transaction (to itself, no value) at each of the %d nonces %s and resume signing: "+
			"every unmined send keeps its own nonce, so each is mined once (no send is signed again at another nonce, "+
			"where its earlier transaction could still be mined too)", verb, len(r.Fillers), nonceRanges(r.Fillers))
	default:
		fmt.Fprintf(&b, "repair %s resume signing: the nonces agree with the chain now", verb)
	}
	return b.String()
}

// RepairNonces looks at every address whose signing on the sender's chain is
// stopped and says what
// the repair does; with apply it does it, one address at a time, under the
// address's nonce lock (so that no send from it is signed meanwhile), and
// resumes signing from it. Behind the chain, the nonces that no unmined send
// holds get an empty transaction each, stored like any send and followed by
// whichever replica's tracker; ahead of it, the next nonce moves past the
// nonces used elsewhere. Holes held by sends answered final that the chain
// does not show (a reorganisation deeper than the confirmations, or another
// chain) are refused: their answers need an operator, not a repair.
func (s *Sender) RepairNonces(ctx context.Context, apply bool) ([]Repair, error) {
	if err := s.sameGenesis(ctx); err != nil {
		return nil, err
	}
	var halts []haltRow
	if err := s.db.WithContext(ctx).Where("chain_id = ?", s.chain).Order("address").Find(&halts).Error; err != nil {
		return nil, fmt.Errorf("read halted addresses: %w", err)
	}
	out := make([]Repair, 0, len(halts))
	for _, h := range halts {
		var r Repair
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) (err error) {
			r, err = s.repair(ctx, tx, common.HexToAddress(h.Address), apply)
			return err
		})
		if err != nil {
			return out, fmt.Errorf("repair %s: %w", h.Address, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// NewRepairer is a Sender for an operator's repair command (RepairNonces,
// WriteRepairs), run beside the service: it signs fillers and moves nonces
// but finalises no send, so it needs none of the service's hooks.
func NewRepairer(ctx context.Context, db *gorm.DB, node Node, keys Keys, cfg Config, log zerolog.Logger) (*Sender, error) {
	return New(ctx, db, node, keys, repairHooks{}, cfg, log)
}

// repairHooks refuse what a repair never does.
type repairHooks struct{}

var errNotInRepair = errors.New("a nonce repair finalises no send")

func (repairHooks) Broadcast(context.Context, *gorm.DB, *Send) error { return errNotInRepair }
func (repairHooks) Final(context.Context, *gorm.DB, *Send) error     { return errNotInRepair }
func (repairHooks) Committed()                                       {}

// WriteRepairs runs RepairNonces and tells out what was found and what was
// (or, without apply, would be) done. It fails when an address needs more
// than the repair can do.
func (s *Sender) WriteRepairs(ctx context.Context, out io.Writer, apply bool) error {
	repairs, err := s.RepairNonces(ctx, apply)
	for _, r := range repairs {
		fmt.Fprintln(out, r.String())
	}
	if err != nil {
		return err
	}
	if len(repairs) == 0 {
		fmt.Fprintln(out, "signing is stopped for no address: nothing to repair")
		return nil
	}
	refused := 0
	for _, r := range repairs {
		if r.Refused != "" {
			refused++
		}
	}
	if !apply && refused < len(repairs) {
		fmt.Fprintln(out, "nothing changed: run again with --apply to repair")
	}
	if refused > 0 {
		return fmt.Errorf("%d of %d stopped addresses need an operator", refused, len(repairs))
	}
	return nil
}

// sameGenesis refuses to repair against a node of another chain.
func (s *Sender) sameGenesis(ctx context.Context) error {
	var rows []chainRow
	if err := s.db.WithContext(ctx).Where("chain_id = ?", s.chain).Find(&rows).Error; err != nil {
		return fmt.Errorf("read chain: %w", err)
	}
	hdr, err := s.node.HeaderByNumber(ctx, big.NewInt(0))
	if err != nil {
		return fmt.Errorf("read genesis: %w", err)
	}
	if len(rows) == 1 && rows[0].GenesisHash != hashString(hdr.Hash()) {
		return fmt.Errorf("%w: genesis %s, stored %s", ErrOtherChain, hashString(hdr.Hash()), rows[0].GenesisHash)
	}
	return nil
}

// repair repairs one address inside tx.
func (s *Sender) repair(ctx context.Context, tx *gorm.DB, from common.Address, apply bool) (Repair, error) {
	addr := addrString(from)
	var rows []nonceRow
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("chain_id = ? AND address = ?", s.chain, addr).Find(&rows).Error; err != nil {
		return Repair{}, fmt.Errorf("lock nonce: %w", err)
	}
	stored := uint64(0)
	if len(rows) == 1 {
		stored = rows[0].NextNonce
	}
	var active []uint64
	err := tx.Model(&Send{}).Where("chain_id = ? AND from_address = ? AND state IN ?", s.chain, addr, activeStates()).Pluck("nonce", &active).Error
	if err != nil {
		return Repair{}, fmt.Errorf("unfinished sends: %w", err)
	}
	latest, err := s.node.NonceAt(ctx, from, nil)
	if err != nil {
		return Repair{}, fmt.Errorf("chain nonce: %w", err)
	}
	pending, err := s.node.PendingNonceAt(ctx, from)
	if err != nil {
		return Repair{}, fmt.Errorf("pending nonce: %w", err)
	}
	r := Repair{Report: NonceReport{ChainID: s.chain, Address: from, Stored: stored, Latest: latest, Pending: pending}}
	switch {
	case latest > stored || pending > stored:
		r.Report.Kind, r.NextNonce = MismatchAhead, max(latest, pending)
	default:
		r.Report.Holes, r.Report.FirstHole = holes(latest, stored, active)
		if r.Report.Holes == 0 {
			break
		}
		r.Report.Kind = MismatchBehind
		var finals []uint64
		err := tx.Model(&Send{}).Where("chain_id = ? AND from_address = ? AND nonce >= ? AND nonce < ? AND state NOT IN ?",
			s.chain, addr, latest, stored, activeStates()).Order("nonce").Pluck("nonce", &finals).Error
		if err != nil {
			return Repair{}, fmt.Errorf("sends the chain lost: %w", err)
		}
		if r.Report.Lost = int64(len(finals)); len(finals) > 0 {
			r.Refused = fmt.Sprintf("nonces %s are held by sends answered final that the chain does not show (a reorganisation deeper "+
				"than the confirmations, or another chain): their answers may be wrong and need an operator", nonceRanges(finals))
			return r, nil
		}
		if r.Report.Holes > maxFillers {
			r.Refused = fmt.Sprintf("%d nonces to fill, more than the %d one repair signs: is the node the right one?", r.Report.Holes, maxFillers)
			return r, nil
		}
		held := make(map[uint64]bool, len(active))
		for _, n := range active {
			held[n] = true
		}
		for n := latest; n < stored; n++ {
			if !held[n] {
				r.Fillers = append(r.Fillers, n)
			}
		}
	}
	if !apply {
		return r, nil
	}
	if r.NextNonce > 0 {
		if err := tx.Model(&nonceRow{}).Where("chain_id = ? AND address = ?", s.chain, addr).Update("next_nonce", r.NextNonce).Error; err != nil {
			return Repair{}, fmt.Errorf("move next nonce: %w", err)
		}
	}
	if err := s.storeFillers(ctx, tx, from, r.Fillers); err != nil {
		return Repair{}, err
	}
	if err := tx.Where("chain_id = ? AND address = ?", s.chain, addr).Delete(&haltRow{}).Error; err != nil {
		return Repair{}, fmt.Errorf("resume signing: %w", err)
	}
	s.log.Warn().Str("from", addr).Uints64("fillers", r.Fillers).Uint64("next_nonce", r.NextNonce).Msg("nonces repaired; signing resumed")
	r.Applied = true
	return r, nil
}

// maxFillers bounds the empty transactions one repair signs for an address.
const maxFillers = 1000

// storeFillers signs and stores, inside tx, an empty transaction from `from`
// to itself at each of nonces; the tracker sends them.
func (s *Sender) storeFillers(ctx context.Context, tx *gorm.DB, from common.Address, nonces []uint64) error {
	if len(nonces) == 0 {
		return nil
	}
	key, err := s.keys(ctx, from)
	if err != nil || key == nil {
		return fmt.Errorf("key of %s: %w", from.Hex(), errors.Join(err, ErrNoKey))
	}
	tip, feeCap, err := s.fees(ctx)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	maxCost := new(big.Int).Mul(feeCap, big.NewInt(fillerGas)).String()
	for _, n := range nonces {
		signed, err := types.SignNewTx(key, s.signer, &types.DynamicFeeTx{
			ChainID: s.chainID, Nonce: n, GasTipCap: tip, GasFeeCap: feeCap, Gas: fillerGas, To: &from, Value: new(big.Int),
		})
		if err != nil {
			return fmt.Errorf("sign filler %d: %w", n, err)
		}
		raw, err := signed.MarshalBinary()
		if err != nil {
			return fmt.Errorf("encode filler %d: %w", n, err)
		}
		hash := hashString(signed.Hash())
		// Send keys are unique in the schema, which the chains share.
		send := &Send{Key: fmt.Sprintf("%s:%d:%s:%d", PurposeFiller, s.chain, addrString(from), n), Purpose: PurposeFiller,
			Ref: addrString(from), ChainID: s.chain, From: addrString(from), To: addrString(from), Value: "0", Data: []byte{},
			Nonce: n, GasLimit: fillerGas, Confirmations: s.cfg.Confirmations, State: StateSigned, MaxCost: maxCost,
			Attempts: 1, TxHash: hash, FirstHash: hash, LastAttemptAt: now}
		if err := tx.Create(send).Error; err != nil {
			return fmt.Errorf("store filler %d: %w", n, err)
		}
		att := &Attempt{SendID: send.ID, TxHash: hash, TipCap: tip.String(), FeeCap: feeCap.String(), Raw: raw}
		if err := tx.Create(att).Error; err != nil {
			return fmt.Errorf("store filler %d attempt: %w", n, err)
		}
	}
	return nil
}

// nonceRanges writes sorted nonces as ranges: "3, 5..9".
func nonceRanges(ns []uint64) string {
	var parts []string
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, fmt.Sprint(ns[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d..%d", ns[i], ns[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}
