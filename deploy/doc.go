// Package deploy holds the suite's deployment files (Dockerfile, Compose
// override, MySQL init script, development settings) and the tests that check
// the invariants the Compose files must keep; it has no code of its own.
package deploy
