// Compiles ../TestUSDT.sol with the pinned solcjs and writes TestUSDT.abi and TestUSDT.bin beside it.
// Settings are fixed (optimizer, EVM version, no metadata hash) so that the bytecode is reproducible.
'use strict';

const fs = require('fs');
const path = require('path');
const solc = require('solc');

const dir = path.resolve(__dirname, '..');
const source = fs.readFileSync(path.join(dir, 'TestUSDT.sol'), 'utf8');

const input = {
  language: 'Solidity',
  sources: { 'TestUSDT.sol': { content: source } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: 'cancun',
    metadata: { bytecodeHash: 'none', appendCBOR: false },
    outputSelection: { 'TestUSDT.sol': { TestUSDT: ['abi', 'evm.bytecode.object'] } },
  },
};

const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === 'error');
for (const e of output.errors || []) {
  process.stderr.write(e.formattedMessage + '\n');
}
if (errors.length > 0) {
  process.exit(1);
}
const contract = output.contracts['TestUSDT.sol'].TestUSDT;
fs.writeFileSync(path.join(dir, 'TestUSDT.abi'), JSON.stringify(contract.abi, null, 2) + '\n');
fs.writeFileSync(path.join(dir, 'TestUSDT.bin'), contract.evm.bytecode.object + '\n');
process.stdout.write('compiled TestUSDT with solc ' + solc.version() + '\n');
