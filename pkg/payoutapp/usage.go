package payoutapp

import (
	"fmt"
	"strings"
)

// usageWidth is the width of the commands' descriptions in the usage text.
const usageWidth = 58

// Usage is the usage text of a payout service's binary name: noun names its
// requests in the pending list, and repairFor says whose signing
// repair-nonces repairs ("for the hot wallet when its signing is stopped").
func Usage(name, noun, repairFor string) string {
	const indent = "                           "
	var b strings.Builder
	b.WriteString("Usage:\n")
	fmt.Fprintf(&b, "  %-25srun the service\n", name)
	fmt.Fprintf(&b, "  %-25slist the %s without a final answer yet:\n", name+" pending", noun)
	b.WriteString(indent + "request id, state, transaction state, hash, nonce and age\n")
	fmt.Fprintf(&b, "  %s repair-nonces [--apply]\n", name)
	repair := repairFor + " (its nonces and the chain's disagree): say what was found and what the repair does; " +
		"with --apply do it and resume signing"
	for _, line := range wrap(repair, usageWidth) {
		b.WriteString(indent + line + "\n")
	}
	return b.String()
}

// commandUsage is the usage lines of a service's own command.
func commandUsage(line, help string) string {
	const indent = "                           "
	var b strings.Builder
	b.WriteString("  " + line + "\n")
	for _, l := range wrap(help, usageWidth) {
		b.WriteString(indent + l + "\n")
	}
	return b.String()
}

// wrap breaks text into lines of at most width bytes, between words.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		switch {
		case line == "":
			line = w
		case len(line)+1+len(w) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
