"""Attach mode: the sequencer on rollups it does not produce blocks for (public testnets).

``ape run sequencer --attach RECORD`` reads a deployment record (``ape run deploy``) and:

- serves an ingress per rollup that forwards everything to the rollup's node, except that a
  burn or trigger is first simulated with ``eth_call`` on both sides: its source call, and its
  destination leg (mint or action) as the sequencer would send it. If either would fail the
  transaction is refused with the reason, and never reaches the chain;
- watches every rollup for BurnLeg/TriggerLeg events and sends the matching mint or action to
  the destination, signed by the sequencer key, in nonce order per pair;
- mints L1's deposits on their rollups, oldest first, once they are ``l1_confirmations`` deep
  (svs.l1.deposits), like any other leg from a source, so the inbox's deposit window is kept;
  burns to L1 (exits) need no leg here, and only the bridge's token may exit (the ingress
  refuses others);
- posts batches with proofs to the L1 inbox at a *consistent cut*: heads at which every pair's
  trees agree (no leg in flight). Without a cut it says why and tries again later. A post too
  large for one L1 transaction ends at an earlier consistent cut: every poll that ends with all
  pairs agreeing is one, and the relayer keeps them (``MAX_CUTS``) until they are posted. (The
  batcher's halving of every range would end at heights that were never checked together.)
  An optimistic inbox needs a bond: before each post the relayer tops it up to the inbox's
  ``BOND_AMOUNT`` (or the ``bond`` it was given, if larger), and logs it.

What is weaker than local mode: the sequencer does not build the blocks, so there is no
exclusion after the fact. A leg can fail between the simulation and its delivery (the
destination's state changed). The relayer retries a failed leg ``MAX_ATTEMPTS`` times, then
marks the pair *stuck*: the source tree has that leaf and the destination's does not, every
later leg of the pair waits behind it (nonces are sequential), and no consistent cut exists,
so no L1 batch is posted until an operator resolves it. ``status()`` says which pair, which
nonce, why, and how the counts diverge. Delivery is idempotent (a leg whose nonce the
destination already counts is skipped), so a restarted relayer rescans from the deployment
block and sends nothing twice.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from svs.codec.legs import (
    BURN_SELECTOR,
    INBOUND_TOPICS,
    OUTBOUND_TOPICS,
    TRIGGER_SELECTOR,
    CallLeg,
    Leg,
    TransferLeg,
    decode_outbound_log,
    destination_calldata,
    destination_gas,
)
from svs.codec.reverts import describe_revert
from svs.codec.transactions import InvalidTransaction, decode_raw_transaction
from svs.deploy.record import Deployment
from svs.errors import SvsError
from svs.l1.batcher import MAX_DATA_BYTES, Batcher, BatchReport
from svs.l1.deposits import DEFAULT_ATTACH_CONFIRMATIONS, DepositFeed, L1Legs
from svs.l1.inbox import InboxClient
from svs.node.rollup import Rollup
from svs.node.rpc import RpcError
from svs.pipeline.ingress import IngressServer, JsonRpcEndpoint, RpcFailure
from svs.pipeline.selfcheck import read_pair_roots

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # deliveries of one leg before its pair is declared stuck
MAX_CUTS = 256  # consistent cuts kept for shrinking a post; past it, every other one is dropped
RECEIPT_TIMEOUT = 60.0
INBOUND_COUNT = {"transfer": "0x" + keccak(text="mintCount(uint256)")[:4].hex(),
                 "call": "0x" + keccak(text="actionCount(uint256)")[:4].hex()}
OUTBOUND_COUNT = {"transfer": "0x" + keccak(text="burnCount(uint256)")[:4].hex(),
                  "call": "0x" + keccak(text="triggerCount(uint256)")[:4].hex()}


class AttachError(SvsError, RuntimeError):
    """The record or the key does not fit attach mode."""


@dataclass
class Stuck:
    leg: Leg
    reason: str
    source_count: int
    destination_count: int

    def line(self) -> str:
        kind = self.leg.kind.value
        return (f"{kind} pair {self.leg.source}->{self.leg.destination} stuck at nonce {self.leg.nonce}: {self.reason}; "
                f"the trees diverge: {self.source_count} leaves at the source, {self.destination_count} at the "
                "destination, and later legs of this pair wait")


@dataclass
class RelayReport:
    delivered: int = 0
    skipped: int = 0  # already delivered (restart)
    failures: list[str] = field(default_factory=list)
    l1_batch: BatchReport | None = None
    no_cut: str | None = None


Heights = dict[int, int]  # chain id -> block number
Ranges = dict[int, tuple[int, int]]  # chain id -> (first block, last block)


class Relayer:
    def __init__(self, record: dict, key: LocalAccount, max_data_bytes: int = MAX_DATA_BYTES, bond: int = 0,
                 l1_confirmations: int = DEFAULT_ATTACH_CONFIRMATIONS, data_availability: str = "calldata"):
        """``max_data_bytes``: batch data per L1 post (``Batcher``); ``bond``: wei to keep
        posted in an optimistic inbox, if more than its minimum; ``l1_confirmations``: L1 blocks
        on top of a deposit before it is minted; ``data_availability``: where posts put the
        batch data (``Batcher``: auto, blobs or calldata)."""
        if key.address.lower() != record["sequencer"].lower():
            raise AttachError(f"the key is for {key.address}, but the system contracts' sequencer is "
                              f"{record['sequencer']}: only the sequencer may mint and act")
        self.address = key.address
        self.rollups: dict[int, Rollup] = {}
        self.scanned: Heights = {}  # per rollup, the last block scanned for outbound legs
        deployed = Deployment(record)
        for chain_id in record["rollups"]:
            entry = deployed.rollups.get(chain_id)
            if entry is None:
                raise AttachError(f"rollup {chain_id} is not in the record: deploy to it first")
            self.rollups[chain_id] = Rollup.of(entry, bytes(key.key))
            self.scanned[chain_id] = (entry.first_block or 1) - 1
        l1 = deployed.l1
        self.inbox = InboxClient(l1.rpc, l1["BatchInbox"], key, owns_account=True) if l1 else None
        self.l1 = L1Legs.of(deployed, l1_confirmations)
        self.deposits = DepositFeed(self.l1, self.rollups) if self.l1 else None
        self.attempts: dict[bytes, int] = {}
        self.stuck: dict[tuple[int, int, str], Stuck] = {}
        self.last_report: RelayReport | None = None
        self.max_data_bytes, self.bond, self.data_availability = max_data_bytes, bond, data_availability
        self.cuts: list[Heights] = []  # consistent cuts not yet posted, oldest first
        self._checked: Heights | None = None  # the last heads whose pairs were read
        self._batcher: Batcher | None = None
        if self.inbox is not None and data_availability != "calldata":
            self._batcher = self._new_batcher()  # so an L1 that cannot take the blobs asked is refused at start
        self._lock = threading.Lock()

    # --- the ingress guard -------------------------------------------------------------------

    def refusal(self, chain_id: int, raw: bytes) -> str | None:
        """Why a raw transaction for ``chain_id`` must not go through (None: let it through)."""
        try:
            tx = decode_raw_transaction(raw)
        except InvalidTransaction as err:
            return str(err)
        if tx.chain_id is not None and tx.chain_id != chain_id:
            return f"wrong chain id {tx.chain_id}: this endpoint is rollup {chain_id}"
        rollup = self.rollups[chain_id]
        to = (tx.to or "").lower()
        selector = tx.data[:4]
        if not ((to == rollup.mint_burn.lower() and selector == BURN_SELECTOR)
                or (to == rollup.general.lower() and selector == TRIGGER_SELECTOR)):
            return None
        call = {"from": tx.sender, "to": tx.to, "data": "0x" + tx.data.hex(), "gas": hex(tx.gas), "value": hex(tx.value)}
        try:
            rollup.rpc.call("eth_call", call, "latest")
        except RpcError as err:
            return f"the transaction would revert on chain {chain_id}: {describe_revert(err.data, err.message)}"
        leg = self._leg_of(chain_id, tx)
        if self.l1 is not None and leg.destination == self.l1.chain_id:
            if isinstance(leg, TransferLeg) and leg.token.lower() == self.l1.exit_token.lower():
                return None  # an exit: finalized on L1 later, no destination leg here
            return f"only token {self.l1.exit_token} can exit to L1 (chain {leg.destination})"
        if leg.destination not in self.rollups:
            return f"destination chain {leg.destination} is not served by this sequencer"
        return self._simulate_destination(leg)

    def _leg_of(self, chain_id: int, tx) -> Leg:
        """The leg the burn or trigger asks for, with the nonce it would get now."""
        words = tx.data[4:]
        destination = int.from_bytes(words[:32], "big")
        if tx.data[:4] == BURN_SELECTOR:
            return TransferLeg(chain_id, destination, 0, tx.sender, "0x" + words[44:64].hex(),
                               "0x" + words[76:96].hex(), int.from_bytes(words[96:128], "big"))
        offset = int.from_bytes(words[64:96], "big")
        length = int.from_bytes(words[offset:offset + 32], "big")
        return CallLeg(chain_id, destination, 0, tx.sender, "0x" + words[44:64].hex(),
                       int.from_bytes(words[96:128], "big"), words[offset + 32:offset + 32 + length])

    def _simulate_destination(self, leg: Leg) -> str | None:
        """eth_call of the destination leg as the sequencer, as if it were the next one."""
        destination = self.rollups[leg.destination]
        kind = leg.kind.value
        nonce = self._inbound_count(destination, kind, leg.source, "latest")
        leg = type(leg)(**{**leg.__dict__, "nonce": nonce})
        to = destination.mint_burn if kind == "transfer" else destination.general
        call = {"from": self.address, "to": to, "data": "0x" + destination_calldata(leg).hex(),
                "gas": hex(destination_gas(leg))}
        try:
            destination.rpc.call("eth_call", call, "latest")
        except RpcError as err:
            return (f"its destination leg would fail on chain {leg.destination}: "
                    f"{describe_revert(err.data, err.message)}")
        return None

    # --- relaying ------------------------------------------------------------------------------

    def poll(self) -> RelayReport:
        """Deliver every new outbound leg; return what happened."""
        with self._lock:
            report = RelayReport()
            for rollup in self.rollups.values():
                head = int(rollup.rpc.call("eth_blockNumber"), 16)
                if head <= self.scanned[rollup.chain_id]:
                    continue
                logs = rollup.rpc.call("eth_getLogs", {"fromBlock": hex(self.scanned[rollup.chain_id] + 1), "toBlock": hex(head),
                                                       "address": [rollup.mint_burn, rollup.general],
                                                       "topics": [list(OUTBOUND_TOPICS)]})
                legs = [decode_outbound_log(entry, rollup.chain_id) for entry in logs]
                legs = [leg for leg in legs if self.l1 is None or leg.destination != self.l1.chain_id]  # exits
                delivered = [self._deliver(leg, report) for leg in legs]  # pairs are independent: try all
                if all(delivered):
                    self.scanned[rollup.chain_id] = head  # else rescan from here next time (idempotent)
            heads = self._heads()
            if self.deposits is not None:
                for deposits in self.deposits.due(heads).values():
                    for deposit in deposits:  # in nonce order: a failed one holds back the later ones
                        if not self._deliver(deposit.leg, report):
                            break
            self._find_cut(heads)
            self.last_report = report
            return report

    def _deliver(self, leg: Leg, report: RelayReport) -> bool:
        """Send one destination leg unless already there; False if it is not (yet) delivered."""
        kind = leg.kind.value
        pair = (leg.source, leg.destination, kind)
        destination = self.rollups.get(leg.destination)
        if destination is None:
            report.failures.append(f"leg to unknown chain {leg.destination}")
            return True
        count = self._inbound_count(destination, kind, leg.source, "latest")
        if leg.nonce < count:
            report.skipped += 1
            return True
        if leg.nonce > count or pair in self.stuck:
            return False  # an earlier leg of the pair is not delivered
        to = destination.mint_burn if kind == "transfer" else destination.general
        nonce = int(destination.rpc.call("eth_getTransactionCount", self.address, "pending"), 16)
        gas_price = 2 * int(destination.rpc.call("eth_gasPrice"), 16)
        raw, tx_hash = destination.signer.sign(nonce, gas_price, destination_gas(leg), bytes.fromhex(to[2:]), 0,
                                               destination_calldata(leg))
        reason = self._send_and_wait(destination, raw, tx_hash)
        if reason is None:
            report.delivered += 1
            return True
        self.attempts[leg.leg_hash()] = self.attempts.get(leg.leg_hash(), 0) + 1
        report.failures.append(f"{kind} leg {leg.source}->{leg.destination} #{leg.nonce} failed "
                               f"(attempt {self.attempts[leg.leg_hash()]}/{MAX_ATTEMPTS}): {reason}")
        if self.attempts[leg.leg_hash()] >= MAX_ATTEMPTS:
            sent = self.deposits.made.get(leg.destination, 0) if leg.source not in self.rollups else \
                self._outbound_count(self.rollups[leg.source], kind, leg.destination)
            self.stuck[pair] = Stuck(leg, reason, sent, count)
            log.error("%s", self.stuck[pair].line())
        return False

    def _send_and_wait(self, rollup: Rollup, raw: bytes, tx_hash: str) -> str | None:
        """None if the leg landed and appended its leaf; else why not."""
        try:
            rollup.rpc.call("eth_sendRawTransaction", "0x" + raw.hex())
        except RpcError as err:
            return f"the node refused it: {err.message}"
        deadline = time.monotonic() + RECEIPT_TIMEOUT
        while (receipt := rollup.rpc.call("eth_getTransactionReceipt", tx_hash)) is None:
            if time.monotonic() > deadline:
                return f"no receipt for {tx_hash} after {RECEIPT_TIMEOUT:.0f} s"
            time.sleep(0.2)
        if int(receipt["status"], 16) == 1 and any(e["topics"][0] in INBOUND_TOPICS for e in receipt["logs"]):
            return None
        try:
            trace = rollup.rpc.call("debug_traceTransaction", tx_hash, {"tracer": "callTracer"})
            return f"reverted in {tx_hash}: " + describe_revert(trace.get("output"), trace.get("error"))
        except RpcError:
            return f"reverted in {tx_hash}"

    def _inbound_count(self, rollup: Rollup, kind: str, source: int, block: str) -> int:
        to = rollup.mint_burn if kind == "transfer" else rollup.general
        data = INBOUND_COUNT[kind] + source.to_bytes(32, "big").hex()
        return int(rollup.rpc.call("eth_call", {"to": to, "data": data}, block), 16)

    def _outbound_count(self, rollup: Rollup, kind: str, destination: int) -> int:
        to = rollup.mint_burn if kind == "transfer" else rollup.general
        data = OUTBOUND_COUNT[kind] + destination.to_bytes(32, "big").hex()
        return int(rollup.rpc.call("eth_call", {"to": to, "data": data}, "latest"), 16)

    # --- L1 ---------------------------------------------------------------------------------------

    def post(self) -> RelayReport:
        """Post every rollup's blocks up to a consistent cut of the current heads (an earlier
        one if that is too large for one post)."""
        with self._lock:
            report = self.last_report or RelayReport()
            report.no_cut, report.l1_batch = None, None
            if self.inbox is None:
                report.no_cut = "no L1 inbox in the record"
                return report
            heads = self._heads()
            unequal = self._find_cut(heads)
            if unequal:
                report.no_cut = ("no consistent cut at the heads " + str(heads) + ": " + "; ".join(
                    f"{p.kind} {p.source}->{p.destination} {p.source_count} vs {p.destination_count}" for p in unequal))
                return report
            failed = self._top_up_bond()
            if failed is not None:
                report.l1_batch = BatchReport(False, None, {}, error=failed)
                return report
            if self._batcher is None:
                self._batcher = self._new_batcher()
            report.l1_batch = self._batcher.post(heads, shrink=self._earlier_cut)
            if report.l1_batch is not None and report.l1_batch.ok:
                self._forget_cuts(report.l1_batch.ranges)
            return report

    def _new_batcher(self) -> Batcher:
        return Batcher(self.inbox, self.rollups, every=1, max_data_bytes=self.max_data_bytes,
                       data_availability=self.data_availability)

    # --- consistent cuts ----------------------------------------------------------------------

    def _heads(self) -> Heights:
        return {c: int(r.rpc.call("eth_blockNumber"), 16) for c, r in self.rollups.items()}

    def _find_cut(self, heads: Heights) -> list:
        """The pairs that disagree at ``heads``; if none do, ``heads`` is kept as a cut. (Heads
        already read are not read again: a cut is the same cut the second time.)"""
        if heads == self._checked:
            return []
        unequal = [p for p in read_pair_roots(self.rollups, heads) if not p.equal]
        if not unequal:
            self._checked = dict(heads)
            self.cuts.append(dict(heads))
            if len(self.cuts) > MAX_CUTS:
                self.cuts = self.cuts[::-2][::-1]  # every other one, keeping the latest
        return unequal

    def _earlier_cut(self, ranges: Ranges) -> Ranges | None:
        """For a post of ``ranges`` that is too large: the same first blocks up to the latest
        kept cut that ends before ``ranges`` do, at least one block per rollup; None if there
        is none (the post stays as it is: too large is honest, an inconsistent cut is not)."""
        lasts = {c: last for c, (_, last) in ranges.items()}
        for cut in reversed(self.cuts):
            if cut != lasts and all(first <= cut[c] <= lasts[c] for c, (first, _) in ranges.items()):
                log.info("the post up to %s is too large; trying the earlier consistent cut %s", lasts, cut)
                return {c: (first, cut[c]) for c, (first, _) in ranges.items()}
        log.warning("the post up to %s is larger than %d bytes and no earlier consistent cut is known: posting it "
                    "as it is", lasts, self.max_data_bytes)
        return None

    def _forget_cuts(self, posted: Ranges) -> None:
        """Drop the cuts a post has covered (a next post starts after its last blocks)."""
        self.cuts = [cut for cut in self.cuts if all(cut[c] > last for c, (_, last) in posted.items())]

    # --- the bond ---------------------------------------------------------------------------------

    def _top_up_bond(self) -> str | None:
        """An optimistic inbox takes no batch without a bond: post what is missing of the larger
        of its minimum and ``self.bond``. Why not, if that failed; None if all is well."""
        if not self.inbox.optimistic():
            return None
        wanted = max(self.inbox.contract.functions.BOND_AMOUNT().call(), self.bond)
        posted = self.inbox.bond()
        if posted >= wanted:
            return None
        try:
            self.inbox.post_bond(wanted - posted)
        except Exception as err:  # noqa: BLE001 - reported; the next post tries again
            log.exception("posting the bond to %s failed", self.inbox.address)
            return f"posting a bond of {wanted - posted} wei failed: {type(err).__name__}: {err}"
        log.info("posted a bond of %d wei to the optimistic inbox %s: it now holds %d wei", wanted - posted,
                 self.inbox.address, wanted)
        return None

    def status(self) -> dict:
        report = self.last_report
        return {"sequencer": self.address, "mode": "attach",
                "scanned": {str(c): h for c, h in self.scanned.items()},
                "stuck": [s.line() for s in self.stuck.values()],
                "lastPoll": None if report is None else {"delivered": report.delivered, "skipped": report.skipped,
                                                         "failures": report.failures, "noCut": report.no_cut,
                                                         "l1Batch": report.l1_batch.as_dict() if report.l1_batch else None},
                "l1Legs": self.deposits.status(self._heads()) if self.deposits else None}


class AttachIngress(JsonRpcEndpoint):
    """Forwards JSON-RPC to one rollup's node; burns and triggers pass the guard first. The
    envelope (batch limit, malformed requests, errors) is the sequencer ingress's."""

    def __init__(self, relayer: Relayer, chain_id: int):
        self.relayer, self.chain_id = relayer, chain_id
        self.upstream = relayer.rollups[chain_id].rpc

    def call(self, method: str, params: list):
        if method == "sequencer_status":
            return self.relayer.status()
        if method == "eth_sendRawTransaction":
            try:
                raw = bytes.fromhex(str(params[0]).removeprefix("0x"))
            except (ValueError, IndexError) as err:
                raise RpcFailure(-32602, f"invalid params: {err}") from err
            reason = self.relayer.refusal(self.chain_id, raw)
            if reason is not None:
                raise RpcFailure(-32000, f"refused by the sequencer: {reason}")
        return self.upstream.call(method, *params)


def _poll_and_post(relayer: Relayer, post: bool) -> None:
    report = relayer.poll()
    if report.delivered or report.failures:
        log.info("relayed %d leg(s); %s", report.delivered, "; ".join(report.failures) or "no failures")
    if post:
        posted = relayer.post()
        if posted.l1_batch is not None:
            log.info("%s", posted.l1_batch.line())
        elif posted.no_cut:
            log.warning("L1 post skipped: %s", posted.no_cut)


def serve(relayer: Relayer, first_port: int, interval: float, post_every: int, stop: threading.Event) -> None:
    """Ingress on first_port, first_port + 1, ... (rollups in record order); poll every
    ``interval`` seconds and post to L1 every ``post_every`` polls, until ``stop`` is set."""
    servers = [IngressServer(AttachIngress(relayer, c), "127.0.0.1", first_port + i).start()
               for i, c in enumerate(relayer.rollups)]
    for chain_id, server in zip(relayer.rollups, servers):
        log.info("attach mode: ingress for chain %d on %s (forwarding to %s)", chain_id, server.url,
                 relayer.rollups[chain_id].rpc.url)
    polls = 0
    try:
        while not stop.is_set():
            polls += 1
            try:
                _poll_and_post(relayer, post_every and polls % post_every == 0)
            except Exception:  # a node or L1 failing must not stop the relay: the next poll tries again
                log.exception("attach mode: a poll or post failed; trying again in %g s", interval)
            stop.wait(interval)
    finally:
        for server in servers:
            server.stop()
