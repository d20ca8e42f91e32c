package redact_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"paysuite/pkg/redact"
)

func TestURL(t *testing.T) {
	cases := []struct{ in, want string }{
		{"http://127.0.0.1:8545", "http://127.0.0.1:8545"},
		{"http://127.0.0.1:8545/", "http://127.0.0.1:8545"},
		{"https://mainnet.infura.io/v3/0123456789abcdef", "https://mainnet.infura.io/xxxxx"},
		{"wss://user:pass@node.example:8546/ws", "wss://xxxxx@node.example:8546/xxxxx"},
		{"https://node.example/?apikey=0123456789abcdef", "https://node.example?xxxxx"},
		{"https://node.example?apikey=0123456789abcdef", "https://node.example?xxxxx"},
		{"not a url", "(invalid url)"},
		{"http://node.example:bad/KEY", "(invalid url)"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got := redact.URL(c.in); got != c.want {
				t.Fatalf("URL(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

// TestError hides every secret part of a URL from the messages that quote it,
// whole or in part, and keeps what the error is.
func TestError(t *testing.T) {
	const key = "0123456789abcdef0123"
	cases := []struct {
		name, url, msg string
		secrets        []string
	}{
		{"path key, whole URL quoted", "https://mainnet.infura.io/v3/" + key,
			`Post "https://mainnet.infura.io/v3/` + key + `": dial tcp: connection refused`, []string{key}},
		{"password stripped by net/http", "https://user:s3cretpass@node.example/" + key,
			`Post "https://user:***@node.example/` + key + `": EOF`, []string{key, "s3cretpass"}},
		{"credentials", "wss://user:s3cretpass@node.example/ws",
			`dial wss://user:s3cretpass@node.example/ws: refused`, []string{"s3cretpass", "user:"}},
		{"query key", "https://node.example/rpc?apikey=" + key,
			`Post "https://node.example/rpc?apikey=` + key + `": timeout; apikey ` + key, []string{key}},
		{"URL that does not parse", "http://node.example:bad/" + key,
			`parse "http://node.example:bad/` + key + `": invalid port`, []string{key}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := redact.Error(fmt.Errorf("%s: %w", c.msg, context.DeadlineExceeded), c.url)
			for _, s := range c.secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("%q shows %q", err, s)
				}
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%v no longer wraps the cause", err)
			}
		})
	}
	plain := errors.New("connection refused")
	if got := redact.Error(plain, "https://node.example/"+key); got != plain {
		t.Errorf("an error without the URL became %v", got)
	}
	if redact.Error(nil, "https://node.example/"+key) != nil {
		t.Error("nil became an error")
	}
}
