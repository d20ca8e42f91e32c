// Package app wires the notifier's parts together and runs them until the
// context ends.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/db"
	"paysuite/pkg/events"
	"paysuite/pkg/service"
	"paysuite/pkg/topology"
	"paysuite/services/notifier/internal/admin"
	"paysuite/services/notifier/internal/alerts"
	"paysuite/services/notifier/internal/column"
	"paysuite/services/notifier/internal/config"
	"paysuite/services/notifier/internal/inbox"
	"paysuite/services/notifier/internal/merchant"
	"paysuite/services/notifier/internal/store"
	"paysuite/services/notifier/internal/webhook"
)

// Consumers of the Webhook messages: batches of up to webhookBatch messages,
// one transaction each, form only while every worker is busy.
const (
	webhookWorkers = 4
	webhookBatch   = 50
)

// Name is the service's name, in its logs and alerts.
const Name = "notifier"

// Run starts the notifier and blocks until ctx is cancelled or a part fails.
func Run(ctx context.Context, cfg config.Config, log zerolog.Logger) error {
	topo := topology.Suite(cfg.Names)
	if cfg.MerchantEnabled() {
		// Declared only when used: nobody else reads this queue.
		topo.Queues = append(topo.Queues, merchant.Queue(cfg.Names))
	}
	base, err := service.Start(ctx, service.Options{
		HTTPAddr: cfg.HTTPAddr, Profiling: cfg.Profiling, DB: cfg.DB, Migrations: store.Migrations(),
		Broker: cfg.Broker, Topology: topo, Name: Name, InternalSecrets: cfg.InternalSecrets(),
	}, log)
	if err != nil {
		return err
	}
	st := store.New(base.DB)
	alerter := &alerts.Alerter{DB: base.DB, MinInterval: cfg.AlertMinInterval, Tick: time.Second, Log: log}
	if cfg.TelegramToken != "" {
		alerter.Sender = &alerts.Telegram{APIURL: cfg.TelegramAPIURL, Token: cfg.TelegramToken, ChatID: cfg.TelegramChatID,
			Client: &http.Client{Timeout: 20 * time.Second}}
	} else {
		log.Warn().Msg("TELEGRAM_BOT_TOKEN not set: operator alerts are only logged")
	}
	notices := &merchant.Notices{DB: base.DB, Kinds: cfg.MerchantNotices, SignSecrets: cfg.SignSecrets(),
		MinInterval: cfg.MerchantMinInterval, Tick: time.Second, Log: log}
	if cfg.MerchantEnabled() {
		notices.Sender = &alerts.Telegram{APIURL: cfg.TelegramAPIURL, Token: cfg.MerchantBotToken(),
			ChatID: cfg.MerchantTelegramChatID, Client: &http.Client{Timeout: 20 * time.Second}}
	}
	deliverer := &webhook.Deliverer{Store: st, Client: webhook.NewClient(cfg.Policy, cfg.Timeout),
		Secrets: cfg.WebhookSecrets, Schedule: cfg.Schedule, Timeout: cfg.Timeout, Workers: cfg.Workers,
		HostLimit: cfg.HostConcurrency, PollInterval: cfg.PollInterval, Owner: replicaName(), Log: log}
	if deliverer.Metrics, err = webhook.NewMetrics(base.Ops.Registry()); err != nil {
		return err
	}
	webhooks := &inbox.Handler{Store: st, OnDeliveries: deliverer.Kick, Log: log}
	internal, err := cfg.Broker.Internal()
	if err != nil {
		return err
	}
	// Each virtual host has its dead-letter queue: the internal one holds
	// the internal messages that failed, forged ones among them.
	dlq := &alerts.DeadLetterWatch{URL: cfg.Broker.URL, Queue: cfg.Broker.DeadQueue, Interval: cfg.DLQInterval,
		Alerter: alerter, Log: log}
	internalDLQ := &alerts.DeadLetterWatch{URL: internal.URL, Queue: cfg.Broker.DeadQueue, Vhost: "internal",
		Interval: cfg.DLQInterval, Alerter: alerter, Log: log}
	log.Info().Int("webhook_workers", cfg.Workers).
		Bool("telegram", alerter.Enabled()).Bool("merchant_notices", notices.Enabled()).Msg("notifier started")
	parts := []func(context.Context) error{
		deliverer.Run,
		alerter.Run,
		dlq.Run,
		internalDLQ.Run,
		func(ctx context.Context) error {
			// A forged Webhook message is dead-lettered by the guard: nobody
			// without the internal secret makes the notifier call a URL.
			return base.Guard().Consume(ctx, events.WebhookQueue, webhookWorkers, webhooks.Handle,
				broker.Batching{Max: webhookBatch, Handler: webhooks.HandleBatch})
		},
		func(ctx context.Context) error {
			// A forged alert is dead-lettered by the guard and never reaches
			// the operators' chat; the guard's own forged_message alert does.
			return base.Guard().Consume(ctx, events.AlertQueue, 2, alerter.HandleQueue, broker.Batching{})
		},
	}
	if notices.Enabled() {
		parts = append(parts, notices.Run, func(ctx context.Context) error {
			// The order returns come from the public exchange: a notice is
			// stored only for a return the suite signed.
			return base.MQ.Consume(ctx, merchant.QueueName, 2, notices.HandleQueue)
		})
	}
	return base.Run(ctx, parts...)
}

// Admin runs one operator command (see admin.Usage).
func Admin(ctx context.Context, cfg config.Config, args []string, log zerolog.Logger) error {
	gdb, err := db.Open(ctx, cfg.DB, store.Migrations(), log)
	if err != nil {
		return err
	}
	if sqlDB, err := gdb.DB(); err == nil {
		defer sqlDB.Close()
	}
	return admin.Run(ctx, store.New(gdb), args, os.Stdout)
}

// maxReplicaNameLen is what the lease_owner and worker columns hold.
const maxReplicaNameLen = 64

// replicaName identifies this process in leases and attempt records.
func replicaName() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	// The host is cut, not the suffix that tells replicas on one host apart.
	suffix := fmt.Sprintf("-%d-%s", os.Getpid(), hex.EncodeToString(b[:]))
	return column.Fit(host, maxReplicaNameLen-len(suffix)) + suffix
}
