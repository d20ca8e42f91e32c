// Package column fits text to the notifier's VARCHAR columns.
package column

import (
	"strings"
	"unicode/utf8"
)

// Fit returns s as a utf8mb4 VARCHAR(chars) column stores it whole: valid
// UTF-8 (invalid bytes replaced with U+FFFD), cut to at most chars
// characters. The column counts characters, not bytes, and refuses invalid
// UTF-8: a text cut in the middle of a character would fail every time it is
// written, and one cut to chars bytes would lose most of a non-ASCII text.
func Fit(s string, chars int) string {
	s = strings.ToValidUTF8(s, string(utf8.RuneError))
	if len(s) <= chars {
		return s // never more characters than bytes
	}
	n := 0
	for i := range s {
		if n == chars {
			return s[:i]
		}
		n++
	}
	return s
}
