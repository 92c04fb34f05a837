"""Fault injection: a sequencer that lies, one kind of lie, once.

The property tests use this to check that a lying sequencer cannot get a lie past the L1
inbox: the strict inbox must reject the batch that carries it, and in optimistic mode a
challenge must win the bond. Every lie needs the self-check off (an honest self-check halts the
sequencer before anything reaches L1), so a liar always skips it; ``SKIP_SELFCHECK`` alone
changes nothing else, for the test where the chains themselves go wrong.

Both injectors here are ``TickHooks`` (svs.pipeline.hooks), the one protocol the sequencer offers
a test: ``Liar`` and ``KillAt``. The sequencer is given them when it is made and never imports
this module.

Leg lies rewrite the destination legs the builder signs (``legs``), on the first tick that has a
leg to lie about; the builder executes the rewritten legs for real, so the chains hold the lie.
``WRONG_STATE_ROOT`` changes the claim in the next L1 post instead (``post``).
"""

from __future__ import annotations

import logging
import os
import signal
from dataclasses import replace
from enum import Enum

from eth_utils import keccak

from svs.codec.batches import Batch
from svs.codec.legs import Leg, TransferLeg
from svs.pipeline.hooks import CRASH_POINTS, TickHooks, Wanted

log = logging.getLogger(__name__)

MINT_COUNT = "0x" + keccak(text="mintCount(uint256)")[:4].hex()
UNBACKED_AMOUNT = 10**21  # what the liar mints out of thin air


class Lie(str, Enum):
    DROP_MINT = "drop-mint"  # a burn's mint is left out
    UNBACKED_MINT = "unbacked-mint"  # a mint with no burn behind it, to the sequencer
    DOUBLE_MINT = "double-mint"  # a burn is minted twice (the copy under the next nonce)
    WRONG_AMOUNT = "wrong-amount"  # a mint of twice the burned amount
    WRONG_RECIPIENT = "wrong-recipient"  # a mint to the sequencer instead of the recipient
    SPLIT_TICKS = "split-ticks"  # a burn's mint lands one tick later
    WRONG_STATE_ROOT = "wrong-state-root"  # the next L1 post claims a state root no block has
    SKIP_SELFCHECK = "skip-selfcheck"  # only skip the self-check


LEG_LIES = (Lie.DROP_MINT, Lie.UNBACKED_MINT, Lie.DOUBLE_MINT, Lie.WRONG_AMOUNT, Lie.WRONG_RECIPIENT,
            Lie.SPLIT_TICKS)


class KillAt(TickHooks):
    """The process SIGKILLs itself when a tick with transactions reaches ``point`` (the hidden
    ``--crash-at`` option of ``ape run sequencer``, for the kill -9 tests)."""

    def __init__(self, point: str):
        if point not in CRASH_POINTS:
            raise ValueError(f"unknown crash point {point!r}; choose from {', '.join(CRASH_POINTS)}")
        self.point = point

    def at(self, point: str) -> None:
        if point == self.point:
            log.warning("fault injection: killing the sequencer at %s", point)
            logging.shutdown()
            os.kill(os.getpid(), signal.SIGKILL)


class Liar(TickHooks):
    """Tells ``lie`` once, with the self-check off. ``legs`` may run several times per tick (the
    builder's attempts) and gives the same answer each time; ``committed`` marks the tick's lie
    as told. ``bind`` takes the sequencer's chains, address (the thief) and token."""

    checks_roots = False

    def __init__(self, lie: Lie):
        self.lie = Lie(lie)
        self.token = self.thief = ""
        self.mint_burn: dict = {}  # per rollup, (its node, its MintBurn address): inbound nonces
        self.armed = True  # tests disarm it for honest ticks before the lie
        self.told = False  # the lie is on the chains (or in a post)
        self._this_tick = False
        self._carried: tuple[int, str, Leg] | None = None  # SPLIT_TICKS: (destination, source tx, leg)
        self._carry_next: tuple[int, str, Leg] | None = None

    def bind(self, sequencer) -> None:
        self.token = next(iter(sequencer.config.rollups.values()))["BridgeableToken"]
        self.thief = sequencer.address
        self.mint_burn = {c: (chain.rpc, chain.mint_burn) for c, chain in sequencer.chains.items()}
        log.warning("FAULT INJECTION: this sequencer will lie (%s) and skips its self-check", self.lie.value)

    # --- legs ------------------------------------------------------------------------------

    def legs(self, wanted: Wanted, bases: dict[int, int]) -> Wanted:
        """The legs the liar signs instead of ``wanted``."""
        self._this_tick, self._carry_next = False, None
        if self.lie not in LEG_LIES or not self.armed or (self.told and self._carried is None):
            return wanted
        out = {chain_id: list(legs) for chain_id, legs in wanted.items()}
        if self._carried is not None:  # SPLIT_TICKS, second half: the mint held back last tick
            destination, source_hash, leg = self._carried
            out[destination].insert(0, (source_hash, leg))
            self._this_tick = True
            return out
        if self.lie is Lie.UNBACKED_MINT:
            return self._unbacked(out, bases)
        target = _last_transfer(out)
        if target is None:
            return wanted
        destination, index = target
        source_hash, leg = out[destination][index]
        self._this_tick = True
        if self.lie is Lie.DROP_MINT:
            del out[destination][index]
        elif self.lie is Lie.SPLIT_TICKS:
            del out[destination][index]
            self._carry_next = (destination, source_hash, leg)
        elif self.lie is Lie.DOUBLE_MINT:
            out[destination].insert(index + 1, (source_hash, replace(leg, nonce=leg.nonce + 1)))
        elif self.lie is Lie.WRONG_AMOUNT:
            out[destination][index] = (source_hash, replace(leg, amount=2 * leg.amount))
        elif self.lie is Lie.WRONG_RECIPIENT:
            out[destination][index] = (source_hash, replace(leg, recipient=self.thief))
        return out

    def _unbacked(self, out: Wanted, bases: dict[int, int]) -> Wanted:
        """Mint to the thief on the last rollup, as if from the first, under the next inbound
        nonce (after this tick's honest legs from that source)."""
        destination = max(out)
        source = min(c for c in self.mint_burn if c != destination)
        rpc, address = self.mint_burn[destination]
        data = MINT_COUNT + source.to_bytes(32, "big").hex()
        nonce = int(rpc.call("eth_call", {"to": address, "data": data}, hex(bases[destination])), 16)
        nonce += sum(1 for _, leg in out[destination] if isinstance(leg, TransferLeg) and leg.source == source)
        fake = TransferLeg(source, destination, nonce, self.thief, self.thief, self.token, UNBACKED_AMOUNT)
        out[destination].append(("0x" + "00" * 32, fake))
        self._this_tick = True
        return out

    def committed(self, tick: int) -> None:
        """The tick was committed: whatever ``legs`` last did is now on the chains."""
        if not self._this_tick:
            return
        if self._carried is not None:
            self._carried = None
        else:
            self.told = True
            self._carried = self._carry_next
            log.warning("fault injection: lie %s told in tick %d", self.lie.value, tick)

    # --- L1 posts --------------------------------------------------------------------------

    def post(self, batches: list[Batch]) -> list[Batch]:
        """WRONG_STATE_ROOT: the first post after the liar is made claims a state root that is
        not the block's (the block hash stays the node's)."""
        if self.lie is not Lie.WRONG_STATE_ROOT or self.told or not self.armed:
            return batches
        first, *rest = batches
        self.told = True
        log.warning("fault injection: claiming a wrong state root for chain %d", first.chain_id)
        return [replace(first, state_root=keccak(first.state_root))] + rest


def _last_transfer(wanted: Wanted) -> tuple[int, int] | None:
    """(destination, index) of the last transfer leg of the first destination that has one."""
    for destination in sorted(wanted):
        for index in range(len(wanted[destination]) - 1, -1, -1):
            if isinstance(wanted[destination][index][1], TransferLeg):
                return destination, index
    return None
