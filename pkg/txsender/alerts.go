package txsender

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"paysuite/pkg/events"
	"paysuite/pkg/outbox"
)

// Alert is an operator alert the sender raises. Kind is one of the alert
// kinds of pkg/events; Key groups the alerts of one incident (an address, a
// send); ID is unique per incident, so that the alert is raised once.
type Alert struct {
	Kind    string
	Key     string
	ID      string
	Message string
}

// Alerter is implemented by Hooks that can raise operator alerts. Alert runs
// inside the database transaction that records what the alert is about, so a
// service queues it in its outbox with that change; Committed is called after.
// Without it the sender only logs what it would have raised.
type Alerter interface {
	Alert(ctx context.Context, tx *gorm.DB, a Alert) error
}

// AlertingHooks gives a service's Hooks the Alerter that raises the sender's
// alerts.
type AlertingHooks struct {
	Hooks
	Alerter
}

// OutboxAlerts is the Alerter of a service with an outbox: each alert is
// sealed with Keys, as every internal message is, for the notifier, and
// queued in the outbox with the change it is about.
type OutboxAlerts struct {
	Keys    events.Keys
	Service string
}

// Alert implements Alerter.
func (o OutboxAlerts) Alert(_ context.Context, tx *gorm.DB, a Alert) error {
	msg, err := o.Keys.Alert("alert:"+o.Service+":"+a.ID,
		events.Alert{Kind: a.Kind, Key: a.Key, Service: o.Service, Message: a.Message, At: time.Now().Unix()})
	if err != nil {
		return err
	}
	return outbox.Add(tx, msg)
}

// raiseOnce records a.ID in tx_alerts and, the first time, hands a to the
// Alerter inside tx; it reports whether the alert was raised now.
func (s *Sender) raiseOnce(ctx context.Context, tx *gorm.DB, a Alert) (bool, error) {
	res := tx.WithContext(ctx).Exec("INSERT IGNORE INTO tx_alerts (alert_id) VALUES (?)", truncate(a.ID, 191))
	if res.Error != nil {
		return false, fmt.Errorf("record alert %s: %w", a.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	if s.alerter != nil {
		if err := s.alerter.Alert(ctx, tx, a); err != nil {
			return false, fmt.Errorf("raise %s alert: %w", a.Kind, err)
		}
	}
	s.log.Error().Str("alert", a.Kind).Str("key", a.Key).Msg(a.Message)
	return true, nil
}

// PurposeFiller labels the empty transactions the nonce repair signs to fill
// nonces no send holds. They are the sender's own: the owning service's hooks
// never see them.
const PurposeFiller = "nonce_filler"

// ownHooks hides the sender's own sends (fillers) from the service's hooks.
type ownHooks struct{ Hooks }

func (h ownHooks) Broadcast(ctx context.Context, tx *gorm.DB, s *Send) error {
	if s.Purpose == PurposeFiller {
		return nil
	}
	return h.Hooks.Broadcast(ctx, tx, s)
}

func (h ownHooks) Final(ctx context.Context, tx *gorm.DB, s *Send) error {
	if s.Purpose == PurposeFiller {
		return nil
	}
	return h.Hooks.Final(ctx, tx, s)
}
