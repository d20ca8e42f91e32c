package webhook_test

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"paysuite/pkg/db/dbtest"
	"paysuite/services/notifier/internal/store"
	"paysuite/services/notifier/internal/webhook"
)

// statusLineServer answers every request with a status line of line and
// closes the connection.
func statusLineServer(t *testing.T, line string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				if _, err := http.ReadRequest(bufio.NewReader(conn)); err != nil {
					return
				}
				_, _ = conn.Write([]byte(line + "\r\nContent-Length: 0\r\n\r\n"))
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/hook"
}

// TestLongNonASCIITextsRecorded delivers to an endpoint whose host and to one
// whose status line are long and not ASCII: each attempt and the final state
// are recorded (the texts cut to their columns at a character boundary), so
// the deliveries end failed instead of being attempted forever.
func TestLongNonASCIITextsRecorded(t *testing.T) {
	gdb := dbtest.Open(t, store.Migrations())
	d := newDeliverer(t, gdb, webhook.Policy{AllowLoopback: true}, []time.Duration{10 * time.Millisecond},
		2*time.Second, 2)
	run(t, d)
	label := strings.Repeat("é", 50)
	cases := []struct {
		name, requestID, url string
		hostChars            int
	}{
		{"long non-ASCII host", "host-1", "http://" + strings.TrimSuffix(strings.Repeat(label+".", 6), ".") + "/hook", 255},
		{"long non-ASCII status line", "status-1", statusLineServer(t, "HTTP/1.1 "+strings.Repeat("é€", 1000)), -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addReturn(t, gdb, c.requestID, c.url)
			waitFor(t, "failed", 20*time.Second, func() bool { return delivery(t, gdb, c.requestID).State == store.StateFailed })
			got := delivery(t, gdb, c.requestID)
			if got.Attempts != 2 || got.LastError == nil {
				t.Fatalf("attempts %d, last error %v: want 2 recorded attempts with their error", got.Attempts, got.LastError)
			}
			if n := utf8.RuneCountInString(*got.LastError); !utf8.ValidString(*got.LastError) || n > 1024 {
				t.Errorf("last error of %d characters, valid UTF-8 %t", n, utf8.ValidString(*got.LastError))
			}
			if c.hostChars > 0 {
				var host string
				if err := gdb.Raw("SELECT host FROM deliveries WHERE id = ?", got.ID).Scan(&host).Error; err != nil {
					t.Fatal(err)
				}
				if utf8.RuneCountInString(host) != c.hostChars || !strings.HasPrefix(host, label) {
					t.Errorf("host %q: want its first %d characters", host, c.hostChars)
				}
			}
			atts, err := store.New(gdb).Attempts(t.Context(), got.ID)
			if err != nil || len(atts) != 2 {
				t.Fatalf("attempts %v (%v), want 2", atts, err)
			}
		})
	}
}
