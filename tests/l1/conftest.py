"""One DevNet (L1 + two rollups on anvil, suite and both inboxes deployed) per module; every
test starts from the same chain state through evm_snapshot / evm_revert on all three chains."""

from __future__ import annotations

import pytest

from svs.deploy import accounts
from svs.l1.inbox import InboxClient
from svs.testing.devnet import DevNet


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    net = DevNet(tmp_path_factory.mktemp("devnet")).start()
    yield net
    net.stop()


@pytest.fixture
def net(devnet):
    snapshot = devnet.snapshot()
    yield devnet
    devnet.revert(snapshot)


def as_account(net: DevNet, mode: str, user: int) -> InboxClient:
    """The same inbox, written to by dev user ``user`` instead of the sequencer."""
    return InboxClient(net.l1_url, net.inboxes[mode].address, accounts.user(user))
