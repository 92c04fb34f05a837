"""Differential test of the roots commitment (CounterpartTrees, slot 4): for random rollup lists
(1 to 6 counterparts, this chain anywhere in the list, both hash modes) and random sequences of
burns and mints, the contract's commitment, its storage slot (what L1 proves) and its `roots()`
equal a Python reference built from `svs.codec.merkle.MerkleTree` and `svs.codec.legs`.

GeneralSystemContract inherits the same CounterpartTrees code; MintBurn drives it here because
its legs need no target contract. Hypothesis profile: tests/conftest.py (derandomized in CI).
"""

from __future__ import annotations

from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from svs.codec.layout import COMMITMENT_SLOT
from svs.codec.legs import TransferLeg
from svs.codec.merkle import MerkleTree

from ..conftest import PROFILE

MAX_CHAIN_ID = 2**64 - 1


def _reference(order: list[int], outbound: dict[int, MerkleTree], inbound: dict[int, MerkleTree]) -> list[bytes]:
    """Per counterpart in rollup order: outbound root, then inbound root."""
    return [root for c in order for root in (outbound[c].root(), inbound[c].root())]


def _assert_matches(chain, mint_burn, order, outbound, inbound) -> None:
    roots = _reference(order, outbound, inbound)
    expected = keccak(b"".join(roots))
    assert bytes(mint_burn.rootsCommitment()) == expected
    stored = chain.provider.web3.eth.get_storage_at(mint_burn.address, COMMITMENT_SLOT)
    assert bytes(stored) == expected, "slot 4 is what the L1 inbox proves"
    counterparts, on_chain = mint_burn.roots()
    assert list(counterparts) == order and [bytes(r) for r in on_chain] == roots


legs = st.lists(st.tuples(st.booleans(), st.integers(0, 5), st.integers(1, 10**18)), max_size=8)


# Each example deploys a contract suite (about 1 s): CI takes 20, the other profiles their own count.
@settings(max_examples=20 if PROFILE == "ci" else settings().max_examples)
@given(data=st.data())
def test_the_commitment_equals_the_python_reference_for_random_legs(
    project, chain, owner, sequencer, alice, bob, local_chain_id, data
):
    others = data.draw(st.lists(st.integers(1, MAX_CHAIN_ID - 1).filter(lambda c: c != local_chain_id),
                                min_size=1, max_size=6, unique=True), label="counterparts")
    position = data.draw(st.integers(0, len(others)), label="position of this chain")
    synchronous = data.draw(st.booleans(), label="synchronous")
    with_l1 = data.draw(st.booleans(), label="L1 is a counterpart")
    l1 = MAX_CHAIN_ID if with_l1 else 0
    rollups = others[:position] + [local_chain_id] + others[position:]
    mint_burn = owner.deploy(project.MintBurnSystemContract, owner, sequencer, rollups, synchronous, l1)
    others = others + [l1] if with_l1 else others  # L1's pair is committed last; its legs hash height 0
    token = owner.deploy(project.BridgeableToken, "Diff", "DIF", mint_burn, alice, 10**24)
    outbound = {c: MerkleTree.seeded() for c in others}
    inbound = {c: MerkleTree.seeded() for c in others}
    _assert_matches(chain, mint_burn, others, outbound, inbound)

    for is_burn, pick, amount in data.draw(legs, label="legs"):
        counterpart = others[pick % len(others)]
        if is_burn:
            nonce = outbound[counterpart].count
            receipt = mint_burn.burn(counterpart, bob, token, amount, sender=alice)
            leg = TransferLeg(local_chain_id, counterpart, nonce, alice.address, bob.address, token.address, amount,
                              receipt.block_number if synchronous and counterpart != l1 else 0)
            outbound[counterpart].append(leg.leg_hash())
        else:
            nonce = inbound[counterpart].count
            receipt = mint_burn.mint(counterpart, nonce, alice, bob, token, amount, sender=sequencer)
            leg = TransferLeg(counterpart, local_chain_id, nonce, alice.address, bob.address, token.address, amount,
                              receipt.block_number if synchronous and counterpart != l1 else 0)
            inbound[counterpart].append(leg.leg_hash())
        _assert_matches(chain, mint_burn, others, outbound, inbound)
