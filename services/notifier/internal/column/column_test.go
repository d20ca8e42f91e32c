package column

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFit(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		chars int
		want  string
	}{
		{"short ASCII kept", "example.com", 255, "example.com"},
		{"long ASCII cut", strings.Repeat("a", 300), 255, strings.Repeat("a", 255)},
		{"non-ASCII counted in characters", strings.Repeat("é", 300), 255, strings.Repeat("é", 255)},
		{"non-ASCII within the width kept whole", strings.Repeat("日", 200), 255, strings.Repeat("日", 200)},
		{"four-byte characters", strings.Repeat("😀", 10), 3, "😀😀😀"},
		{"mixed, cut after a full character", "ab€cd", 3, "ab€"},
		{"invalid bytes replaced", "host\xff\xfe.example", 255, "host\uFFFD.example"},
		{"zero width", "abc", 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Fit(c.in, c.chars)
			if got != c.want {
				t.Errorf("Fit(%q, %d) = %q, want %q", c.in, c.chars, got, c.want)
			}
			if !utf8.ValidString(got) || utf8.RuneCountInString(got) > c.chars {
				t.Errorf("Fit(%q, %d) = %q: not valid UTF-8 of at most %d characters", c.in, c.chars, got, c.chars)
			}
		})
	}
}
