"""Where a saturated run's time goes, per transfer: py-spy samples, sorted into the tick's phases.

``ape run bench --profile`` starts ``python -m svs.measure.profile`` under ``py-spy record --idle``
(py-spy samples every thread, waiting ones too, so the time the tick thread spends waiting for a
node's answer counts in the phase that asked). The child runs one saturated sequencer run, the
same as the main table's, and writes how many transfers it committed in how many seconds. The
samples are then sorted:

- the tick thread (the one in ``run_clock``), which is the critical path: each sample goes to the
  innermost phase on its stack (simulation, signing, sends, mining, block reads, judging, journal,
  self-check, ...), or to "waiting for transactions" when the clock had nothing to build;
- the ingress threads: the samples inside ``_send_raw`` are admission (decoding, signature
  recovery, checks, the journal insert, and waiting for the admission lock a commit holds).

py-spy is a profiling tool, not a dependency: ``.venv/bin/pip install py-spy`` first.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

SAMPLE_RATE = 100  # samples per second per thread

# (phase, function names, file fragment): the innermost frame of the tick thread's stack that
# matches names the phase. A rule with names matches those functions (in that file, if given); a
# rule with only a file matches any function of it.
TICK_PHASES: list[tuple[str, frozenset[str], str]] = [
    ("journal (seal, commit)", frozenset(), "svs/pipeline/journal.py"),
    ("self-check (pair roots)", frozenset(), "svs/pipeline/selfcheck.py"),
    ("signing the legs", frozenset(), "svs/codec/signer.py"),
    ("simulation (eth_simulateV1)", frozenset({"_plan_by_simulation", "_simulate_sources", "_simulate_destinations"}),
     "svs/pipeline/builder.py"),
    ("signing the legs", frozenset({"_sign"}), "svs/pipeline/builder.py"),
    ("sends (transactions to the nodes)", frozenset({"_send"}), "svs/pipeline/builder.py"),
    ("mining", frozenset({"_mine"}), "svs/pipeline/builder.py"),
    ("block reads (blocks, receipts, logs)", frozenset({"_read"}), "svs/pipeline/builder.py"),
    ("judging", frozenset({"_judge", "_wanted_legs", "_same_legs", "_in_order"}), "svs/pipeline/builder.py"),
    ("rollbacks", frozenset({"_roll_back"}), "svs/pipeline/builder.py"),
    ("deposits from L1", frozenset(), "svs/l1/deposits.py"),
    ("candidates (mempool)", frozenset(), "svs/pipeline/mempool.py"),
    ("node checkpoints", frozenset({"_checkpoint_if_due"}), "svs/run/service.py"),
    ("other tick work", frozenset({"tick", "_tick", "build"}), ""),
    ("waiting for transactions", frozenset({"run_clock"}), "svs/run/service.py"),
]
ADMISSION = "admission (ingress threads)"


@dataclass
class Frame:
    function: str
    file: str

    @classmethod
    def parse(cls, text: str) -> "Frame":
        """py-spy's raw frame: ``function (path/to/file.py:line)``; py-spy 0.4 qualifies a
        method with its class (``Service.run_clock``), which is dropped."""
        function, _, where = text.partition(" (")
        return cls(function.strip().rsplit(".", 1)[-1], where.rsplit(":", 1)[0])


def phase_of(stack: list[Frame]) -> str | None:
    """The tick phase of one stack of the tick thread (innermost match), None for other threads."""
    if not any(f.function == "run_clock" for f in stack):
        return None
    for frame in reversed(stack):
        for phase, names, file in TICK_PHASES:
            if (not names or frame.function in names) and (not file or frame.file.endswith(file)):
                return phase
    return "other tick work"


def summarize(raw: str, transfers: int) -> list[dict]:
    """Rows (phase, ms per transfer, share of the tick thread) from py-spy's raw output."""
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack_text, _, count = line.rpartition(" ")
        if not stack_text or not count.isdigit():
            continue
        stack = [Frame.parse(f) for f in stack_text.split(";")]
        phase = phase_of(stack)
        if phase is not None:
            counts[phase] += int(count)
        elif any(f.function == "_send_raw" for f in stack):
            counts[ADMISSION] += int(count)
    tick_total = sum(n for phase, n in counts.items() if phase != ADMISSION)
    if not tick_total:
        raise ValueError("no sample of the tick thread (a stack through run_clock): has py-spy's frame format changed?")
    order = [p for p, _, _ in TICK_PHASES] + [ADMISSION]
    rows = []
    for phase in dict.fromkeys(order):
        if counts[phase]:
            rows.append({"phase": phase, "ms_per_transfer": 1000 * counts[phase] / SAMPLE_RATE / transfers,
                         "share": counts[phase] / tick_total if phase != ADMISSION else None})
    return rows


def profile(transfers: int, block_size: int, out_dir: Path) -> tuple[list[dict], dict]:
    """Run the profiled child under py-spy; returns the rows and the run's figures. py-spy's raw
    samples are kept gzipped in ``out_dir/profile-raw.txt.gz``."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise RuntimeError("py-spy is not installed: .venv/bin/pip install py-spy")
    with tempfile.TemporaryDirectory() as tmp:
        raw_path, result_path = Path(tmp) / "profile-raw.txt", Path(tmp) / "profile-run.json"
        done = subprocess.run([spy, "record", "--idle", "--rate", str(SAMPLE_RATE), "--format", "raw", "--output",
                               str(raw_path), "--", sys.executable, "-m", "svs.measure.profile", "--transfers",
                               str(transfers), "--block-size", str(block_size), "--result", str(result_path)],
                              capture_output=True, text=True)
        # py-spy 0.4 may exit with 1 ("No child process") after a child that finished well: the
        # child's result file, not py-spy's status, says whether the run happened.
        if not result_path.exists() or not raw_path.exists():
            raise RuntimeError(f"the profiled run failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        run = json.loads(result_path.read_text())
        raw = raw_path.read_text()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "profile-raw.txt.gz").write_bytes(gzip.compress(raw.encode()))
    try:
        return summarize(raw, run["transfers"]), run
    except ValueError as err:
        raise RuntimeError(f"{err} (raw samples kept in {out_dir / 'profile-raw.txt.gz'})") from err


def _child() -> None:
    """One saturated sequencer run (the profiled process)."""
    from svs.measure.bench import BenchConfig, _sender_keys, build_workload, fresh_system, run_sequencer

    parser = argparse.ArgumentParser()
    parser.add_argument("--transfers", type=int, required=True)
    parser.add_argument("--block-size", type=int, required=True)
    parser.add_argument("--result", type=Path, required=True)
    args = parser.parse_args()
    config = BenchConfig()  # the main table's senders and request batches
    keys = _sender_keys(config.senders)
    with tempfile.TemporaryDirectory() as tmp:
        service = fresh_system(Path(tmp) / "profiled", args.block_size, 0, keys)
        try:
            workload = build_workload(service, keys, args.transfers, with_mints=False)
            result = run_sequencer(service, workload, batch=config.batch)
        finally:
            service.shutdown()
    args.result.write_text(json.dumps({"transfers": result.transfers, "seconds": result.seconds,
                                       "rate": result.rate}))


if __name__ == "__main__":
    _child()
