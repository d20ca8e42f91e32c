package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkListenerMillionAddresses measures the chain-listener's resident
// memory once it holds 1,000,000 watched addresses. Run with -benchtime 1x.
func BenchmarkListenerMillionAddresses(b *testing.B) {
	const n = 1_000_000
	for i := 0; i < b.N; i++ {
		rss := listenerRSS(b, n)
		b.ReportMetric(float64(rss)/(1<<20), "rss-MiB")
	}
}

func listenerRSS(b *testing.B, n int) int64 {
	b.Helper()
	s := NewSuite(b)
	schema := s.dbSchema("chain-listener")
	// Create the schema through a first start, then fill it with n addresses.
	s.Start("chain-listener")
	s.WaitConsumers("internal.listener.watch.queue", 1)
	s.signal("chain-listener", syscall.SIGTERM)
	fill := "INSERT INTO watched (address, owner, backfill_pending) " +
		"SELECT CONCAT('0x', LPAD(HEX(seq), 40, '0')), 'topup', 0 FROM seq_1_to_" + strconv.Itoa(n)
	if out, err := exec.Command("mariadb", "-h127.0.0.1", "-uroot", schema, "-e", fill).CombinedOutput(); err != nil {
		b.Fatalf("fill watched addresses: %v %s", err, out)
	}
	s.Start("chain-listener")
	logs := strings.Fields(s.logs["chain-listener"])
	logPath := logs[len(logs)-1]
	deadline := time.Now().Add(3 * time.Minute)
	for {
		data, _ := os.ReadFile(logPath)
		if strings.Contains(string(data), `"watched":`+strconv.Itoa(n)) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("listener never loaded %d addresses:\n%s", n, data)
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.Mine(2) // let it scan with the full set in memory
	time.Sleep(2 * time.Second)
	return vmRSS(b, s.procs["chain-listener"].Process.Pid)
}

func vmRSS(b *testing.B, pid int) int64 {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb << 10
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
