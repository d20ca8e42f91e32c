// Package pkg holds the shared building blocks of the payment suite.
package pkg
