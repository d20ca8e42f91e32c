package app

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"paysuite/pkg/config/onchain"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/payoutapp"
	"paysuite/pkg/tokens"
	"paysuite/services/pay/internal/config"
	"paysuite/services/pay/internal/store"
)

// sweepsOperator is pay's Operator on a fresh schema, serving both
// development chains (USDT with 6 decimals on ETH, 18 on BSC), with the rows
// inserted.
func sweepsOperator(t *testing.T, inserts ...string) payoutapp.Operator {
	t.Helper()
	var cfg config.Config
	cfg.DB = dbtest.Config(t)
	for _, ch := range []onchain.Chain{onchain.DevChains["ETH"], onchain.DevChains["BSC"]} {
		list, err := tokens.Parse(ch.TokenList)
		if err != nil {
			t.Fatal(err)
		}
		ch.Tokens = list
		cfg.List = append(cfg.List, ch)
	}
	gdb := dbtest.OpenConfig(t, cfg.DB, store.Migrations())
	for _, q := range inserts {
		if err := gdb.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	return Operator(cfg)
}

// runSweeps runs `pay sweeps args` and returns its output as lines.
func runSweeps(t *testing.T, op payoutapp.Operator, args ...string) ([]string, error) {
	t.Helper()
	var out bytes.Buffer
	err := op.Run(t.Context(), append([]string{"sweeps"}, args...), &out, zerolog.Nop())
	return strings.Split(strings.TrimSpace(out.String()), "\n"), err
}

const sweepsUSDT = "0x5fbdb2315678afecb367f032d93f642f64180aa3"

// TestSweepsCommand: `pay sweeps` lists the sweeps of a state (the open ones
// by default) and of a chain, amounts in the token's own decimals and gas in
// the chain's coin, with a total per chain.
func TestSweepsCommand(t *testing.T) {
	failed := "its gas funding 0xabc ended failed"
	op := sweepsOperator(t,
		`INSERT INTO sweeps (chain, address, token, symbol, amount_units, collect_units, cold_units, state, open_key,
		fund_rounds, funded_wei, gas_wei, error, created_at) VALUES
		('ETH', '0x00000000000000000000000000000000000000a1', '`+sweepsUSDT+`', 'USDT', 150000000, 150000000, 0,
			'funding', 'ETH:a1', 1, 0, 0, NULL, NOW(6) - INTERVAL 90 SECOND),
		('ETH', '0x00000000000000000000000000000000000000a2', '`+sweepsUSDT+`', 'USDT', 250500000, 200000000, 50500000,
			'sweeping', 'ETH:a2', 0, 0, 21000000000000, NULL, NOW(6)),
		('ETH', '0x00000000000000000000000000000000000000a3', '`+sweepsUSDT+`', 'USDT', 100000000, 100000000, 0,
			'done', NULL, 1, 0, 1500000000000000, NULL, NOW(6)),
		('BSC', '0x00000000000000000000000000000000000000b1', '`+sweepsUSDT+`', 'USDT', 120000000000000000000, 120000000000000000000, 0,
			'sweeping', 'BSC:b1', 1, 0, 100000000000000000, NULL, NOW(6)),
		('BSC', '0x00000000000000000000000000000000000000b2', '`+sweepsUSDT+`', 'USDT', 5000000000000000000, 5000000000000000000, 0,
			'failed', NULL, 1, 0, 0, '`+failed+`', NOW(6))`)

	tests := []struct {
		args []string
		ids  []string // the listed sweeps' ids, in order
		sums []string // the total lines
	}{
		{args: nil, ids: []string{"1", "2", "4"}, sums: []string{
			"ETH: 2 sweeps, 400.5 USDT (350 to collection, 50.5 to cold), gas 0.000021 ETH",
			"BSC: 1 sweep, 120 USDT (120 to collection, 0 to cold), gas 0.1 BNB",
		}},
		{args: []string{"--state", "all", "--chain", "ETH"}, ids: []string{"1", "2", "3"}, sums: []string{
			"ETH: 3 sweeps, 500.5 USDT (450 to collection, 50.5 to cold), gas 0.001521 ETH",
		}},
		{args: []string{"--state=done"}, ids: []string{"3"}, sums: []string{
			"ETH: 1 sweep, 100 USDT (100 to collection, 0 to cold), gas 0.0015 ETH",
		}},
		{args: []string{"--chain", "BSC", "--state", "failed"}, ids: []string{"5"}, sums: []string{
			"BSC: 1 sweep, 5 USDT (5 to collection, 0 to cold), gas 0 BNB",
		}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			lines, err := runSweeps(t, op, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			want := 1 + len(tt.ids) + len(tt.sums)
			if len(lines) != want || !strings.HasPrefix(lines[0], "ID ") {
				t.Fatalf("want a header, %d rows and %d totals, got:\n%s", len(tt.ids), len(tt.sums), strings.Join(lines, "\n"))
			}
			for i, id := range tt.ids {
				if f := strings.Fields(lines[1+i]); f[0] != id {
					t.Errorf("row %d: %q, want sweep %s", i, lines[1+i], id)
				}
			}
			for i, sum := range tt.sums {
				if got := lines[1+len(tt.ids)+i]; got != sum {
					t.Errorf("total %d: %q, want %q", i, got, sum)
				}
			}
		})
	}

	// The columns of one row: amounts in whole tokens, gas in the coin.
	lines, err := runSweeps(t, op, "--state", "all")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, l := range lines[1:6] {
		f := strings.Fields(l)
		rows[f[0]] = f
	}
	want := map[string]string{
		"1": "1 ETH 0x00000000000000000000000000000000000000a1 USDT 150 150 0 funding 1 0 ETH 1m3",
		"2": "2 ETH 0x00000000000000000000000000000000000000a2 USDT 250.5 200 50.5 sweeping 0 0.000021 ETH",
		"4": "4 BSC 0x00000000000000000000000000000000000000b1 USDT 120 120 0 sweeping 1 0.1 BNB",
		"5": "5 BSC 0x00000000000000000000000000000000000000b2 USDT 5 5 0 failed 1 0 BNB",
	}
	for id, prefix := range want {
		if got := strings.Join(rows[id], " "); !strings.HasPrefix(got, prefix) {
			t.Errorf("sweep %s: %q, want it to start with %q", id, got, prefix)
		}
	}
	if !strings.HasSuffix(strings.Join(rows["5"], " "), " "+failed) {
		t.Errorf("failed sweep: %q, want its error last", rows["5"])
	}
	if !strings.HasSuffix(strings.Join(rows["4"], " "), " -") {
		t.Errorf("sweep without error: %q, want - last", rows["4"])
	}
}

// TestSweepsCommandEmpty: nothing to list is said in words.
func TestSweepsCommandEmpty(t *testing.T) {
	op := sweepsOperator(t)
	for _, tt := range []struct{ args, want string }{{"", "no open sweeps"}, {"--state all", "no sweeps"}, {"--state failed", "no failed sweeps"}} {
		lines, err := runSweeps(t, op, strings.Fields(tt.args)...)
		if err != nil || len(lines) != 1 || lines[0] != tt.want {
			t.Errorf("sweeps %s = %q, %v, want %q", tt.args, lines, err, tt.want)
		}
	}
}

// TestSweepsCommandRefuses: a command line not understood is a usage error,
// and a chain that is not configured is named in the error.
func TestSweepsCommandRefuses(t *testing.T) {
	op := sweepsOperator(t)
	for _, args := range [][]string{{"--state", "pending"}, {"--state"}, {"--limit", "3"}, {"open"}} {
		if _, err := runSweeps(t, op, args...); !errors.Is(err, payoutapp.ErrUsage) {
			t.Errorf("sweeps %q = %v, want ErrUsage", args, err)
		}
	}
	if _, err := runSweeps(t, op, "--chain", "TRON"); err == nil || errors.Is(err, payoutapp.ErrUsage) || !strings.Contains(err.Error(), "TRON") {
		t.Errorf("sweeps --chain TRON = %v, want an error naming the chain", err)
	}
	if usage := op.Usage(); !strings.Contains(usage, "pay sweeps [--state open|done|failed|all] [--chain NAME]") {
		t.Errorf("usage does not show sweeps:\n%s", usage)
	}
}
