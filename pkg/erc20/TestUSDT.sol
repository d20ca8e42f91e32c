// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

/// @title Tether USD (test)
/// @notice A plain ERC-20 for the development chains, with the decimals given at construction (6 as
/// Ethereum's USDT, 18 as BSC's). The whole supply is minted at construction: amountEach to every
/// holder. There is no owner, no mint and no pause.
contract TestUSDT {
    string public constant name = "Tether USD (test)";
    string public constant symbol = "USDT";
    uint8 public immutable decimals;

    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(address[] memory holders, uint256 amountEach, uint8 decimals_) {
        decimals = decimals_;
        for (uint256 i = 0; i < holders.length; i++) {
            require(holders[i] != address(0), "TestUSDT: mint to the zero address");
            totalSupply += amountEach;
            balanceOf[holders[i]] += amountEach;
            emit Transfer(address(0), holders[i], amountEach);
        }
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    /// @notice Sends values[i] to recipients[i] for every i in one transaction, one
    /// Transfer event each: how an exchange batches payouts, and how tests put
    /// several transfers in one transaction.
    function transferBatch(address[] calldata recipients, uint256[] calldata values) external returns (bool) {
        require(recipients.length == values.length, "TestUSDT: length mismatch");
        for (uint256 i = 0; i < recipients.length; i++) {
            _transfer(msg.sender, recipients[i], values[i]);
        }
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        require(spender != address(0), "TestUSDT: approve to the zero address");
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            require(allowed >= value, "TestUSDT: insufficient allowance");
            allowance[from][msg.sender] = allowed - value;
        }
        _transfer(from, to, value);
        return true;
    }

    function _transfer(address from, address to, uint256 value) private {
        require(to != address(0), "TestUSDT: transfer to the zero address");
        uint256 balance = balanceOf[from];
        require(balance >= value, "TestUSDT: insufficient balance");
        unchecked {
            balanceOf[from] = balance - value;
        }
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}
