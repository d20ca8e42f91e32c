package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBinary writes a script that records each command line it runs with in
// the file ran, and points each of vars ($PAY_BIN, ...) at it, as payctl
// finds a service's binary.
func fakeBinary(t *testing.T, name string, vars ...string) (script, ran string) {
	t.Helper()
	dir := t.TempDir()
	ran, script = filepath.Join(dir, "args"), filepath.Join(dir, name)
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$0 $*\" >> "+ran+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, v := range vars {
		t.Setenv(v, script)
	}
	return script, ran
}

// takeRun returns the command lines recorded in ran and forgets them.
func takeRun(ran string) string {
	out, _ := os.ReadFile(ran)
	_ = os.Remove(ran)
	return strings.TrimSpace(string(out))
}
