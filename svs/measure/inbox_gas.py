"""Gas of the L1 inbox, measured on a DevNet of N rollups: strict submits with 1, 100 and 1,000
transfers each way between the first two rollups (and a batch with no transfers as the
baseline), each with its data in calldata and again, from the same L1 state, in EIP-4844 blobs;
an optimistic submit, and a challenge.

Each strict submit covers exactly one rollup block per rollup holding that many transfers in
each direction, so the proofs are the same in number and the batch data is what grows. The
report splits each transaction's gas into calldata (intrinsic: 21,000 plus the bytes, with the
EIP-7623 floor) and execution, so "verification does not grow with the batch" can be read off,
and gives the gas per transfer. Run it for several N to see verification grow linearly in N.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from svs.codec.blobs import blobs_needed
from svs.deploy import accounts
from svs.l1.inbox import Sent
from svs.l1.proofs import commitment_proof
from svs.pipeline.limits import MAX_BLOBS_PER_POST
from svs.testing.devnet import DevNet

STRICT_SIZES = (0, 1, 100, 1000)


@dataclass(frozen=True)
class GasRow:
    label: str
    gas_used: int
    calldata_bytes: int
    data_bytes: int  # of which the batches' transaction data
    transfers: int = 0  # transfers the transaction carries (both directions)
    blobs: int = 0
    blob_gas: int = 0

    @property
    def per_transfer(self) -> str:
        return f"{self.gas_used / self.transfers:,.0f}" if self.transfers else "-"

    @property
    def execution(self) -> int:
        """Gas beyond 21,000 and the standard calldata cost (16 per non-zero, 4 per zero byte);
        an estimate, since the split of zero bytes is not kept."""
        return self.gas_used - 21_000 - 16 * self.calldata_bytes


def _row(label: str, sent: Sent, data_bytes: int, transfers: int = 0) -> GasRow:
    return GasRow(label, sent.gas_used, sent.calldata_bytes, data_bytes, transfers, sent.blobs, sent.blob_gas_used)


def measure(state_dir: Path, rollups: int = 2, sizes: tuple[int, ...] = STRICT_SIZES, progress=print) -> list[GasRow]:
    """The rows of the table for ``rollups`` rollups; ``sizes`` are the strict rows' transfers
    each way (0 first: it is the baseline)."""
    net = DevNet(state_dir, rollups=rollups).start()
    try:
        rows = []
        a, b = net.chain_ids[:2]
        # Post the deployment blocks first so each measured batch holds just its own block.
        net.post("strict")
        net.post("optimistic")
        for size in sizes:
            progress(f"strict submit, {size} transfer(s) each way ...")
            if size:
                net.transfers(a, b, size, mint=True)
                net.transfers(b, a, size, mint=True)
            else:
                net.mine()
            batches, proofs = net.collect("strict")
            data_bytes = sum(len(x.data) for x in batches)
            needed = sum(blobs_needed(len(x.data)) for x in batches)
            if size and needed > MAX_BLOBS_PER_POST:
                progress(f"  in blobs: {needed} blobs, more than the {MAX_BLOBS_PER_POST} one transaction carries "
                         "(the sequencer posts this in calldata); calldata only")
            elif size:  # the same submission in blobs, from the same L1 state
                before = net.rpc_l1("evm_snapshot")
                sent = net.inboxes["strict"].submit(batches, proofs, in_blobs=True)
                rows.append(_row(f"strict submit in blobs, {size:,} transfers each way", sent, data_bytes, 2 * size))
                net.rpc_l1("evm_revert", before)
            sent = net.inboxes["strict"].submit(batches, proofs)
            rows.append(_row(f"strict submit, {size:,} transfers each way", sent, data_bytes, 2 * size))
        progress("optimistic submit ...")
        net.transfers(a, b, 1)
        batches, _ = net.collect("optimistic")
        sent = net.inboxes["optimistic"].submit(batches, None)
        rows.append(_row("optimistic submit (no proofs), all blocks so far", sent, sum(len(x.data) for x in batches)))
        progress("challenge ...")
        rows.append(_challenge_row(net, a, b))
        return rows
    finally:
        net.stop()


def _challenge_row(net: DevNet, a: int, b: int) -> GasRow:
    """A burn with no mint, posted optimistically, then challenged by another account."""
    net.transfers(a, b, 1, mint=False)
    batches, _ = net.collect("optimistic")
    inbox = net.inboxes["optimistic"]
    index = inbox.batch_count()
    inbox.submit(batches, None)
    heads = {x.chain_id: x.last_block for x in batches}
    mint_burn = net.contracts["MintBurnSystemContract"]
    source = commitment_proof(net.rpc[a], mint_burn, heads[a])
    destination = commitment_proof(net.rpc[b], mint_burn, heads[b])
    challenger = type(inbox)(net.l1_url, inbox.address, accounts.user(5))
    sent = challenger.challenge(index, a, b, "transfer", source, destination)
    return _row("challenge (burn without mint)", sent, 0)


def format_table(rows: list[GasRow]) -> str:
    baseline = rows[0]
    lines = ["| transaction | gas used | calldata bytes | batch data bytes | blobs (blob gas) | execution (est.) "
             "| gas / transfer | gas / empty strict |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        blobs = f"{row.blobs} ({row.blob_gas:,})" if row.blobs else "-"
        lines.append(f"| {row.label} | {row.gas_used:,} | {row.calldata_bytes:,} | {row.data_bytes:,} | {blobs} | "
                     f"{row.execution:,} | {row.per_transfer} | {row.gas_used / baseline.gas_used:.2f} |")
    return "\n".join(lines)


def format_comparison(rows: list[GasRow]) -> str:
    """Per transfer, calldata against blobs, for every size measured both ways. Blob gas is
    priced apart from gas (its own base fee), so the two are shown side by side, not added."""
    lines = ["| transfers per batch (both ways) | calldata: L1 gas / transfer | blobs: L1 gas / transfer "
             "| blobs: blob gas / transfer | L1 gas saved |",
             "|---:|---:|---:|---:|---:|"]
    in_blobs = {row.transfers: row for row in rows if row.blobs}
    if not in_blobs:
        if not any(row.transfers for row in rows):
            return "(no transfers measured)"
        return f"(no size fits the {MAX_BLOBS_PER_POST} blobs of one transaction at this number of rollups)"
    for row in rows:
        blob = in_blobs.get(row.transfers)
        if row.blobs or blob is None:
            continue
        lines.append(f"| {row.transfers:,} | {row.gas_used / row.transfers:,.0f} | {blob.gas_used / blob.transfers:,.0f} "
                     f"| {blob.blob_gas / blob.transfers:,.0f} | {1 - blob.gas_used / row.gas_used:.0%} |")
    return "\n".join(lines)
