"""Static analysis: slither over every contract under contracts/, one run per compiler version.

    ./svs.sh slither                  every contract; exits non-zero on any untriaged finding
    ./svs.sh slither --show-ignored-findings   extra arguments pass through to each slither run
                                               (this one lists the triaged findings too)

Runs in .venv-slither (requirements-slither.lock), not the project's .venv: crytic-compile
brings solc-select, whose `solc` shim on PATH would become py-solc-x's default compiler.

A slither target is one file or one flat folder, but contracts/ has subfolders and two compiler
versions, so this script writes one solc standard-JSON input per version (every .sol file whose
pragma pins that version exactly; the rest go to the newest version, as ape-solidity picks) and
hands each to slither. The compiler is the project's own npm-solc bridge in tools/solc and the
import remappings are ape-config.yaml's, so slither sees what `ape compile` sees. Triage lives in
slither.config.json and in `// slither-disable-next-line` comments (README, "Static analysis").
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SLITHER = ROOT / ".venv-slither" / "bin" / "slither"
# Report a finding when one of its places is in our contracts, outside contracts/test/: the test
# fixtures misbehave on purpose (hostile sources, re-entering probes) and are deployed only by the
# suite. They are still compiled here. Findings only in node_modules (OpenZeppelin, OP) are not
# ours to fix; those that also name our code (a pragma shared with OP's RLP library) are shown.
# Built from the absolute path: the bare "contracts/" also matches node_modules/@openzeppelin/.
REPORTED = re.escape((ROOT / "contracts").as_posix()) + "/(?!test/)"
PINNED = re.compile(r"^\s*pragma\s+solidity\s+=?\s*(\d+\.\d+\.\d+)\s*;", re.MULTILINE)


def remappings() -> list[str]:
    """The `import_remapping` entries of ape-config.yaml (a flat list of quoted strings)."""
    found, inside = [], False
    for line in (ROOT / "ape-config.yaml").read_text().splitlines():
        if re.match(r"^\s*import_remapping:\s*$", line):
            inside = True
        elif inside and (item := re.match(r"""^\s*-\s*["']?([^"'\s]+)["']?\s*$""", line)):
            found.append(item.group(1))
        elif inside and line.strip() and not line.lstrip().startswith("#"):
            break
    if not found:
        sys.exit("slither: no import_remapping entries found in ape-config.yaml")
    return found


def compilers() -> dict[str, Path]:
    found = {p.name.removeprefix("solc-v"): p for p in (ROOT / "tools" / "solc").glob("solc-v*")}
    if not found:
        sys.exit("slither: no solc-v<version> links in tools/solc")
    return found


def units() -> dict[str, list[str]]:
    """Source files per compiler version: an exact pragma picks its version, others the newest."""
    solcs = compilers()
    newest = max(solcs, key=lambda v: tuple(map(int, v.split("."))))
    grouped: dict[str, list[str]] = {}
    for path in sorted((ROOT / "contracts").rglob("*.sol")):
        pin = PINNED.search(path.read_text())
        version = pin.group(1) if pin else newest
        if version not in solcs:
            sys.exit(f"slither: {path.relative_to(ROOT)} pins solc {version}; tools/solc has {sorted(solcs)}")
        grouped.setdefault(version, []).append(str(path.relative_to(ROOT)))
    return grouped


def check_reported(files: list[str]) -> None:
    """Guard against a silently empty analysis: REPORTED, as slither rewrites and applies it,
    must keep every file outside contracts/test/ and drop the rest."""
    from slither.core.slither_core import _relative_path_format  # what slither does to the pattern

    pattern = _relative_path_format(REPORTED)
    for f in files + ["node_modules/@openzeppelin/contracts/token/ERC20/ERC20.sol"]:
        want = f.startswith("contracts/") and not f.startswith("contracts/test/")
        if bool(re.search(pattern, (ROOT / f).resolve().as_posix())) != want:
            sys.exit(f"slither: --include-paths {REPORTED!r} {'misses' if want else 'keeps'} {f}")


def main(extra: list[str]) -> int:
    if not SLITHER.exists():
        sys.exit(f"slither: {SLITHER} is missing: run ./svs.sh slither (it installs it)")
    solcs = compilers()
    check_reported([f for files in units().values() for f in files])
    failed = []
    with tempfile.TemporaryDirectory(prefix="svs-slither-") as tmp:
        for version, files in sorted(units().items()):
            # Not named *.json: slither would take a .json target for a solc AST export.
            target = Path(tmp) / f"contracts-{version}.stdjson"
            target.write_text(json.dumps({
                "language": "Solidity",
                "sources": {f: {"urls": [f]} for f in files},
                "settings": {"remappings": remappings()},
            }))
            print(f"[slither] solc {version}: {len(files)} files", file=sys.stderr, flush=True)
            result = subprocess.run(
                [str(SLITHER), str(target), "--compile-force-framework", "solc-json",
                 "--solc", str(solcs[version]), "--config-file", str(ROOT / "slither.config.json"),
                 "--include-paths", REPORTED, *extra],
                cwd=ROOT)
            if result.returncode != 0:
                failed.append(version)
    if failed:
        print(f"[slither] FAILED: untriaged findings or errors for solc {', '.join(failed)} "
              "(fix them, or triage them as README \"Static analysis\" says)", file=sys.stderr)
        return 1
    print("[slither] clean: no untriaged findings", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
