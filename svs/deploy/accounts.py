"""Development accounts: the mnemonic anvil, ape and supersim share, with fixed roles."""

from __future__ import annotations

from functools import cache

from eth_account import Account
from eth_account.signers.local import LocalAccount

from svs.node.chains import DEV_MNEMONIC

OWNER_INDEX = 0  # deploys the suite and may rotate the sequencer
SEQUENCER_INDEX = 1  # signs every destination leg and L1 batch
FIRST_USER_INDEX = 2  # demo and test users start here

Account.enable_unaudited_hdwallet_features()


@cache
def dev_account(index: int) -> LocalAccount:
    return Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


def owner() -> LocalAccount:
    return dev_account(OWNER_INDEX)


def sequencer() -> LocalAccount:
    return dev_account(SEQUENCER_INDEX)


def user(n: int) -> LocalAccount:
    """The n-th demo/test user (n = 0, 1, ...)."""
    return dev_account(FIRST_USER_INDEX + n)
