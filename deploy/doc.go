// Package deploy holds the suite's deployment files (Dockerfile, Compose
// override and development opt-in, MySQL init script, the local RabbitMQ's
// configuration and definitions, development settings) and the tests that
// check the invariants they must keep; it has no code of its own.
package deploy
