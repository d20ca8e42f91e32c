#!/usr/bin/env bash
# Regenerates the compiled artifacts (<Name>.abi, <Name>.bin) of every contract here from its .sol
# source, and the Go binding of TestUSDT (testusdt.go). FalseUSDT has no binding: falseusdt.go
# embeds its artifacts.
# Needs node/npm (the pinned solcjs is installed into .solc/node_modules) and the Go toolchain.
set -euo pipefail
cd "$(dirname "$0")"

(cd .solc && npm ci --no-audit --no-fund --silent)
node .solc/compile.js

go run github.com/ethereum/go-ethereum/cmd/abigen@v1.17.10 --v2 \
	--abi TestUSDT.abi --bin TestUSDT.bin --pkg erc20 --type TestUSDT --out testusdt.go
chmod 644 testusdt.go
