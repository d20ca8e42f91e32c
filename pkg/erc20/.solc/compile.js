// Compiles every contract of pkg/erc20 (../<Name>.sol) with the pinned solcjs and writes <Name>.abi and
// <Name>.bin beside each source.
// Settings are fixed (optimizer, EVM version, no metadata hash) so that the bytecode is reproducible.
'use strict';

const fs = require('fs');
const path = require('path');
const solc = require('solc');

const dir = path.resolve(__dirname, '..');
const contracts = ['TestUSDT', 'FalseUSDT'];

for (const name of contracts) {
  const file = name + '.sol';
  const input = {
    language: 'Solidity',
    sources: { [file]: { content: fs.readFileSync(path.join(dir, file), 'utf8') } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'cancun',
      metadata: { bytecodeHash: 'none', appendCBOR: false },
      outputSelection: { [file]: { [name]: ['abi', 'evm.bytecode.object'] } },
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
  const contract = output.contracts[file][name];
  fs.writeFileSync(path.join(dir, name + '.abi'), JSON.stringify(contract.abi, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, name + '.bin'), contract.evm.bytecode.object + '\n');
  process.stdout.write('compiled ' + name + ' with solc ' + solc.version() + '\n');
}
