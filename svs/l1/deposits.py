"""L1 legs as the sequencer sees them: deposits to mint, and which exits it lets through.

**Deposits.** ``DepositFeed.due(bases)`` answers, before a tick, which deposits each rollup
should mint in it: those L1's bridge holds (at ``confirmations`` blocks below L1's head) past the
rollup's count of mints from L1 at its base height, oldest first, at most ``max_per_tick`` per
rollup. Nothing is kept between ticks: the rollup's own count says what it has served, so a
crash at any point of a tick can neither lose a deposit nor mint one twice (the mint's nonce
check refuses a second one in any case).

Each deposit is the mint leg of ``IMintBurnSystemContract`` with L1 as the source and height 0,
read from the bridge's ``DepositLeg`` events; a log whose fields do not hash to the leg hash it
carries is refused (the inbox would refuse the batch that minted it).

Failures of L1 never stop the ticks: an L1 node that does not answer means no deposits this
tick (logged). The feed then leaves L1 alone for a while (``RETRY_AFTER_FAILURE``: 1 s, doubling
to 60 s, back to none after an answer): a hung L1 costs a tick the read's timeout, and asked
every tick it would have held every tick that long.

**Exits.** A burn with destination L1 needs no destination leg in the tick: it is finalized on
L1 later (``L1Bridge.finalizeExit``). The sequencer lets it through only for the token the bridge
mints on L1 (``L1Legs.exit_token``): any other token's exit could never be finalized, so its
source is excluded with that reason.

Reorgs: on anvil, none. On a public L1 a deposit is minted once it is ``confirmations`` blocks
deep; a reorg deeper than that which drops or reorders a minted deposit leaves the rollup's
inbound tree from L1 off L1's history, and the inbox refuses every later batch (strict) or a
challenge voids it (optimistic) until the deposit is made again in the same order.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from eth_utils import keccak as keccak_text

from svs.codec.legs import MINT_COUNT_SELECTOR, TransferLeg
from svs.deploy.record import Deployment
from svs.node.rollup import Rollup
from svs.node.rpc import NodeUnavailable, RpcClient, RpcError

log = logging.getLogger(__name__)

DEPOSIT_LEG_TOPIC = "0x" + keccak_text(text="DepositLeg(uint256,uint256,address,address,address,uint256,bytes32)").hex()
EXIT_FINALIZED_TOPIC = "0x" + keccak_text(
    text="ExitFinalized(uint256,uint256,address,address,address,uint256,bytes32)").hex()
DEPOSIT_COUNT_SELECTOR = keccak_text(text="depositCount(uint256)")[:4]
BURN_COUNT_SELECTOR = keccak_text(text="burnCount(uint256)")[:4]
EXIT_COUNT_SELECTOR = keccak_text(text="exitCount(uint256)")[:4]
DEFAULT_MAX_DEPOSITS_PER_TICK = 32
DEFAULT_CONFIRMATIONS = 0  # anvil: no reorgs; on a public L1 pass --l1-confirmations
DEFAULT_ATTACH_CONFIRMATIONS = 5  # attach mode (public L1s): ~1 minute of Sepolia blocks


@dataclass(frozen=True)
class L1Legs:
    """Where the L1 side of the pair set lives, and how the sequencer treats it."""

    chain_id: int
    rpc: str
    bridge: str
    exit_token: str  # the project's token on the rollups: the only one that can exit
    confirmations: int = DEFAULT_CONFIRMATIONS
    max_per_tick: int = DEFAULT_MAX_DEPOSITS_PER_TICK
    from_block: int = 0  # where to start looking for DepositLeg logs (the bridge's deployment)

    @classmethod
    def of(cls, deployment: Deployment, confirmations: int = DEFAULT_CONFIRMATIONS) -> "L1Legs | None":
        """L1 as a counterpart, from a deployment record: its bridge and the rollups' token (None
        for a record without a bridge)."""
        l1 = deployment.l1
        if l1 is None or "L1Bridge" not in l1.contracts or not deployment.rollups:
            return None
        token = next(iter(deployment.rollups.values()))["BridgeableToken"]
        return cls(l1.chain_id, l1.rpc, l1["L1Bridge"], token, confirmations, from_block=l1.first_block or 0)


@dataclass(frozen=True)
class Deposit:
    """A deposit to mint: its leg, and the L1 transaction that made it."""

    leg: TransferLeg
    l1_tx: str

    @property
    def key(self) -> str:
        """How the tick names it where a user transaction's hash would be (the mint's
        counterpart): the L1 transaction, and the nonce (one transaction may make several)."""
        return f"{self.l1_tx}#{self.leg.nonce}"


def _call_data(selector: bytes, chain_id: int) -> str:
    return "0x" + (selector + chain_id.to_bytes(32, "big")).hex()


def decode_deposit_log(entry: dict, l1_chain_id: int) -> Deposit:
    """A DepositLog as the mint it asks for; ValueError if its fields do not hash to its leg hash."""
    topics = entry["topics"]
    if topics[0] != DEPOSIT_LEG_TOPIC:
        raise ValueError(f"not a DepositLeg log: topic {topics[0]}")
    data = bytes.fromhex(entry["data"][2:])
    words = [data[i:i + 32] for i in range(0, len(data), 32)]
    leg = TransferLeg(l1_chain_id, int(topics[1], 16), int(topics[2], 16), "0x" + topics[3][-40:],
                      "0x" + words[0][12:].hex(), "0x" + words[1][12:].hex(), int.from_bytes(words[2], "big"))
    if leg.leg_hash() != words[3]:
        raise ValueError(f"DepositLeg {leg.destination}/{leg.nonce}: its fields do not hash to its leg hash")
    return Deposit(leg, entry["transactionHash"].lower())


RETRY_AFTER_FAILURE = (1.0, 60.0)  # seconds without L1 reads after a failed one: the first, the most


class DepositFeed:
    """Reads the deposits each tick should mint (module notes)."""

    def __init__(self, legs: L1Legs, rollups: dict[int, Rollup]):
        self.legs = legs
        self.l1 = RpcClient(legs.rpc, timeout=10.0)
        self.rollups = rollups
        self.made: dict[int, int] = {}  # rollup -> deposits made on L1 (confirmed), as last read
        self.served: dict[int, int] = {}  # rollup -> its mints from L1, as last read
        self.backoff = 0.0  # seconds L1 is left alone after the last failed read (0: it answered)
        self._quiet_until = 0.0  # monotonic time before which L1 is not read

    def due(self, bases: dict[int, int]) -> dict[int, list[Deposit]]:
        """Per rollup, the deposits to mint on top of its block ``bases[rollup]`` (maybe none)."""
        if time.monotonic() < self._quiet_until:
            return {}  # L1 failed a moment ago (module notes)
        try:
            due = self._due(bases)
        except (NodeUnavailable, RpcError, ValueError, KeyError, TypeError) as err:
            first, most = RETRY_AFTER_FAILURE
            self.backoff = min(most, max(first, 2 * self.backoff))
            self._quiet_until = time.monotonic() + self.backoff
            log.warning("no deposits this tick: reading them failed: %s; L1 is asked again in %g s", err, self.backoff)
            return {}
        self.backoff = 0.0
        return due

    def _due(self, bases: dict[int, int]) -> dict[int, list[Deposit]]:
        head = int(self.l1.call("eth_blockNumber"), 16)
        confirmed = head - self.legs.confirmations
        if confirmed < 0:
            return {}
        made = self.l1.batch_strict([("eth_call", [{"to": self.legs.bridge, "data": _call_data(DEPOSIT_COUNT_SELECTOR, c)},
                                                   hex(confirmed)]) for c in self.rollups])
        self.made = {c: int(m, 16) for c, m in zip(self.rollups, made)}
        due: dict[int, list[Deposit]] = {}
        for chain_id, rollup in self.rollups.items():
            if self.made[chain_id] <= self.served.get(chain_id, 1):
                continue  # nothing new since the rollup last had everything served
            served = int(rollup.rpc.call("eth_call", {"to": rollup.mint_burn,
                                                      "data": _call_data(MINT_COUNT_SELECTOR, self.legs.chain_id)},
                                         hex(bases[chain_id])), 16)
            self.served[chain_id] = served
            last = min(self.made[chain_id], served + self.legs.max_per_tick)
            if last > served:
                due[chain_id] = self._fetch(chain_id, served, last, confirmed)
        return due

    def _fetch(self, chain_id: int, first: int, end: int, confirmed: int) -> list[Deposit]:
        """Deposits ``first`` .. ``end - 1`` to ``chain_id``, in nonce order."""
        nonces = ["0x" + n.to_bytes(32, "big").hex() for n in range(first, end)]
        logs = self.l1.call("eth_getLogs", {"address": self.legs.bridge, "fromBlock": hex(self.legs.from_block),
                                            "toBlock": hex(confirmed),
                                            "topics": [DEPOSIT_LEG_TOPIC, "0x" + chain_id.to_bytes(32, "big").hex(),
                                                       nonces]})
        deposits = sorted((decode_deposit_log(e, self.legs.chain_id) for e in logs), key=lambda d: d.leg.nonce)
        if [d.leg.nonce for d in deposits] != list(range(first, end)):
            raise ValueError(f"L1 logs hold deposits {[d.leg.nonce for d in deposits]} to {chain_id}, "
                             f"expected {first}..{end - 1}")
        return deposits

    def status(self, committed: dict[int, int]) -> dict:
        """What ``sequencer_status`` shows of L1's legs: per rollup, deposits made and served,
        exits burned and finalized (best effort: None where a node does not answer)."""
        rollups = {}
        for chain_id, rollup in self.rollups.items():
            rollups[str(chain_id)] = {
                "depositsMade": self._count(self.l1, self.legs.bridge, DEPOSIT_COUNT_SELECTOR, chain_id, "latest"),
                "depositsServed": self._count(rollup.rpc, rollup.mint_burn, MINT_COUNT_SELECTOR, self.legs.chain_id,
                                              hex(committed.get(chain_id, 0))),
                "exitsBurned": self._count(rollup.rpc, rollup.mint_burn, BURN_COUNT_SELECTOR, self.legs.chain_id,
                                           hex(committed.get(chain_id, 0))),
                "exitsFinalized": self._count(self.l1, self.legs.bridge, EXIT_COUNT_SELECTOR, chain_id, "latest"),
            }
        return {"chainId": self.legs.chain_id, "bridge": self.legs.bridge, "confirmations": self.legs.confirmations,
                "rollups": rollups}

    @staticmethod
    def _count(rpc: RpcClient, to: str, selector: bytes, chain_id: int, block: str) -> int | None:
        """A tree count less its genesis leaf."""
        try:
            return int(rpc.call("eth_call", {"to": to, "data": _call_data(selector, chain_id)}, block), 16) - 1
        except (NodeUnavailable, RpcError, ValueError):
            return None
