// Package events defines the internal messages the services exchange through the
// internal exchange (address registrations for the chain-listener, the
// transfer events it sends back to the service that owns each address,
// operator alerts) and authenticates every one of them (Keys, Guard).
package events

import "fmt"

// Names of the internal exchange, its routing keys and queues. They are not part of
// the public contract but are stable, because services of different versions share them.
const (
	// Exchange is the internal topic exchange between services.
	Exchange = "pay.internal"
	// WatchKey routes address registrations to the chain-listener.
	WatchKey = "internal.watch"
	// WatchQueue is the chain-listener's queue of address registrations.
	WatchQueue = "internal.listener.watch.queue"
)

// Lists of addresses (AddressList) travel under a key and queues of their
// own: a consumer of an older version, which knows only the one-address
// forms, leaves them waiting for its successor instead of refusing them.
const (
	// AddressListKey routes AddressList messages, to the chain-listener and
	// to the services that sign for allocated addresses (pay).
	AddressListKey = "internal.addresses"
	// WatchListQueue is the chain-listener's queue of AddressList messages.
	WatchListQueue = "internal.listener.watchlist.queue"
)

// AddressKey routes the announcements of deposit addresses topup allocated, so
// that the services that sign for them (pay) learn their derivation index.
const AddressKey = "internal.address.allocated"

// AddressQueue is the queue on which the service named owner learns allocated addresses.
func AddressQueue(owner string) string { return fmt.Sprintf("internal.%s.addresses.queue", owner) }

// AddressListQueue is the queue on which the service named owner learns
// allocated addresses from AddressList messages.
func AddressListQueue(owner string) string {
	return fmt.Sprintf("internal.%s.addresslist.queue", owner)
}

// AddressAllocated announces a deposit address and the index it was derived at,
// below the extended key topup is configured with.
type AddressAllocated struct {
	Chain   string `json:"chain"`
	Address string `json:"address"` // lowercase 0x-hex
	Index   uint32 `json:"index"`
}

// AddressList registers several addresses of Owner at once: the listener
// watches every one of them, and a service that signs for allocated
// addresses learns each one that has an Index (the index it was derived at).
// What topup sends for the addresses of one transaction: one message where
// there would be a watch request and an announcement per address.
type AddressList struct {
	Chain     string          `json:"chain"`
	Owner     string          `json:"owner"`
	Addresses []ListedAddress `json:"addresses"`
}

// ListedAddress is one address of an AddressList.
type ListedAddress struct {
	Address string `json:"address"` // lowercase 0x-hex
	// Index is set for an address derived (allocated) by Owner, absent for
	// one it was given to watch.
	Index *uint32 `json:"index,omitempty"`
	// FromBlock is the first block in which transfers into Address must be
	// found: the chain head when Owner handed the address out. Absent in
	// registrations of older versions; the listener then looks back a fixed
	// window from where it is.
	FromBlock *uint64 `json:"from_block,omitempty"`
}

// TransferKey is the routing key of transfer events for the service named owner.
func TransferKey(owner string) string { return "internal.transfer." + owner }

// TransferQueue is the queue on which the service named owner receives its transfer events.
func TransferQueue(owner string) string { return fmt.Sprintf("internal.%s.transfer.queue", owner) }

// LedgerQueue is pay's copy of the transfer events of the deposit addresses
// (those reported to topup and to the matcher): the deposits its
// reconciliation counts in.
const LedgerQueue = "internal.pay.ledger.queue"

// Owners of watched addresses.
const (
	OwnerTopup   = "topup"
	OwnerMatcher = "matcher"
	OwnerPay     = "pay"
)

// WatchAddress asks the chain-listener to report transfers into Address to Owner.
type WatchAddress struct {
	Chain   string `json:"chain"`
	Address string `json:"address"` // lowercase 0x-hex
	Owner   string `json:"owner"`
	// FromBlock is as in ListedAddress.
	FromBlock *uint64 `json:"from_block,omitempty"`
}

// Transfer kinds, in the order a transfer can go through them.
const (
	KindSeen      = "seen"      // in a block of the canonical chain
	KindConfirmed = "confirmed" // has reached the chain's confirmation depth
	KindRemoved   = "removed"   // its block left the canonical chain after it was seen
)

// Transfer is one ERC-20 Transfer log into a watched address, at one stage of its life.
type Transfer struct {
	Kind          string `json:"kind"`
	Chain         string `json:"chain"`
	Symbol        string `json:"symbol"`
	Token         string `json:"token"` // token contract, lowercase 0x-hex
	Decimals      int32  `json:"decimals"`
	TxHash        string `json:"tx_hash"`
	LogIndex      uint   `json:"log_index"`
	BlockNumber   uint64 `json:"block_number"`
	BlockHash     string `json:"block_hash"`
	From          string `json:"from"`
	To            string `json:"to"`
	Amount        string `json:"amount"` // base units, decimal integer
	Confirmations uint64 `json:"confirmations"`
	// Sequence orders the events of one transfer: it grows with every event the
	// listener emits for it, so a consumer can ignore a stale redelivery.
	Sequence uint64 `json:"sequence"`
}

// Operator alerts: any service publishes them; the notifier rate-limits and
// forwards them to the operators' chat.
const (
	// AlertQueue is the notifier's queue of alerts.
	AlertQueue = "internal.notifier.alerts.queue"
	// AlertBinding matches every alert routing key.
	AlertBinding = "internal.alert.#"
)

// AlertKey is the routing key of an alert of kind.
func AlertKey(kind string) string { return "internal.alert." + kind }

// Alert kinds.
const (
	AlertPayoutFailed   = "payout_failed"   // a withdrawal or payment ended with status 0
	AlertLowBalance     = "low_balance"     // a hot wallet is below its configured floor
	AlertListenerBehind = "listener_behind" // the listener is too many blocks behind the head
	AlertDeadLetters    = "dead_letters"    // messages are waiting in the dead-letter queue
	AlertForgedMessage  = "forged_message"  // an internal message failed authentication
	// AlertRetriesExhausted: a message failed every attempt and was dead-lettered.
	AlertRetriesExhausted = "retries_exhausted"
	// AlertReorgTooDeep: a reorganisation reached below the block hashes the
	// listener keeps; it cannot tell what changed and holds its cursor,
	// retrying, until the node's chain matches its kept blocks again.
	AlertReorgTooDeep = "reorg_too_deep"
	// AlertConfirmedRemoved: a deposit or payment already reported confirmed
	// left the canonical chain.
	AlertConfirmedRemoved = "confirmed_removed"
	// AlertBackfillWaiting: addresses have waited longer than expected for
	// the listener to scan the blocks since they were handed out.
	AlertBackfillWaiting = "backfill_waiting"
	// AlertNonceMismatch: a signing service's stored nonces and the chain's
	// disagree; it stops signing for that address until an operator repairs it.
	AlertNonceMismatch = "nonce_mismatch"
	// AlertStuckTransaction: a send is still unmined after its bounded
	// replacements.
	AlertStuckTransaction = "stuck_transaction"
	// AlertTokensNotMoved: a mined token transfer holds no Transfer log of
	// the tokens (the token returned false): the payout failed.
	AlertTokensNotMoved = "tokens_not_moved"
	// AlertNodeUnreachable: a chain's node has not answered for longer than
	// the listener tolerates; that chain's transfers are not seen meanwhile.
	AlertNodeUnreachable = "node_unreachable"
	// AlertSweepFailed: a sweep of a deposit address, or the funding of its
	// gas, ended without moving the tokens.
	AlertSweepFailed = "sweep_failed"
	// AlertCollectionLow: a collection wallet holds less of a token than its
	// configured floor.
	AlertCollectionLow = "collection_low"
	// AlertReconcileDifference: an address holds on chain another balance
	// than the suite's records say, beyond what is in flight, for longer
	// than one reconciliation.
	AlertReconcileDifference = "reconcile_difference"
)

// Alert is one operator alert. Key groups alerts of one incident for rate limiting
// (for example the hot wallet's address for low_balance).
type Alert struct {
	Kind string `json:"kind"`
	Key  string `json:"key"`
	// Chain names the chain the alert is about, empty when it is about none
	// (or the service serves one): the same kind and key on two chains are two
	// incidents.
	Chain   string `json:"chain,omitempty"`
	Service string `json:"service"`
	Message string `json:"message"`
	At      int64  `json:"at"` // unix seconds
}

// The operator's rescan requests (payctl rescan) reach every listener replica
// through RescanQueue; the replica that takes one records it and the leader's
// scanner works through it.
const (
	RescanKey   = "internal.listener.rescan"
	RescanQueue = "internal.listener.rescan.queue"
	// MaxRescanBlocks bounds one request, so a typo cannot start a scan of the
	// whole chain.
	MaxRescanBlocks = 100000
)

// RescanRequest asks the listener to look again for missed transfers in the
// blocks From..To (inclusive) of Chain; an empty Chain (a request from
// before chain lists) means the listener's first chain.
type RescanRequest struct {
	Chain string  `json:"chain,omitempty"`
	From  *uint64 `json:"from"`
	To    *uint64 `json:"to"`
}
