package payoutapp

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/config/payout"
	"paysuite/pkg/db"
	"paysuite/pkg/keystore"
	"paysuite/pkg/pendinglist"
	"paysuite/pkg/txsender"
)

// Operator is the operator commands of a payout service: the list of its
// requests without a final answer yet, and the nonce repair of the addresses
// it signs for, run against its schema beside the running service.
type Operator struct {
	// Name is the service's binary; Noun names its requests ("withdrawals").
	Name string
	Noun string
	// RepairFor says in the usage whose signing repair-nonces repairs.
	RepairFor string
	// PendingQuery lists the requests whose state is not Done, in
	// pendinglist's columns.
	PendingQuery string
	Done         string

	Service    *payout.Service
	Migrations fs.FS
	// Signer reads the service's keys (first, so that a configuration error
	// is reported before anything is dialled) and says how to build the
	// sender's Keys in the opened schema.
	Signer func() (func(gdb *gorm.DB) txsender.Keys, error)
	// Commands are the service's own operator commands, beside pending and
	// repair-nonces.
	Commands []Command
}

// Command is an operator command of one service, run against its schema
// (opened) and its chains (dialled).
type Command struct {
	// Name is the first argument that runs it; Usage its usage lines, after
	// the binary's name.
	Name  string
	Usage string
	// Help says what it does, in the usage text.
	Help string
	// Dial says whether it needs the chains' nodes (CommandEnv.Chains).
	Dial bool
	Run  func(ctx context.Context, env CommandEnv, args []string, out io.Writer) error
}

// CommandEnv is what a Command works with.
type CommandEnv struct {
	DB     *gorm.DB
	Chains []*Chain
	Log    zerolog.Logger
}

// HotOnly is the Signer of a service that signs with its hot wallet alone,
// whose key hotKey reads.
func HotOnly(hotKey func() (*ecdsa.PrivateKey, error)) func() (func(gdb *gorm.DB) txsender.Keys, error) {
	return func() (func(gdb *gorm.DB) txsender.Keys, error) {
		key, err := hotKey()
		if err != nil {
			return nil, err
		}
		return func(*gorm.DB) txsender.Keys { return keystore.Only(key) }, nil
	}
}

// Usage is the usage text of the service's binary.
func (o Operator) Usage() string {
	text := Usage(o.Name, o.Noun, o.RepairFor)
	for _, c := range o.Commands {
		text += commandUsage(o.Name+" "+c.Usage, c.Help)
	}
	return text
}

// Run runs the operator command of args: pending, or repair-nonces with
// --apply or not; anything else is ErrUsage.
func (o Operator) Run(ctx context.Context, args []string, out io.Writer, log zerolog.Logger) error {
	switch {
	case len(args) == 1 && args[0] == "pending":
		gdb, closeDB, err := o.open(ctx, log)
		if err != nil {
			return err
		}
		defer closeDB()
		return o.PrintPending(ctx, gdb, out)
	case len(args) >= 1 && args[0] == "repair-nonces":
		apply, err := repairArgs(args[1:])
		if err != nil {
			return err
		}
		return o.repairNonces(ctx, apply, out, log)
	}
	for _, c := range o.Commands {
		if len(args) >= 1 && args[0] == c.Name {
			return o.runCommand(ctx, c, args[1:], out, log)
		}
	}
	return ErrUsage
}

// runCommand runs c with the schema opened and, if it needs them, the
// chains dialled.
func (o Operator) runCommand(ctx context.Context, c Command, args []string, out io.Writer, log zerolog.Logger) error {
	var chains []*Chain
	if c.Dial {
		var err error
		if chains, err = DialChains(ctx, o.Service, log); err != nil {
			return err
		}
		defer CloseNodes(chains)
	}
	gdb, closeDB, err := o.open(ctx, log)
	if err != nil {
		return err
	}
	defer closeDB()
	return c.Run(ctx, CommandEnv{DB: gdb, Chains: chains, Log: log}, args, out)
}

// PrintPending lists the requests without a final answer yet, with their
// current transaction, oldest first.
func (o Operator) PrintPending(ctx context.Context, gdb *gorm.DB, out io.Writer) error {
	return pendinglist.Print(ctx, gdb, out, o.PendingQuery, o.Noun, o.Done)
}

// repairArgs reads repair-nonces' arguments: nothing, or --apply.
func repairArgs(args []string) (apply bool, err error) {
	switch {
	case len(args) == 0:
		return false, nil
	case len(args) == 1 && (args[0] == "--apply" || args[0] == "-apply"):
		return true, nil
	default:
		return false, ErrUsage
	}
}

// repairNonces runs the sender's nonce repair for the service's addresses on
// every chain, beside the running service: it works in the service's schema
// under the same locks as the service's replicas, whose trackers then send
// what it signed.
func (o Operator) repairNonces(ctx context.Context, apply bool, out io.Writer, log zerolog.Logger) error {
	keys, err := o.Signer()
	if err != nil {
		return err
	}
	repair := Command{Dial: true, Run: func(ctx context.Context, env CommandEnv, _ []string, out io.Writer) error {
		var failed []error
		for _, ch := range env.Chains {
			if len(env.Chains) > 1 {
				fmt.Fprintf(out, "chain %s:\n", ch.Name)
			}
			repairer, err := txsender.NewRepairer(ctx, env.DB, ch.Node, keys(env.DB), o.Service.SenderOn(ch.Chain), ch.Log)
			if err == nil {
				err = repairer.WriteRepairs(ctx, out, apply)
			}
			if err != nil {
				failed = append(failed, fmt.Errorf("chain %s: %w", ch.Name, err))
			}
		}
		return errors.Join(failed...)
	}}
	return o.runCommand(ctx, repair, nil, out, log)
}

// open opens the service's schema for one command, and says how to close it.
func (o Operator) open(ctx context.Context, log zerolog.Logger) (*gorm.DB, func(), error) {
	gdb, err := db.Open(ctx, o.Service.DB, o.Migrations, log)
	if err != nil {
		return nil, nil, err
	}
	return gdb, func() {
		if sqlDB, err := gdb.DB(); err == nil {
			_ = sqlDB.Close()
		}
	}, nil
}
