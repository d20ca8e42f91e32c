// Package txsender sends Ethereum transactions exactly once, whatever crashes:
// it hands out nonces from MySQL, stores every signed transaction in the same
// database transaction that consumes its nonce (before it is broadcast), then
// broadcasts, re-broadcasts, replaces underpriced transactions with the same
// nonce, and follows their receipts to a final outcome after enough
// confirmations, telling the owning service through hooks that run inside the
// database transaction recording each change.
package txsender

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/rs/zerolog"
	"gorm.io/gorm"
)

// Keys returns the private key of a sending address.
type Keys func(ctx context.Context, from common.Address) (*ecdsa.PrivateKey, error)

// Hooks let the owning service act on a send's progress. Each runs inside the
// database transaction that records the change, so the service's own state and
// outgoing messages (outbox) commit together with it; an error rolls the change
// back and it is retried later.
type Hooks interface {
	// Broadcast is called once per send, when it is first known to have reached
	// the node (its first accepted broadcast, or its receipt if that comes first).
	Broadcast(ctx context.Context, tx *gorm.DB, s *Send) error
	// Final is called once per send, when it reaches StateConfirmed,
	// StateReverted, StateNotMoved or StateFailed.
	Final(ctx context.Context, tx *gorm.DB, s *Send) error
	// Committed is called after a transaction in which Broadcast or Final ran
	// has committed (to wake an outbox relay, for instance).
	Committed()
}

// Sender is the engine for one chain, the one its node serves. Several
// replicas may run one each on the same schema, and the senders of several
// chains share it: each reads and writes only its own chain's rows (the
// nonces, halts and sends of an address are per chain), so a chain that
// stalls holds back no other.
type Sender struct {
	db      *gorm.DB
	node    Node
	keys    Keys
	hooks   Hooks
	alerter Alerter // nil: alerts are only logged
	cfg     Config
	chainID *big.Int
	chain   uint64 // chainID: every row the sender reads or writes is this chain's
	signer  types.Signer
	log     zerolog.Logger
	kick    chan struct{}

	mu     sync.Mutex
	inited map[common.Address]bool // addresses whose nonce row is known to exist
	// The last fee quote, reused for feeTTL: a burst of sends needs no fresh
	// quote per transaction.
	feeAt          time.Time
	feeTip, feeCap *big.Int
	// checkedAt is when each address's nonces were last compared with the
	// chain's by this process (see checkIfDue).
	checkedAt map[common.Address]time.Time
}

// New builds a sender. cfg must have been validated.
func New(ctx context.Context, db *gorm.DB, node Node, keys Keys, hooks Hooks, cfg Config, log zerolog.Logger) (*Sender, error) {
	if cfg.MaxFee == nil || cfg.MaxTip == nil {
		return nil, errors.New("txsender: configuration not validated")
	}
	chainID, err := node.ChainID(ctx)
	if err != nil {
		return nil, fmt.Errorf("txsender: chain id: %w", err)
	}
	alerter, _ := hooks.(Alerter)
	if !chainID.IsUint64() {
		return nil, fmt.Errorf("txsender: chain id %s out of range", chainID)
	}
	return &Sender{db: db, node: node, keys: keys, hooks: ownHooks{hooks}, alerter: alerter, cfg: cfg, chainID: chainID, chain: chainID.Uint64(),
		signer: types.LatestSignerForChainID(chainID), log: log, kick: make(chan struct{}, 1),
		inited: map[common.Address]bool{}, checkedAt: map[common.Address]time.Time{}}, nil
}

// ChainID returns the chain id of the node.
func (s *Sender) ChainID() *big.Int { return new(big.Int).Set(s.chainID) }

// Node returns the node the sender talks to.
func (s *Sender) Node() Node { return s.node }

// Kick makes the tracker run a step soon.
func (s *Sender) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}
