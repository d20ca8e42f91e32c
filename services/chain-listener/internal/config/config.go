// Package config holds the chain-listener's configuration, read from the environment.
package config

import (
	"strconv"
	"strings"
	"time"

	"paysuite/pkg/broker"
	"paysuite/pkg/config"
	"paysuite/pkg/config/onchain"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
)

// Config is everything the chain-listener reads from the environment.
type Config struct {
	config.Common
	DB     db.Config
	Broker broker.Config
	Names  contract.Names
	// Chains are the chains followed, each by a scanner of its own.
	onchain.Chains

	Schema string `env:"MYSQL_SCHEMA" envDefault:"paysuite_listener"`
	// WSURL is the node's websocket endpoint of the single-chain form (without
	// CHAINS), followed for new heads when set; with CHAINS each chain has its
	// CHAIN_<NAME>_WS_URL.
	WSURL        string        `env:"ETH_WS_URL" envDefault:"ws://127.0.0.1:8546"`
	StartBlock   string        `env:"START_BLOCK" envDefault:"latest"`
	PollInterval time.Duration `env:"POLL_INTERVAL" envDefault:"1s"`
	BatchBlocks  uint64        `env:"SCAN_BATCH_BLOCKS" envDefault:"100"`
	// Backfill is how far back an address registered without a from block
	// (by an owner of an older version) is looked for.
	Backfill uint64 `env:"WATCH_BACKFILL_BLOCKS" envDefault:"256"`
	// MaxBackfill bounds how far back any new address is looked for; older
	// blocks take an operator's rescan.
	MaxBackfill uint64 `env:"WATCH_BACKFILL_MAX_BLOCKS" envDefault:"100000"`
	// BackfillChunk is the most blocks one backfill request covers.
	BackfillChunk uint64 `env:"WATCH_BACKFILL_CHUNK_BLOCKS" envDefault:"2000"`
	// BackfillAlertAfter is how long addresses may wait for their backfill
	// before an alert.
	BackfillAlertAfter time.Duration `env:"WATCH_BACKFILL_ALERT_AFTER" envDefault:"5m"`
	LeaderTTL          time.Duration `env:"LEADER_TTL" envDefault:"6s"`
	Workers            int           `env:"WATCH_WORKERS" envDefault:"4"`
	// MaxLagBlocks is how far behind the head the leader may be: beyond it
	// /readyz fails, and for longer than MaxLagFor an alert is raised.
	MaxLagBlocks uint64        `env:"MAX_LAG_BLOCKS" envDefault:"50"`
	MaxLagFor    time.Duration `env:"MAX_LAG_ALERT_AFTER" envDefault:"2m"`
	// AlertRepeat is how often an alert is raised again while its
	// condition lasts (the notifier rate-limits further).
	AlertRepeat time.Duration `env:"REPEAT_ALERTS_AFTER" envDefault:"10m"`

	// Start is the first block to scan on a fresh database; nil means the head at first start.
	Start *uint64 `env:"-"`
}

// Validate checks the values and derives the parsed fields.
func (c *Config) Validate() error {
	c.DB.Schema = c.Schema
	if err := config.Validate(c.Common.Validate, c.DB.Validate, c.Broker.Validate, c.Chains.Validate); err != nil {
		return err
	}
	if c.WSURL != "" && !strings.HasPrefix(c.WSURL, "ws://") && !strings.HasPrefix(c.WSURL, "wss://") {
		return config.VarError("ETH_WS_URL", "must be a ws(s) URL or empty")
	}
	if len(c.List) == 1 && c.List[0].ChainID == 0 {
		c.List[0].WSURL = c.WSURL // the single-chain form: the chain of CHAIN, ETH_RPC_URL and ETH_WS_URL
	}
	if c.StartBlock != "latest" {
		n, err := strconv.ParseUint(c.StartBlock, 10, 64)
		if err != nil {
			return config.VarError("START_BLOCK", "must be a block number or latest")
		}
		c.Start = &n
	}
	if c.BatchBlocks == 0 || c.BatchBlocks > 5000 {
		return config.VarError("SCAN_BATCH_BLOCKS", "must be 1..5000")
	}
	if c.LeaderTTL < time.Second {
		return config.VarError("LEADER_TTL", "must be at least 1s")
	}
	if c.PollInterval <= 0 {
		return config.VarError("POLL_INTERVAL", "must be positive")
	}
	if c.Workers < 1 {
		return config.VarError("WATCH_WORKERS", "must be at least 1")
	}
	if c.MaxBackfill < max(c.Backfill, 1) {
		return config.VarError("WATCH_BACKFILL_MAX_BLOCKS", "must be at least 1 and WATCH_BACKFILL_BLOCKS")
	}
	if c.BackfillChunk == 0 || c.BackfillChunk > 100000 {
		return config.VarError("WATCH_BACKFILL_CHUNK_BLOCKS", "must be 1..100000")
	}
	for name, d := range map[string]time.Duration{
		"WATCH_BACKFILL_ALERT_AFTER": c.BackfillAlertAfter, "MAX_LAG_ALERT_AFTER": c.MaxLagFor, "REPEAT_ALERTS_AFTER": c.AlertRepeat,
	} {
		if d <= 0 {
			return config.VarError(name, "must be positive")
		}
	}
	return nil
}
