package ops

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(body)
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEndpoints(t *testing.T) {
	addr := freeAddr(t)
	s := New(addr, zerolog.Nop())
	var healthy atomic.Bool
	healthy.Store(true)
	s.AddCheck("database", func(context.Context) error {
		if healthy.Load() {
			return nil
		}
		return errors.New("down")
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()

	if code, _ := get(t, "http://"+addr+"/healthz"); code != 200 {
		t.Fatalf("/healthz = %d", code)
	}
	if code, _ := get(t, "http://"+addr+"/readyz"); code != 200 {
		t.Fatalf("/readyz = %d while healthy", code)
	}
	healthy.Store(false)
	if code, body := get(t, "http://"+addr+"/readyz"); code != 503 || !strings.Contains(body, "database: down") {
		t.Fatalf("/readyz = %d %q while the database is down", code, body)
	}
	if code, body := get(t, "http://"+addr+"/metrics"); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("/metrics = %d", code)
	}
	if code, _ := get(t, "http://"+addr+"/debug/pprof/"); code != 404 {
		t.Fatalf("/debug/pprof/ = %d without profiling enabled, want 404", code)
	}
	if Healthcheck(addr) != 0 {
		t.Fatal("Healthcheck failed against a live server")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if Healthcheck(addr) == 0 {
		t.Fatal("Healthcheck passed against a stopped server")
	}
}

func TestProfiling(t *testing.T) {
	addr := freeAddr(t)
	s := New(addr, zerolog.Nop())
	s.EnableProfiling()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	if code, body := get(t, "http://"+addr+"/debug/pprof/goroutine?debug=1"); code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Fatalf("goroutine profile = %d %.80q", code, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
