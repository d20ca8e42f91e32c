package txsender

import (
	"os"
	"syscall"
)

// Points where the test-only crash hook can kill the process.
const (
	CrashAfterSign      = "after_sign"      // signed and stored, not broadcast
	CrashAfterBroadcast = "after_broadcast" // broadcast, not yet recorded as such
)

// crashPoint kills the process with SIGKILL when the configured crash point is
// reached, to prove in tests that a crash there neither loses nor doubles a
// payment; with a crash purpose set, only a send of that purpose reaches it.
// With a once-file it fires only if that file does not exist yet
// (creating it first), so the restarted process goes on normally.
func (s *Sender) crashPoint(point, purpose string) {
	if s.cfg.CrashAt == "" || s.cfg.CrashAt != point || (s.cfg.CrashPurpose != "" && s.cfg.CrashPurpose != purpose) {
		return
	}
	if f := s.cfg.CrashOnceFile; f != "" {
		fh, err := os.OpenFile(f, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return // it fired already (or the file cannot be made: do not crash blindly)
		}
		_ = fh.Close()
	}
	s.log.Warn().Str("point", point).Msg("test crash hook: killing the process")
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // SIGKILL cannot be caught; never go on past the crash point
}
