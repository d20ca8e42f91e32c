// Package redact hides the secrets a node URL carries from errors, logs and
// status output: providers put API keys in the path (https://host/v3/KEY), the
// query (?apikey=KEY) or the user info (wss://user:pass@host).
package redact

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
)

// Mask stands for each hidden part.
const Mask = "xxxxx"

// minSecretLen is the shortest path segment or query value hidden wherever
// it appears on its own: API keys are longer, and hiding every short word of
// a URL would garble the messages it appears in.
const minSecretLen = 8

// URL names a node for logs and errors: its scheme and host, with Mask in
// place of its user info, path and query when it has them, e.g.
// "https://mainnet.example/xxxxx". A URL that does not parse is
// "(invalid url)".
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(invalid url)"
	}
	var b strings.Builder
	b.WriteString(u.Scheme + "://")
	if u.User != nil {
		b.WriteString(Mask + "@")
	}
	b.WriteString(u.Host)
	if u.Path != "" && u.Path != "/" || u.RawPath != "" {
		b.WriteString("/" + Mask)
	}
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteString("?" + Mask)
	}
	return b.String()
}

// Error returns err with raw, the URL it was made with, replaced by URL(raw)
// in its message, and the secret parts of raw replaced by Mask wherever they
// appear on their own (as in a message that quotes the URL with its password
// stripped). errors.Is and errors.As still reach err, whose own message is
// not to be printed. nil stays nil.
func Error(err error, raw string) error {
	if err == nil || raw == "" {
		return err
	}
	msg := err.Error()
	hidden := msg
	for _, s := range secrets(raw) {
		hidden = strings.ReplaceAll(hidden, s.text, s.with)
	}
	if hidden == msg {
		return err
	}
	return &redacted{msg: hidden, err: err}
}

type replacement struct{ text, with string }

// secrets lists what Error replaces in a message: the URL as written and as
// Go prints it, then its secret parts, longest first, so that a part of a
// longer secret is never replaced before the whole.
func secrets(raw string) []replacement {
	named := URL(raw)
	out := []replacement{{raw, named}}
	u, err := url.Parse(raw)
	if err != nil {
		// Hide the text after the host as a whole: it cannot be split up.
		if _, rest, ok := strings.Cut(raw, "://"); ok {
			if i := strings.IndexAny(rest, "/?#@"); i >= 0 {
				out = append(out, replacement{rest[i:], Mask})
			}
		}
		return out
	}
	out = append(out, replacement{u.String(), named}, replacement{u.Redacted(), named})
	var parts []string
	if u.User != nil {
		parts = append(parts, u.User.String(), u.User.Username())
		if p, ok := u.User.Password(); ok {
			parts = append(parts, p)
		}
	}
	if u.Path != "/" {
		parts = append(parts, u.Path, u.EscapedPath())
	}
	parts = append(parts, u.RawQuery, u.Fragment)
	if q, err := url.QueryUnescape(u.RawQuery); err == nil {
		parts = append(parts, q)
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if len(seg) >= minSecretLen {
			parts = append(parts, seg)
		}
	}
	for _, values := range u.Query() {
		for _, v := range values {
			if len(v) >= minSecretLen {
				parts = append(parts, v)
			}
		}
	}
	for _, p := range parts {
		if p != "" {
			out = append(out, replacement{p, Mask})
		}
	}
	// The whole URLs first, then the parts, each longest first.
	slices.SortStableFunc(out[3:], func(a, b replacement) int { return cmp.Compare(len(b.text), len(a.text)) })
	return out
}

// redacted is an error whose message hides the secrets of a URL.
type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }

func (e *redacted) Unwrap() error { return e.err }
