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
leg to lie about (``IGNORE_DEPOSITS``: on every tick once armed); the builder executes the rewritten legs for real, so the chains hold the lie.
The post lies change the claims of the next L1 post instead (``post``): ``WRONG_STATE_ROOT``,
``WRONG_BLOCK_HASHES`` (a made-up hash for a block inside the batch) and ``UNEVEN_CUT`` (a
split pair, and a post that ends the source's range at the burn's block while the
destination's range takes in the late mint, so that each side's tree holds the leg).
"""

from __future__ import annotations

import logging
import os
import signal
from dataclasses import replace
from enum import Enum

from eth_utils import keccak

from svs.codec.batches import Batch, build_batch
from svs.codec.legs import MINT_COUNT_SELECTOR, Leg, TransferLeg
from svs.pipeline.hooks import CRASH_POINTS, TickHooks, Wanted

log = logging.getLogger(__name__)

MINT_COUNT = "0x" + MINT_COUNT_SELECTOR.hex()
UNBACKED_AMOUNT = 10**21  # what the liar mints out of thin air


class Lie(str, Enum):
    DROP_MINT = "drop-mint"  # a burn's mint is left out
    UNBACKED_MINT = "unbacked-mint"  # a mint with no burn behind it, to the sequencer
    DOUBLE_MINT = "double-mint"  # a burn is minted twice (the copy under the next nonce)
    WRONG_AMOUNT = "wrong-amount"  # a mint of twice the burned amount
    WRONG_RECIPIENT = "wrong-recipient"  # a mint to the sequencer instead of the recipient
    SPLIT_TICKS = "split-ticks"  # a burn's mint lands one tick later
    WRONG_STATE_ROOT = "wrong-state-root"  # the next L1 post claims a state root no block has
    WRONG_BLOCK_HASHES = "wrong-block-hashes"  # the next L1 post claims a made-up hash inside the batch
    UNEVEN_CUT = "uneven-cut"  # split-ticks, posted with the source's range ending before the late mint
    SKIP_SELFCHECK = "skip-selfcheck"  # only skip the self-check
    IGNORE_DEPOSITS = "ignore-deposits"  # L1's deposits are never minted (past the deposit window)
    UNMADE_DEPOSIT = "unmade-deposit"  # a mint from L1, to the sequencer, of a deposit never made


LEG_LIES = (Lie.DROP_MINT, Lie.UNBACKED_MINT, Lie.DOUBLE_MINT, Lie.WRONG_AMOUNT, Lie.WRONG_RECIPIENT,
            Lie.SPLIT_TICKS, Lie.UNEVEN_CUT, Lie.IGNORE_DEPOSITS, Lie.UNMADE_DEPOSIT)
L1_LIES = (Lie.IGNORE_DEPOSITS, Lie.UNMADE_DEPOSIT)
SPLITS = (Lie.SPLIT_TICKS, Lie.UNEVEN_CUT)


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
        self._carried: tuple[int, str, Leg] | None = None  # SPLITS: (destination, source tx, leg)
        self._carry_next: tuple[int, str, Leg] | None = None
        self.burn_height: int | None = None  # UNEVEN_CUT: the block of the burn whose mint was held back
        self.split_destination = 0
        self.rollups: dict = {}
        self.l1_chain_id = 0

    def bind(self, sequencer) -> None:
        self.token = next(iter(sequencer.config.rollups.values()))["BridgeableToken"]
        self.thief = sequencer.address
        self.mint_burn = {c: (chain.rpc, chain.mint_burn) for c, chain in sequencer.chains.items()}
        self.rollups = dict(sequencer.chains)
        self.l1_chain_id = sequencer.config.l1.chain_id if sequencer.config.l1 else 0
        log.warning("FAULT INJECTION: this sequencer will lie (%s) and skips its self-check", self.lie.value)

    # --- legs ------------------------------------------------------------------------------

    def legs(self, wanted: Wanted, bases: dict[int, int]) -> Wanted:
        """The legs the liar signs instead of ``wanted``."""
        self._this_tick, self._carry_next = False, None
        lasting = self.lie is Lie.IGNORE_DEPOSITS
        if self.lie not in LEG_LIES or not self.armed or (self.told and self._carried is None and not lasting):
            return wanted
        out = {chain_id: list(legs) for chain_id, legs in wanted.items()}
        if self._carried is not None:  # SPLITS, second half: the mint held back last tick
            destination, source_hash, leg = self._carried
            # The contract binds the mint to the block it runs in, one after the burn's.
            out[destination].insert(0, (source_hash, replace(leg, height=leg.height and bases[destination] + 1)))
            self._this_tick = True
            return out
        if self.lie is Lie.IGNORE_DEPOSITS:
            return self._ignore_deposits(out)
        if self.lie is Lie.UNBACKED_MINT:
            return self._unbacked(out, bases, min(c for c in self.mint_burn if c != max(out)))
        if self.lie is Lie.UNMADE_DEPOSIT:
            return self._unbacked(out, bases, self.l1_chain_id)
        target = _last_transfer(out)
        if target is None:
            return wanted
        destination, index = target
        source_hash, leg = out[destination][index]
        self._this_tick = True
        if self.lie is Lie.DROP_MINT:
            del out[destination][index]
        elif self.lie in SPLITS:
            del out[destination][index]
            self._carry_next = (destination, source_hash, leg)
            self.burn_height, self.split_destination = bases[destination] + 1, destination
        elif self.lie is Lie.DOUBLE_MINT:
            out[destination].insert(index + 1, (source_hash, replace(leg, nonce=leg.nonce + 1)))
        elif self.lie is Lie.WRONG_AMOUNT:
            out[destination][index] = (source_hash, replace(leg, amount=2 * leg.amount))
        elif self.lie is Lie.WRONG_RECIPIENT:
            out[destination][index] = (source_hash, replace(leg, recipient=self.thief))
        return out

    def _ignore_deposits(self, out: Wanted) -> Wanted:
        """Leave out every mint from L1, in every tick (once armed, it is told for good)."""
        kept = {c: [(h, leg) for h, leg in legs if leg.source != self.l1_chain_id] for c, legs in out.items()}
        self._this_tick = kept != out or self.told
        return kept

    def _unbacked(self, out: Wanted, bases: dict[int, int], source: int) -> Wanted:
        """Mint to the thief on the last rollup, as if from ``source`` (the first rollup, or L1),
        under the next inbound nonce (after this tick's honest legs from that source)."""
        destination = max(out)
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

    def post(self, batches: list[Batch]) -> list[Batch] | None:
        """The post lies (see the module notes); other posts go out as they are."""
        if not self.armed:
            return batches
        if self.lie is Lie.UNEVEN_CUT and self._carried is not None:
            return None  # no post while the mint is held back: it would show the burn alone
        first, *rest = batches
        if self.lie is Lie.WRONG_STATE_ROOT and not self.told:
            self.told = True
            log.warning("fault injection: claiming a wrong state root for chain %d", first.chain_id)
            return [replace(first, state_root=keccak(first.state_root))] + rest
        if self.lie is Lie.WRONG_BLOCK_HASHES and not self.told and len(first.block_hashes) >= 2:
            self.told = True
            hashes = list(first.block_hashes)
            hashes[-2] = keccak(hashes[-2])
            log.warning("fault injection: claiming a made-up hash for block %d of chain %d", first.last_block - 1,
                        first.chain_id)
            return [replace(first, block_hashes=tuple(hashes))] + rest
        if self.lie is Lie.UNEVEN_CUT and self.told and self._carried is None and self.burn_height is not None:
            return self._uneven(batches)
        return batches

    def _uneven(self, batches: list[Batch]) -> list[Batch]:
        """Once the late mint is on the chain: every rollup but the destination ends its range at
        the burn's block (the source's tree then holds the burn, the destination's the mint)."""
        height, self.burn_height = self.burn_height, None
        destination = self.split_destination
        out = []
        for batch in batches:
            if batch.chain_id != destination and batch.first_block <= height < batch.last_block:
                batch = build_batch(self.rollups[batch.chain_id].rpc, batch.chain_id, batch.first_block, height)
            out.append(batch)
        log.warning("fault injection: posting an uneven cut %s",
                    ", ".join(f"{b.chain_id}:{b.first_block}-{b.last_block}" for b in out))
        return out


def _last_transfer(wanted: Wanted) -> tuple[int, int] | None:
    """(destination, index) of the last transfer leg of the first destination that has one."""
    for destination in sorted(wanted):
        for index in range(len(wanted[destination]) - 1, -1, -1):
            if isinstance(wanted[destination][index][1], TransferLeg):
                return destination, index
    return None
