# One command per habit: `make up` runs the suite locally, `make test` tests it.
# `make help` lists the rest.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

export PATH := /usr/local/go/bin:$(PATH)
# The VCS stamp needs git metadata that CI clones and container builds may lack.
export GOFLAGS ?= -buildvcs=false

GO ?= go
# Every directory of services/ with a main.go is a binary (the services and
# payctl), and so is every services/<name>/cmd/<tool> (keygen).
SERVICE_MAINS := $(sort $(wildcard services/*/main.go) $(wildcard services/*/cmd/*/main.go))
BINARIES := $(notdir $(patsubst %/main.go,%,$(SERVICE_MAINS)))
BINARY_PKGS := $(addprefix ./,$(patsubst %/main.go,%,$(SERVICE_MAINS)))
# Tools run at a pinned version through the module proxy, never installed globally.
STATICCHECK_VERSION := v0.8.2
GOTESTSUM_VERSION := v1.13.0
TEST_TIMEOUT ?= 40m
# Test binaries run three at a time: most tests wait on blocks, the broker and
# the database rather than on the two cores, and the end-to-end package alone
# takes most of a run.
TEST_PARALLEL ?= 3

# Package patterns of every workspace module (./pkg/... ./services/topup/... ...),
# read from go.work when a recipe runs, so new modules are picked up.
PKGS = $$(scripts/modules.sh --patterns)
MODULES = $$(scripts/modules.sh)

.PHONY: help
help: ## List the targets with what they do.
	@echo 'Usage: make <target>'
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: infra
infra: ## Make sure the local RabbitMQ and MariaDB are up (starts or installs them).
	@scripts/ensure-infra.sh

.PHONY: build
build: ## Build every binary of services/ into bin/ (the services, payctl, keygen).
	@mkdir -p bin
	$(GO) build -o bin/ $(BINARY_PKGS)

.PHONY: up
up: infra build ## Start devchain and every service in the background (settings: deploy/dev.env, logs: .run/).
	@scripts/up.sh

.PHONY: down
down: ## Stop the services that `make up` started.
	@scripts/down.sh

.PHONY: test
test: infra ## Run every module's tests with the race detector against the local infrastructure.
	@echo "go test -race -count=1 -p $(TEST_PARALLEL) -timeout $(TEST_TIMEOUT) $(PKGS)"
	@$(GO) run gotest.tools/gotestsum@$(GOTESTSUM_VERSION) --format pkgname-and-test-fails \
		-- -race -count=1 -p $(TEST_PARALLEL) -timeout $(TEST_TIMEOUT) $(PKGS)

.PHONY: lint
lint: ## Check formatting (gofmt), go vet and staticcheck on every module.
	@unformatted=$$(gofmt -l $(MODULES)); \
	if [[ -n "$$unformatted" ]]; then \
		echo "gofmt: these files need formatting (gofmt -w):"; echo "$$unformatted"; exit 1; \
	fi
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) $(PKGS)

.PHONY: chaos
chaos: infra ## Fault injection under mixed load (also restarts RabbitMQ and MariaDB), nodes of a RabbitMQ cluster killed, then the other fault tests.
	CHAOS=full $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) -v -run 'TestChaos$$' ./services/e2e/ | \
		grep -v -e '^=== ' -e '^    --- '
	CHAOS=full $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) -v -run 'TestClusterFailover$$' ./services/e2e/ | \
		grep -v -e '^=== ' -e '^    --- '
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) \
		-run 'Shutdown|Killed|BrokerConnectionsClosed|Failover|Crash' -skip 'TestClusterFailover' ./services/e2e/

.PHONY: bench
bench: infra ## Run the benchmarks at full size and write BENCHMARKS.md (BENCH_SHORT=1: a quick check).
	@scripts/bench.sh

# How long `make fuzz` runs each fuzz target.
FUZZTIME ?= 20s

.PHONY: fuzz
fuzz: ## Run every fuzz target (func Fuzz* in pkg/ and services/) for FUZZTIME (default 20s), one after another.
	@for file in $$(grep -rl --include='*_test.go' '^func Fuzz' pkg services | sort); do \
		for name in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$file"); do \
			echo "go test -run '^$$' -fuzz '^$$name$$' -fuzztime $(FUZZTIME) ./$$(dirname "$$file")"; \
			$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "./$$(dirname "$$file")"; \
		done; \
	done

.PHONY: tidy-check
tidy-check: ## Fail if any module's go.mod or go.sum is not what `go mod tidy` makes of it.
	@failed=0; \
	for m in $(MODULES); do \
		if ! (cd "$$m" && $(GO) mod tidy -diff); then \
			echo "tidy-check: $$m is not tidy (run: cd $$m && go mod tidy)"; failed=1; \
		fi; \
	done; \
	exit $$failed

.PHONY: reset
reset: ## Start over: stop the services, remove the chain's data (.run/devchain), drop the suite's schemas, empty its queues.
	@scripts/down.sh --reset

.PHONY: clean
clean: reset ## Start over as `make reset` does, then remove bin/ and .run/.
	rm -rf bin .run
