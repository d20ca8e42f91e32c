// Package e2e holds the end-to-end tests of the suite: the services run as real
// processes against RabbitMQ, MariaDB and the development chain.
package e2e
