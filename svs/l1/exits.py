"""Deposits and exits from the user's side: the L1 bridge client, and the proof an exit needs.

An exit is a rollup burn with destination L1. To finalize it (``L1Bridge.finalizeExit``) anyone
shows, for an accepted and final batch whose range reaches the burn's block:

- the batch index and the state root it claims for the rollup (``rollupRecord``);
- the Merkle path of the burn's leg hash in the rollup's outbound tree for L1 as it stood at the
  batch's last block: the tree's leaves are the genesis leaf and the leg hashes of every burn to
  L1 up to that block (``BurnLeg`` logs, in nonce order), rebuilt here;
- the rollup's MintBurn commitment proof at that block (svs.l1.proofs), unless the root is
  known on L1 already: a strict inbox records it in the batch that holds the burn, and the
  bridge keeps the root an earlier exit proved for that batch. Then the proof is left out.

``exit_state`` says where an exit stands: ``burned`` (no accepted batch reaches it yet),
``proven`` (a batch reaches it, not final), ``final`` (it can be finalized), ``finalized``.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import to_checksum_address

from svs.codec.legs import BURN_LEG_TOPIC, TransferLeg, decode_outbound_log
from svs.codec.merkle import MerkleTree, verify_inclusion
from svs.errors import SvsError
from svs.l1.contract import ContractRejected, L1Contract, Sent
from svs.l1.inbox import InboxClient
from svs.l1.proofs import CommitmentProof, commitment_proof
from svs.node.rollup import Rollup


class BridgeRejected(ContractRejected):
    """The bridge would revert the transaction; ``reason`` is the decoded error."""

    contract_name = "L1 bridge"


class ExitError(SvsError, ValueError):
    """The transaction is not an exit, or its proof cannot be built yet."""


@dataclass(frozen=True)
class ExitProof:
    """Everything ``finalizeExit`` takes besides the leg: where the leg is proven."""

    batch_index: int
    state_root: bytes
    path: list[bytes]
    commitment: CommitmentProof

    def as_abi(self) -> tuple:
        return (self.batch_index, self.state_root, self.path, self.commitment.as_abi())


class BridgeClient(L1Contract):
    """The L1Bridge on one L1 node, writing as ``account`` (if given)."""

    artifact = "L1Bridge"
    rejected = BridgeRejected

    def l1_token(self) -> str:
        return self.contract.functions.L1_TOKEN().call()

    def deposit_count(self, rollup: int) -> int:
        return self.contract.functions.depositCount(rollup).call()

    def exit_finalized(self, rollup: int, nonce: int) -> bool:
        return self.contract.functions.exitFinalized(rollup, nonce).call()

    def exit_root_of(self, batch_index: int, rollup: int, state_root: bytes) -> bytes:
        return self.contract.functions.exitRootOf(batch_index, rollup, state_root).call()

    def deposit(self, rollup: int, recipient: str, amount: int) -> Sent:
        """Deposit ``amount`` of the L1 token for ``recipient`` on ``rollup``."""
        return self._send("deposit", self.contract.functions.deposit(rollup, recipient, self.l1_token(), amount))

    def finalize_exit(self, leg: TransferLeg, proof: ExitProof) -> Sent:
        return self._send("finalizeExit", self.contract.functions.finalizeExit(exit_fields(leg), proof.as_abi()))

    def finalize_exit_gas(self, leg: TransferLeg, proof: ExitProof) -> int:
        """What finalizing would cost (an estimate; raises BridgeRejected with the reason if it
        would revert)."""
        return self._estimate("finalizeExit", self.contract.functions.finalizeExit(exit_fields(leg), proof.as_abi()),
                              self._tx_fields())


def exit_fields(leg: TransferLeg) -> tuple:
    """IL1Bridge.Exit of a burn leg."""
    return (leg.source, leg.nonce, to_checksum_address(leg.sender), to_checksum_address(leg.recipient),
            to_checksum_address(leg.token), leg.amount)


def find_exit(rollup: Rollup, l1_chain_id: int, tx_hash: str) -> tuple[TransferLeg, int]:
    """The burn to L1 a rollup transaction made, and its block; ExitError if it made none."""
    receipt = rollup.rpc.call("eth_getTransactionReceipt", tx_hash)
    if receipt is None:
        raise ExitError(f"no receipt for {tx_hash} on chain {rollup.chain_id} (not included yet?)")
    for entry in receipt["logs"]:
        if (entry["address"].lower() == rollup.mint_burn.lower() and entry["topics"][0] == BURN_LEG_TOPIC
                and int(entry["topics"][1], 16) == l1_chain_id):
            leg = decode_outbound_log(entry, rollup.chain_id)
            return leg, int(receipt["blockNumber"], 16)
    raise ExitError(f"{tx_hash} on chain {rollup.chain_id} burned nothing to L1 (chain {l1_chain_id})")


def exit_legs(rollup: Rollup, l1_chain_id: int, last_block: int) -> MerkleTree:
    """The rollup's outbound tree for L1 as it stood at ``last_block``, rebuilt from its logs."""
    logs = rollup.rpc.call("eth_getLogs", {"address": rollup.mint_burn, "fromBlock": "0x0", "toBlock": hex(last_block),
                                           "topics": [BURN_LEG_TOPIC, "0x" + l1_chain_id.to_bytes(32, "big").hex()]})
    legs = sorted((decode_outbound_log(e, rollup.chain_id) for e in logs), key=lambda leg: leg.nonce)
    if [leg.nonce for leg in legs] != list(range(1, len(legs) + 1)):
        raise ExitError(f"chain {rollup.chain_id}'s burns to L1 have gaps: {[leg.nonce for leg in legs]}")
    return MerkleTree.seeded([leg.leg_hash() for leg in legs])


MAX_BATCHES_SEARCHED = 256


def covering_batch(inbox: InboxClient, chain_id: int, block: int) -> int | None:
    """The batch to prove an exit burned in ``block`` against: in strict mode the batch that
    holds the block (every batch is final, and it recorded the exit root: no commitment proof
    needed); in optimistic mode the newest final batch whose range reaches the block or, if none
    of the newest MAX_BATCHES_SEARCHED is final yet, the newest that reaches it. None if no batch
    reaches the block."""
    count = inbox.batch_count()
    newest = holding = None
    for index in range(count - 1, max(count - MAX_BATCHES_SEARCHED, 0) - 1, -1):
        record = inbox.record(index, chain_id)
        if record["lastBlock"] < block:
            break
        newest = index if newest is None else newest
        holding = index
        if inbox.optimistic() and inbox.is_final(index):
            return index
    return holding if not inbox.optimistic() else newest


def build_exit_proof(inbox: InboxClient, rollup: Rollup, leg: TransferLeg, batch_index: int,
                     bridge: BridgeClient | None = None) -> ExitProof:
    """The proof of ``leg`` under batch ``batch_index`` (module notes). The commitment proof is
    left out when a strict inbox recorded the root in that batch, or (with ``bridge``) when the
    bridge already keeps it."""
    record = inbox.record(batch_index, rollup.chain_id)
    last = record["lastBlock"]
    tree = exit_legs(rollup, leg.destination, last)
    if leg.nonce >= tree.count or tree.leaves[leg.nonce] != leg.leg_hash():
        raise ExitError(f"exit {leg.nonce} from {rollup.chain_id} is not in its tree at block {last}")
    path = tree.proof(leg.nonce)
    commitment = commitment_proof(rollup.rpc, rollup.mint_burn, last)
    if not verify_inclusion(leg.leg_hash(), leg.nonce, path, commitment.root(leg.destination, outbound=True)):
        raise ExitError(f"the rebuilt tree of chain {rollup.chain_id} does not match its root at block {last}")
    if tree.root() in (inbox.recorded_exit_root(batch_index, rollup.chain_id),
                       bridge and bridge.exit_root_of(batch_index, rollup.chain_id, record["stateRoot"])):
        commitment = CommitmentProof([], [], [], [])
    return ExitProof(batch_index, record["stateRoot"], path, commitment)


def exit_state(inbox: InboxClient, bridge: BridgeClient, leg: TransferLeg, block: int) -> tuple[str, int | None]:
    """(state, covering batch): ``finalized``, ``final``, ``proven`` or ``burned`` (module notes)."""
    if bridge.exit_finalized(leg.source, leg.nonce):
        return "finalized", None
    batch = covering_batch(inbox, leg.source, block)
    if batch is None:
        return "burned", None
    return ("final" if inbox.is_final(batch) else "proven"), batch
