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

// Webhook is one return to deliver to a callback URL.
type Webhook struct {
	Flow      string
	RequestID string
	// MessageID is the return's AMQP message_id, the delivery's webhook-id.
	MessageID string
	Event     string
	Status    int
	URL       string
	Body      []byte
}

// key is what makes a delivery unique (uq_deliveries_return).
func (w Webhook) key() [3]string { return [3]string{w.Flow, w.MessageID, URLHash(w.URL)} }

func compareKeys(a, b [3]string) int {
	return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1]), strings.Compare(a[2], b[2]))
}

// AddDeliveries creates the deliveries of hooks in one transaction of two
// statements, except those that exist, and returns how many it created: a
// Webhook message seen again (a redelivery) creates none. A delivery to an
// endpoint that answered 410 Gone starts as gone.
func (s *Store) AddDeliveries(ctx context.Context, hooks []Webhook) (created int, err error) {
	if len(hooks) == 0 {
		return 0, nil
	}
	// Rows are written in key order, so that two batches sharing rows (a
	// redelivered message) lock them in the same order and cannot deadlock;
	// a row twice in the batch counts once.
	hooks = slices.Clone(hooks)
	slices.SortStableFunc(hooks, func(a, b Webhook) int { return compareKeys(a.key(), b.key()) })
	hooks = slices.CompactFunc(hooks, func(a, b Webhook) bool { return a.key() == b.key() })
	hashes := make([]string, len(hooks))
	for i, h := range hooks {
		hashes[i] = URLHash(h.URL)
	}
	// At READ COMMITTED a duplicate key or an empty read takes no gap lock
	// that would hold off other batches' inserts.
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var gone []string
		if err := tx.Raw("SELECT url_hash FROM gone_endpoints WHERE url_hash IN ?", hashes).Scan(&gone).Error; err != nil {
			return fmt.Errorf("find gone endpoints: %w", err)
		}
		isGone := make(map[string]bool, len(gone))
		for _, h := range gone {
			isGone[h] = true
		}
		args := make([]any, 0, 10*len(hooks))
		for i, h := range hooks {
			state := StatePending
			if isGone[hashes[i]] {
				state = StateGone
			}
			args = append(args, h.MessageID, h.Flow, h.RequestID, h.Event, h.Status, h.URL, hashes[i], Host(h.URL), h.Body, state)
		}
		// Not INSERT IGNORE, which would also turn a value too long for its
		// column into a warning and store it cut: only a duplicate is skipped,
		// and it counts as no row affected.
		res := tx.Exec(`INSERT INTO deliveries (webhook_id, flow, request_id, event, status, url, url_hash, host, body, state)
			VALUES `+placeholders(len(hooks), 10)+` ON DUPLICATE KEY UPDATE id = id`, args...)
		if res.Error != nil {
			return fmt.Errorf("create %d deliveries: %w", len(hooks), res.Error)
		}
		created = int(res.RowsAffected)
		return nil
	}, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return 0, err
	}
	return created, nil
}

// placeholders is "(?, ?), (?, ?)" for rows of cols values.
func placeholders(rows, cols int) string {
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	return strings.Repeat(row+", ", rows-1) + row
}
