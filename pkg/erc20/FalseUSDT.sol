// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

/// @title Tether USD (test, non-reverting)
/// @notice An ERC-20 with 6 decimals that reports a refused transfer the way several real
/// tokens do: transfer and transferFrom return false and move nothing, instead of reverting,
/// when the sender's balance (or the allowance) is short, when the recipient is the zero
/// address, or when the sender or the recipient is frozen by the issuer (the deployer), as
/// issuers of stablecoins freeze addresses. The whole supply is minted at construction:
/// amountEach to every holder. Tests use it to show that a mined transfer is not a payment
/// unless its receipt holds the Transfer event.
contract FalseUSDT {
    string public constant name = "Tether USD (test, non-reverting)";
    string public constant symbol = "USDT";
    uint8 public constant decimals = 6;

    address public immutable issuer;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    mapping(address => bool) public frozen;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);
    event Frozen(address indexed account, bool frozen);

    constructor(address[] memory holders, uint256 amountEach) {
        issuer = msg.sender;
        for (uint256 i = 0; i < holders.length; i++) {
            require(holders[i] != address(0), "FalseUSDT: mint to the zero address");
            totalSupply += amountEach;
            balanceOf[holders[i]] += amountEach;
            emit Transfer(address(0), holders[i], amountEach);
        }
    }

    /// @notice Freezes (or unfreezes) account: a frozen account can neither send nor receive,
    /// and a transfer from or to it returns false. Only the issuer may call it.
    function setFrozen(address account, bool value) external {
        require(msg.sender == issuer, "FalseUSDT: caller is not the issuer");
        frozen[account] = value;
        emit Frozen(account, value);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        return _transfer(msg.sender, to, value);
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed < value || !_transfer(from, to, value)) {
            return false;
        }
        if (allowed != type(uint256).max) {
            allowance[from][msg.sender] = allowed - value;
        }
        return true;
    }

    function _transfer(address from, address to, uint256 value) private returns (bool) {
        uint256 balance = balanceOf[from];
        if (to == address(0) || frozen[from] || frozen[to] || balance < value) {
            return false;
        }
        unchecked {
            balanceOf[from] = balance - value;
        }
        balanceOf[to] += value;
        emit Transfer(from, to, value);
        return true;
    }
}
