// Hardhat Network configured as the development chain of pkg/devchain, so that
// the end-to-end tests can run unchanged against a second node implementation:
// chain id 1337, the ten accounts of the development mnemonic with 10,000 ETH
// each, and blocks only on demand (the tests mine with evm_mine/hardhat_mine).
module.exports = {
  networks: {
    hardhat: {
      chainId: 1337,
      hardfork: "osaka", // the newest mainnet fork this Hardhat version knows
      accounts: {
        mnemonic: "test test test test test test test test test test test junk",
        path: "m/44'/60'/0'/0",
        count: 10,
        accountsBalance: "10000000000000000000000", // 10,000 ETH, as devchain.FundedBalance
      },
      mining: { auto: false, interval: 0 },
      allowUnlimitedContractSize: false,
    },
  },
};
