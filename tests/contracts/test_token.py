"""BridgeableToken: ERC-7802 surface, ERC-165, and that only MintBurn mints or burns."""

from __future__ import annotations

import ape
from eth_utils import keccak

from ..conftest import INITIAL_SUPPLY

ERC7802_ID = bytes.fromhex("33331994")


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def test_erc7802_interface_id_is_xor_of_its_selectors():
    mint = selector("crosschainMint(address,uint256)")
    burn = selector("crosschainBurn(address,uint256)")
    assert bytes(a ^ b for a, b in zip(mint, burn)) == ERC7802_ID


def test_supports_erc7802_erc20_and_erc165_only(token):
    assert token.supportsInterface(ERC7802_ID)
    assert token.supportsInterface(bytes.fromhex("36372b07"))  # IERC20
    assert token.supportsInterface(bytes.fromhex("01ffc9a7"))  # IERC165
    assert not token.supportsInterface(bytes.fromhex("ffffffff"))
    assert not token.supportsInterface(bytes.fromhex("12345678"))


def test_initial_supply_goes_to_initial_holder(token, alice, mint_burn):
    assert token.totalSupply() == INITIAL_SUPPLY
    assert token.balanceOf(alice) == INITIAL_SUPPLY
    assert token.mintBurn() == mint_burn.address
    assert (token.name(), token.symbol(), token.decimals()) == ("Shared", "SHR", 18)


def test_crosschain_mint_and_burn_revert_for_anyone_but_mint_burn(token, alice, sequencer):
    for caller in (alice, sequencer):
        with ape.reverts(token.BridgeableTokenUnauthorized, caller=caller.address):
            token.crosschainMint(caller, 1, sender=caller)
        with ape.reverts(token.BridgeableTokenUnauthorized, caller=caller.address):
            token.crosschainBurn(alice, 1, sender=caller)
    assert token.totalSupply() == INITIAL_SUPPLY


def test_constructor_rejects_zero_mint_burn(project, owner, alice):
    with ape.reverts(project.BridgeableToken.BridgeableTokenZeroMintBurn):
        owner.deploy(project.BridgeableToken, "X", "X", "0x" + "00" * 20, alice, 1)


def test_same_constructor_arguments_give_same_init_code_on_every_rollup(project, mint_burn, alice):
    # No chain id or per-chain value goes into the token: identical init code means CREATE2 (or
    # the same deployer and nonce) puts it at the same address on every rollup.
    container = project.BridgeableToken
    args = ("Shared", "SHR", mint_burn.address, alice.address, INITIAL_SUPPLY)
    assert container.constructor.encode_input(*args) == container.constructor.encode_input(*args)
    assert b"CHAINID" not in bytes(container.contract_type.deployment_bytecode.bytecode or "", "utf8")
