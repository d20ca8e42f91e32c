package watchset

import (
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func addressOf(i uint64) common.Address {
	var a common.Address
	binary.BigEndian.PutUint64(a[12:], i)
	a[0] = 0xaa
	return a
}

func TestSetOwners(t *testing.T) {
	s := New(0)
	a, b := addressOf(1), addressOf(2)
	s.Add(a, "topup")
	s.Add(b, "matcher")
	if o, ok := s.Owner(a); !ok || o != "topup" {
		t.Fatalf("Owner(a) = %q, %v", o, ok)
	}
	if o, ok := s.Owner(b); !ok || o != "matcher" {
		t.Fatalf("Owner(b) = %q, %v", o, ok)
	}
	if _, ok := s.Owner(addressOf(3)); ok {
		t.Fatal("unwatched address reported as watched")
	}
	if s.Len() != 2 {
		t.Fatalf("Len = %d", s.Len())
	}
}

// BenchmarkMillionAddresses reports the heap the set needs for 1,000,000
// addresses and the cost of one lookup among them.
func BenchmarkMillionAddresses(b *testing.B) {
	const n = 1_000_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := New(n)
	for i := uint64(0); i < n; i++ {
		s.Add(addressOf(i), "topup")
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := s.Owner(addressOf(uint64(i % (2 * n)))); ok != (i%(2*n) < n) {
			b.Fatal("wrong membership")
		}
	}
	b.ReportMetric(heap, "heap-MiB")
}
