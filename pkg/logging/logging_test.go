package logging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestNewWriter(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		wantLines int // of one info and one warn line written
	}{
		{"default info", Config{Level: "info"}, 2},
		{"empty means info", Config{}, 2},
		{"warn hides info", Config{Level: "WARN"}, 1},
		{"error hides both", Config{Level: "error"}, 0},
		{"debug", Config{Level: "debug"}, 2},
		{"invalid falls back to info", Config{Level: "loud"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := NewWriter(&buf, "topup", tt.cfg)
			log.Info().Str("request_id", "r-1").Msg("hello")
			log.Warn().Msg("careful")
			lines := strings.FieldsFunc(buf.String(), func(r rune) bool { return r == '\n' })
			if len(lines) != tt.wantLines {
				t.Fatalf("got %d lines, want %d: %q", len(lines), tt.wantLines, buf.String())
			}
			for _, line := range lines {
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("line is not JSON: %q: %v", line, err)
				}
				if m["service"] != "topup" {
					t.Errorf("service = %v, want topup", m["service"])
				}
				if _, ok := m["time"]; !ok {
					t.Errorf("no timestamp in %q", line)
				}
			}
		})
	}
}

func TestPretty(t *testing.T) {
	var buf bytes.Buffer
	log := NewWriter(&buf, "topup", Config{Level: "info", Pretty: true})
	log.Info().Msg("hello")
	out := buf.String()
	if json.Valid([]byte(strings.TrimSpace(out))) {
		t.Fatalf("pretty output should not be JSON: %q", out)
	}
	if !strings.Contains(out, "hello") || !strings.Contains(out, "topup") {
		t.Fatalf("pretty output misses message or service: %q", out)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		level   string
		wantErr bool
	}{
		{"info", false}, {"debug", false}, {"ERROR", false}, {"", false}, {"disabled", false}, {"verbose", true},
	}
	for _, tt := range tests {
		err := Config{Level: tt.level}.Validate()
		if (err != nil) != tt.wantErr {
			t.Errorf("Validate(%q) = %v, wantErr %v", tt.level, err, tt.wantErr)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "LOG_LEVEL: ") {
			t.Errorf("error does not name the variable: %v", err)
		}
	}
}
