"""Mutation check: each mutant is a small, deliberate bug; the test suite must catch every one.

    ./svs.sh mutate                      every mutant, the whole suite (stops at the first failure)
    ./svs.sh mutate --only tree-hash-order --only mint-appends-no-leaf
    ./svs.sh mutate --list

For each mutant: clone the committed tree into a temporary directory (sharing .venv,
node_modules and .tools), apply the one-line change, run the suite there with ``-x``, and
report the first test that failed. A mutant whose run passes "survived": the script prints
SURVIVED and exits 1. The table it prints is the one in tests/README.md.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
SHARED = (".venv", "node_modules", ".tools")  # installed state, shared by symlink


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str
    what: str

    def apply(self, root: Path) -> None:
        file = root / self.path
        text = file.read_text()
        if text.count(self.old) != 1:
            raise click.ClickException(f"mutant {self.name}: expected its text once in {self.path}, "
                                       f"found it {text.count(self.old)} times (update tools/mutate.py)")
        file.write_text(text.replace(self.old, self.new))


MUTANTS = (
    Mutant("mint-appends-no-leaf", "contracts/MintBurnSystemContract.sol",
           "_append(false, sourceChainId, legHash_); // before the token call",
           "// before the token call",
           "MintBurn.mint mints but appends nothing to the inbound tree"),
    Mutant("trie-trusts-inner-nodes", "contracts/libraries/CalldataTrie.sol",
           "if (keccak256(node) != root) revert TrieBadNodeHash(n);",
           "if (n == 0 && keccak256(node) != root) revert TrieBadNodeHash(n);",
           "the inbox's trie proof checks only the root node's hash, so any inner node can be forged"),
    Mutant("bridge-replays-exits", "contracts/L1/L1Bridge.sol",
           "if (_exitsFinalized[exit.rollup][word] & bit != 0) revert BridgeExitReplayed(exit.rollup, exit.nonce);",
           "word;",
           "L1Bridge.finalizeExit pays an exit again and again"),
    Mutant("inbox-ignores-deposit-window", "contracts/L1/BatchInbox.sol",
           "served_ = depositBlock_ == 0 || atBlock <= depositBlock_ + DEPOSIT_WINDOW;",
           "served_ = true;",
           "the inbox accepts batches that leave deposits unserved past the window"),
    Mutant("action-ignores-failed-call", "contracts/GeneralSystemContract.sol",
           "if (!success) revert GeneralActionFailed(target, _boundedReturnData());",
           "success;",
           "General.action appends its leaf even when the call it makes fails"),
    Mutant("builder-keeps-failed-source", "svs/pipeline/builder.py",
           "                if not ok:\n                    failing[chain_id].append(",
           "                if False:\n                    failing[chain_id].append(",
           "the builder keeps a source transaction whose destination leg failed"),
    Mutant("inbox-skips-storage-proofs", "contracts/L1/BatchInbox.sol",
           "if (!OPTIMISTIC) _verifyAllPairs(batches, proofs);",
           "",
           "the strict inbox accepts a batch without checking its storage proofs"),
    Mutant("journal-skips-recovery", "svs/pipeline/recovery.py",
           "    last = journal.last_tick()\n    if last is None:\n        return \"fresh state directory\"",
           "    last = journal.last_tick()\n    if True:\n        return \"fresh state directory\"",
           "a restarted sequencer ignores the journal's interrupted tick"),
    Mutant("tree-hash-order", "contracts/libraries/IncrementalMerkleTree.sol",
           "node = hashPair(tree.branch[h], node);",
           "node = hashPair(node, tree.branch[h]);",
           "the Merkle tree hashes a right child's pair in the wrong order"),
    Mutant("selfcheck-counts-only", "svs/pipeline/selfcheck.py",
           "return (self.source_root, self.source_count) == (self.destination_root, self.destination_count)",
           "return self.source_count == self.destination_count",
           "the self-check compares tree sizes, not roots"),
    Mutant("no-sender-cascade", "svs/pipeline/builder.py",
           "elif tx.sender in cut and tx.nonce > cut[tx.sender][0]:",
           "elif False:",
           "later transactions of an excluded sender are kept"),
    Mutant("burn-burns-nothing", "contracts/MintBurnSystemContract.sol",
           "IERC7802(token).crosschainBurn(msg.sender, amount);",
           "",
           "MintBurn.burn appends the leaf but burns no tokens"),
    Mutant("header-challenge-inverted", "contracts/L1/BatchInbox.sol",
           "if (StateProofs.headerStateRoot(header) == record.stateRoot) {",
           "if (StateProofs.headerStateRoot(header) != record.stateRoot) {",
           "the header challenge voids honest batches and spares false ones"),
    Mutant("liar-tells-nothing", "svs/testing/faults.py",
           "return [replace(first, state_root=keccak(first.state_root))] + rest",
           "return [first] + rest",
           "fault injection itself: the wrong-state-root lie is not told"),
)


def _clone(workdir: Path) -> Path:
    target = workdir / "repo"
    subprocess.run(["git", "clone", "-q", "--local", str(ROOT), str(target)], check=True)
    for name in SHARED:
        if not (ROOT / name).exists():
            raise click.ClickException(f"{ROOT / name} is missing: run ./svs.sh setup first")
        (target / name).symlink_to(ROOT / name)
    if (ROOT / ".build").is_dir():  # compiled contracts; a .sol mutant changes the stamp and recompiles
        shutil.copytree(ROOT / ".build", target / ".build")
    return target


def _first_failure(output: str) -> str | None:
    match = re.search(r"^(?:FAILED|ERROR) (\S+)", output, re.MULTILINE)
    return match.group(1) if match else None


def run_mutant(mutant: Mutant, pytest_args: list[str]) -> tuple[str, str, float]:
    """(outcome, detail, seconds): outcome is caught, SURVIVED or broken (the run itself failed)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"mutant-{mutant.name}-") as tmp:
        repo = _clone(Path(tmp))
        mutant.apply(repo)
        env = {**os.environ, "CI": "true", "PYTHONPATH": str(repo)}
        where = subprocess.run([str(repo / ".venv/bin/python"), "-c", "import svs; print(svs.__file__)"],
                               cwd=repo, env=env, capture_output=True, text=True).stdout.strip()
        if not where.startswith(str(repo)):
            return "broken", f"the clone imports svs from {where}, not from itself", time.monotonic() - started
        result = subprocess.run(["./svs.sh", "test", "-x", "-q", "-p", "no:cacheprovider", *pytest_args],
                                cwd=repo, env=env, capture_output=True, text=True)
        output = result.stdout + result.stderr
    seconds = time.monotonic() - started
    failure = _first_failure(output)
    if result.returncode == 0:
        return "SURVIVED", "every test passed", seconds
    if failure is None:
        tail = " ".join(output.strip().splitlines()[-3:])
        return "broken", f"the run failed without a failing test: {tail}", seconds
    return "caught", failure, seconds


@click.command()
@click.option("--only", multiple=True, type=click.Choice([m.name for m in MUTANTS]), help="Run only these mutants.")
@click.option("--list", "list_only", is_flag=True, help="List the mutants and exit.")
@click.argument("pytest_args", nargs=-1)
def cli(only, list_only, pytest_args):
    """Apply each mutant to a clone and run the suite (or PYTEST_ARGS, e.g. a test path)."""
    mutants = [m for m in MUTANTS if not only or m.name in only]
    if list_only:
        for mutant in mutants:
            click.echo(f"{mutant.name:28} {mutant.path:45} {mutant.what}")
        return
    rows = []
    for mutant in mutants:
        click.echo(f"[mutate] {mutant.name}: {mutant.what} ...", err=True)
        outcome, detail, seconds = run_mutant(mutant, list(pytest_args))
        click.echo(f"[mutate] {mutant.name}: {outcome} ({detail}) in {seconds:.0f} s", err=True)
        rows.append((mutant, outcome, detail, seconds))
    click.echo("\n| mutant | change | outcome | first test that failed | seconds |")
    click.echo("|---|---|---|---|---|")
    for mutant, outcome, detail, seconds in rows:
        click.echo(f"| `{mutant.name}` | {mutant.what} (`{mutant.path}`) | {outcome} | `{detail}` | {seconds:.0f} |")
    if any(outcome != "caught" for _, outcome, _, _ in rows):
        sys.exit(1)


if __name__ == "__main__":
    cli()
