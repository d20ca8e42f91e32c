package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"paysuite/pkg/keystore"
)

// envSection is a commented group of KEY=VALUE lines of an environment file.
type envSection struct {
	comment string // one or more lines, written as # comments
	vars    []envVar
}

type envVar struct{ key, value string }

// plainValue holds the characters a value may carry unquoted, read alike by
// a POSIX shell, docker compose and systemd: anything else is single-quoted,
// which all three read literally (no $ expansion, no # comments).
func plainValue(v string) bool {
	for _, r := range v {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("_./:,@%+=-", r)) {
			return false
		}
	}
	return true
}

// checkValue refuses what no quoting of an environment file line carries
// alike for a shell and docker compose.
func checkValue(name, v string) error {
	if strings.ContainsAny(v, "'\r\n\x00") {
		return fmt.Errorf("%s: must not hold a quote (') or a line break", name)
	}
	return nil
}

// renderEnv writes the sections as an environment file: KEY=VALUE lines,
// values single-quoted where a shell would read them otherwise.
func renderEnv(header string, sections []envSection) ([]byte, error) {
	var b strings.Builder
	writeComment(&b, header)
	for _, s := range sections {
		b.WriteString("\n")
		writeComment(&b, s.comment)
		for _, v := range s.vars {
			if err := checkValue(v.key, v.value); err != nil {
				return nil, err
			}
			if plainValue(v.value) {
				fmt.Fprintf(&b, "%s=%s\n", v.key, v.value)
			} else {
				fmt.Fprintf(&b, "%s='%s'\n", v.key, v.value)
			}
		}
	}
	return []byte(b.String()), nil
}

func writeComment(b *strings.Builder, text string) {
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if line == "" {
			b.WriteString("#\n")
			continue
		}
		b.WriteString("# " + line + "\n")
	}
}

// errExists is returned when the environment file exists and --force was
// not given.
var errExists = errors.New("exists: give --force to replace it")

// refuseExisting fails early, before any key is made, when path exists and
// may not be replaced.
func refuseExisting(path string, force bool) error {
	if _, err := os.Lstat(path); err == nil && !force {
		return fmt.Errorf("%s %w", path, errExists)
	}
	return nil
}

// writeEnvFile writes data to path with mode 0600. Without force an existing
// file is never touched; with it, the file is replaced whole (written beside
// it, then renamed), so a reader never sees half of it.
func writeEnvFile(path string, data []byte, force bool) error {
	if !force {
		err := keystore.WriteNew(path, data)
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s %w", path, errExists)
		}
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; removes it after a failure
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
