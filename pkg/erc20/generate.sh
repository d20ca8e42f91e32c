#!/usr/bin/env bash
# Regenerates the compiled artifacts (<Name>.abi, <Name>.bin) and the Go bindings of every contract
# here from its .sol source: TestUSDT (testusdt.go) and FalseUSDT (falseusdt.go).
# Needs node/npm (the pinned solcjs is installed into .solc/node_modules) and the Go toolchain.
set -euo pipefail
cd "$(dirname "$0")"

(cd .solc && npm ci --no-audit --no-fund --silent)
node .solc/compile.js

for pair in TestUSDT:testusdt.go FalseUSDT:falseusdt.go; do
	name=${pair%%:*} out=${pair#*:}
	go run github.com/ethereum/go-ethereum/cmd/abigen@v1.17.10 --v2 \
		--abi "$name.abi" --bin "$name.bin" --pkg erc20 --type "$name" --out "$out"
	chmod 644 "$out"
done
