package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// Recording a batch of copies takes a constant number of statements: the
// requests in one multi-row INSERT IGNORE, the requests of the returns (and
// whether their endpoints are gone) in one read, the deliveries and the
// waiting returns in one multi-row INSERT IGNORE each.
//
// No statement locks a row another batch may hold, so a return never waits
// for a request copy in another worker's open transaction: a return whose
// request it cannot see yet waits as an orphan, and every batch settles the
// orphans of its requests and of its own orphans after its commit
// (SettleOrphans). Of two batches that miss each other's rows, the one that
// commits last then sees both, so every pair is matched.

// Key names a request: its flow and request_id.
type Key struct {
	Flow      string
	RequestID string
}

// Request is a request copy that asked for webhooks.
type Request struct {
	Flow        string
	RequestID   string
	CallbackURL string
}

// Return is one return message to deliver to its request's callback.
type Return struct {
	Flow      string
	RequestID string
	Event     string
	Status    int
	WebhookID string
	Body      []byte
	// Exact asks to learn whether the return was new (Recorded.Fresh), for
	// an action that must happen once (an alert). Such a return is recorded
	// with statements of its own, as a multi-row INSERT IGNORE only tells how
	// many of its rows were new.
	Exact bool
}

// Recorded is what recording a batch of copies did.
type Recorded struct {
	// Deliveries counts the deliveries created.
	Deliveries int
	// Fresh[i] tells whether the i-th return, recorded with Exact, was seen
	// for the first time; it is false for the returns without Exact.
	Fresh []bool
	// Settle lists the requests that may have waiting returns to turn into
	// deliveries once the transaction has committed: pass it to SettleOrphans.
	Settle []Key
}

// RecordCopies records request and return copies in one transaction and then
// settles their waiting returns. A request recorded first wins: its callback
// is the one used, as the first request is the one the service answers.
func (s *Store) RecordCopies(ctx context.Context, reqs []Request, rets []Return) (Recorded, error) {
	var rec Recorded
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		rec, err = RecordCopiesTx(tx, reqs, rets)
		return err
	}, CopiesTxOptions())
	if err != nil {
		return Recorded{}, err
	}
	n, err := s.SettleOrphans(ctx, rec.Settle)
	rec.Deliveries += n
	return rec, err
}

// CopiesTxOptions are the options of a transaction that runs RecordCopiesTx:
// at READ COMMITTED, a duplicate key or an empty read takes no gap lock that
// would hold off other batches' inserts.
func CopiesTxOptions() *sql.TxOptions { return &sql.TxOptions{Isolation: sql.LevelReadCommitted} }

// RecordCopiesTx is RecordCopies inside tx, without the settling, which must
// follow the commit. Duplicates in the batch count once, the first one wins.
func RecordCopiesTx(tx *gorm.DB, reqs []Request, rets []Return) (rec Recorded, err error) {
	rec.Fresh = make([]bool, len(rets))
	reqs = firstOf(reqs, func(r Request) Key { return Key{r.Flow, r.RequestID} })
	// Rows are written in key order, so that two batches that share keys (a
	// redelivered copy) lock them in the same order and cannot deadlock.
	slices.SortFunc(reqs, func(a, b Request) int { return compareKeys(Key{a.Flow, a.RequestID}, Key{b.Flow, b.RequestID}) })
	if err := insertRequests(tx, reqs); err != nil {
		return Recorded{}, err
	}
	settle := make(map[Key]bool, len(reqs)+len(rets))
	for _, r := range reqs {
		settle[Key{r.Flow, r.RequestID}] = true
	}
	if len(rets) > 0 {
		if err := recordReturns(tx, rets, &rec, settle); err != nil {
			return Recorded{}, err
		}
	}
	for k := range settle {
		rec.Settle = append(rec.Settle, k)
	}
	slices.SortFunc(rec.Settle, compareKeys)
	return rec, nil
}

// recordReturns turns rets into deliveries where their request is known and
// into waiting returns elsewhere; settle gains the requests of the latter.
func recordReturns(tx *gorm.DB, rets []Return, rec *Recorded, settle map[Key]bool) error {
	keys := make([]Key, 0, len(rets))
	for _, r := range rets {
		keys = append(keys, Key{r.Flow, r.RequestID})
	}
	known, err := callbacks(tx, keys)
	if err != nil {
		return err
	}
	// The exact returns are kept apart, with their index for Fresh.
	var bulk []Return
	var exact []int
	seen := make(map[string]bool, len(rets))
	for i, r := range rets {
		if seen[r.WebhookID] {
			continue
		}
		seen[r.WebhookID] = true
		if r.Exact {
			exact = append(exact, i)
		} else {
			bulk = append(bulk, r)
		}
	}
	slices.SortFunc(bulk, func(a, b Return) int { return strings.Compare(a.WebhookID, b.WebhookID) })
	var deliveries []delivery
	var orphans []Return
	for _, r := range bulk {
		cb, ok := known[Key{r.Flow, r.RequestID}]
		if ok {
			deliveries = append(deliveries, newDelivery(r, cb))
		} else {
			orphans = append(orphans, r)
		}
		// Settled even when it becomes a delivery: a copy recorded before by
		// a batch whose settling was cut short (a crash or a failure after
		// its commit) was left waiting, and still is.
		settle[Key{r.Flow, r.RequestID}] = true
	}
	n, err := insertDeliveries(tx, deliveries)
	if err != nil {
		return err
	}
	rec.Deliveries += n
	if _, err := insertOrphans(tx, orphans); err != nil {
		return err
	}
	for _, i := range exact {
		r := rets[i]
		cb, ok := known[Key{r.Flow, r.RequestID}]
		if !ok {
			n, err := insertOrphans(tx, []Return{r})
			if err != nil {
				return err
			}
			rec.Fresh[i] = n > 0
			settle[Key{r.Flow, r.RequestID}] = true
			continue
		}
		n, err := insertDeliveries(tx, []delivery{newDelivery(r, cb)})
		if err != nil {
			return err
		}
		rec.Deliveries += n
		if n == 0 {
			continue
		}
		// A new delivery may still be a return seen before: one that waited
		// for its request and was not settled yet.
		res := tx.Exec("DELETE FROM orphan_returns WHERE webhook_id = ?", r.WebhookID)
		if res.Error != nil {
			return fmt.Errorf("drop waiting return %s: %w", r.WebhookID, res.Error)
		}
		rec.Fresh[i] = res.RowsAffected == 0
	}
	return nil
}

// SettleOrphans turns the waiting returns of the requests keys into deliveries
// where the request is now known, and drops them from the waiting returns. It
// runs after the commit that recorded the copies, in a transaction of its own,
// and may run any number of times.
func (s *Store) SettleOrphans(ctx context.Context, keys []Key) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	db := s.db.WithContext(ctx)
	where, args := keyFilter("o", keys)
	var rows []struct {
		WebhookID   string `gorm:"column:webhook_id"`
		Flow        string `gorm:"column:flow"`
		RequestID   string `gorm:"column:request_id"`
		Event       string `gorm:"column:event"`
		Status      int    `gorm:"column:status"`
		Body        []byte `gorm:"column:body"`
		CallbackURL string `gorm:"column:callback_url"`
		Gone        bool   `gorm:"column:gone"`
	}
	// A plain read, mostly empty: only a match needs a write transaction.
	if err := db.Raw(`SELECT o.webhook_id, o.flow, o.request_id, o.event, o.status, o.body, r.callback_url,
			g.url_hash IS NOT NULL AS gone
		FROM orphan_returns o
		JOIN requests r ON r.flow = o.flow AND r.request_id = o.request_id
		LEFT JOIN gone_endpoints g ON g.url_hash = SHA2(r.callback_url, 256)
		WHERE `+where+` ORDER BY o.webhook_id`, args...).Scan(&rows).Error; err != nil {
		return 0, fmt.Errorf("find waiting returns: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	ds := make([]delivery, 0, len(rows))
	ids := make([]string, 0, len(rows))
	for _, o := range rows {
		ds = append(ds, newDelivery(Return{Flow: o.Flow, RequestID: o.RequestID, Event: o.Event, Status: o.Status,
			WebhookID: o.WebhookID, Body: o.Body}, callback{url: o.CallbackURL, gone: o.Gone}))
		ids = append(ids, o.WebhookID)
	}
	var created int
	err := db.Transaction(func(tx *gorm.DB) error {
		var err error
		if created, err = insertDeliveries(tx, ds); err != nil {
			return err
		}
		if err := tx.Exec("DELETE FROM orphan_returns WHERE webhook_id IN ?", ids).Error; err != nil {
			return fmt.Errorf("drop settled returns: %w", err)
		}
		return nil
	}, CopiesTxOptions())
	if err != nil {
		return 0, fmt.Errorf("settle waiting returns: %w", err)
	}
	return created, nil
}

// callback is a request's endpoint, and whether it answered 410 Gone.
type callback struct {
	url  string
	gone bool
}

// callbacks reads the endpoints of the known requests among keys: those
// committed and those of this transaction.
func callbacks(tx *gorm.DB, keys []Key) (map[Key]callback, error) {
	where, args := keyFilter("r", keys)
	var rows []struct {
		Flow        string `gorm:"column:flow"`
		RequestID   string `gorm:"column:request_id"`
		CallbackURL string `gorm:"column:callback_url"`
		Gone        bool   `gorm:"column:gone"`
	}
	// SHA2 matches URLHash: hex SHA-256 of the URL's bytes.
	if err := tx.Raw(`SELECT r.flow, r.request_id, r.callback_url, g.url_hash IS NOT NULL AS gone
		FROM requests r LEFT JOIN gone_endpoints g ON g.url_hash = SHA2(r.callback_url, 256)
		WHERE `+where, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("find requests of returns: %w", err)
	}
	out := make(map[Key]callback, len(rows))
	for _, r := range rows {
		out[Key{r.Flow, r.RequestID}] = callback{url: r.CallbackURL, gone: r.Gone}
	}
	return out, nil
}

// delivery is a row of deliveries to insert.
type delivery struct {
	r                      Return
	url, hash, host, state string
}

// newDelivery is the delivery of r to cb; a delivery to an endpoint that
// answered 410 Gone starts as gone.
func newDelivery(r Return, cb callback) delivery {
	state := StatePending
	if cb.gone {
		state = StateGone
	}
	return delivery{r: r, url: cb.url, hash: URLHash(cb.url), host: Host(cb.url), state: state}
}

// insertRequests records reqs, unless recorded before.
func insertRequests(tx *gorm.DB, reqs []Request) error {
	if len(reqs) == 0 {
		return nil
	}
	args := make([]any, 0, 3*len(reqs))
	for _, r := range reqs {
		args = append(args, r.Flow, r.RequestID, r.CallbackURL)
	}
	if err := tx.Exec("INSERT IGNORE INTO requests (flow, request_id, callback_url) VALUES "+
		placeholders(len(reqs), 3), args...).Error; err != nil {
		return fmt.Errorf("record %d requests: %w", len(reqs), err)
	}
	return nil
}

// insertDeliveries creates ds, except those that exist, and returns how many
// it created.
func insertDeliveries(tx *gorm.DB, ds []delivery) (int, error) {
	if len(ds) == 0 {
		return 0, nil
	}
	args := make([]any, 0, 10*len(ds))
	for _, d := range ds {
		args = append(args, d.r.WebhookID, d.r.Flow, d.r.RequestID, d.r.Event, d.r.Status, d.url, d.hash, d.host, d.r.Body, d.state)
	}
	res := tx.Exec(`INSERT IGNORE INTO deliveries (webhook_id, flow, request_id, event, status, url, url_hash, host, body, state)
		VALUES `+placeholders(len(ds), 10), args...)
	if res.Error != nil {
		return 0, fmt.Errorf("create %d deliveries: %w", len(ds), res.Error)
	}
	return int(res.RowsAffected), nil
}

// insertOrphans keeps rets until their request is known, except those kept
// already, and returns how many it kept.
func insertOrphans(tx *gorm.DB, rets []Return) (int, error) {
	if len(rets) == 0 {
		return 0, nil
	}
	args := make([]any, 0, 6*len(rets))
	for _, r := range rets {
		args = append(args, r.WebhookID, r.Flow, r.RequestID, r.Event, r.Status, r.Body)
	}
	res := tx.Exec("INSERT IGNORE INTO orphan_returns (webhook_id, flow, request_id, event, status, body) VALUES "+
		placeholders(len(rets), 6), args...)
	if res.Error != nil {
		return 0, fmt.Errorf("keep %d returns: %w", len(rets), res.Error)
	}
	return int(res.RowsAffected), nil
}

// keyFilter is the condition that alias's (flow, request_id) is among keys,
// written per flow as "flow = ? AND request_id IN (...)" so that it reads a
// range of the index: a row constructor IN may not use it.
func keyFilter(alias string, keys []Key) (string, []any) {
	byFlow := map[string][]string{}
	var flows []string
	for _, k := range keys {
		if _, ok := byFlow[k.Flow]; !ok {
			flows = append(flows, k.Flow)
		}
		byFlow[k.Flow] = append(byFlow[k.Flow], k.RequestID)
	}
	slices.Sort(flows)
	var b strings.Builder
	args := make([]any, 0, 2*len(flows))
	for i, f := range flows {
		if i > 0 {
			b.WriteString(" OR ")
		}
		fmt.Fprintf(&b, "(%[1]s.flow = ? AND %[1]s.request_id IN ?)", alias)
		args = append(args, f, byFlow[f])
	}
	return "(" + b.String() + ")", args
}

// placeholders is "(?, ?), (?, ?)" for rows of cols values.
func placeholders(rows, cols int) string {
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	return strings.Repeat(row+", ", rows-1) + row
}

// firstOf drops the items whose key came before, keeping the order.
func firstOf[T any](items []T, key func(T) Key) []T {
	seen := make(map[Key]bool, len(items))
	out := make([]T, 0, len(items))
	for _, it := range items {
		if k := key(it); !seen[k] {
			seen[k] = true
			out = append(out, it)
		}
	}
	return out
}

func compareKeys(a, b Key) int {
	return cmp.Or(strings.Compare(a.Flow, b.Flow), strings.Compare(a.RequestID, b.RequestID))
}
