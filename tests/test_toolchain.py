"""The toolchain works offline and is what the lock files say."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOLC = ROOT / "tools" / "solc"


def run(args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, **kwargs)


def locked(package: str) -> str:
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        name, _, pinned = line.partition("==")
        if name.lower().replace("_", "-") == package:
            return pinned
    raise AssertionError(f"{package} is not pinned in requirements.lock")


def test_installed_ape_pair_is_the_locked_pair_and_imports_together():
    for package in ("eth-ape", "ape-foundry", "ape-solidity", "eth-pydantic-types", "evm-trace"):
        assert version(package) == locked(package), package
    # A plain install resolves eth-ape 0.8.52 with an ape-foundry that fails right here, importing
    # a type (HashBytes32) its eth-pydantic-types lacks; the locked pair imports cleanly.
    import ape_foundry.provider  # noqa: F401


@pytest.mark.parametrize("solc_version", ["0.8.28", "0.8.15"])
def test_wrapper_answers_version_in_native_format_for_each_pinned_solc(solc_version):
    from solcx.wrapper import get_solc_version

    result = run([SOLC / f"solc-v{solc_version}", "--version"])
    assert result.returncode == 0, result.stderr
    assert re.search(rf"^Version: {re.escape(solc_version)}\+commit\.[0-9a-f]{{8}}", result.stdout, re.M)
    assert str(get_solc_version(SOLC / f"solc-v{solc_version}")) == solc_version


def test_wrapper_refuses_a_version_with_no_pinned_compiler(tmp_path):
    link = tmp_path / "solc-v0.8.1"
    link.symlink_to(SOLC / "solc.js")
    result = run([link, "--version"])
    assert result.returncode != 0
    assert "no npm package" in result.stderr and "solc-0.8.1" in result.stderr


def test_standard_json_output_is_exactly_the_npm_compilers(tmp_path):
    source = "// SPDX-License-Identifier: MIT\npragma solidity 0.8.28;\ncontract C { uint public x = 42; }\n"
    request = json.dumps({
        "language": "Solidity",
        "sources": {"C.sol": {"content": source}},
        "settings": {"optimizer": {"enabled": True, "runs": 200},
                     "outputSelection": {"*": {"*": ["evm.bytecode.object", "evm.deployedBytecode.object"]}}},
    })
    ours = run([SOLC / "solc-v0.8.28", "--standard-json"], input=request)
    reference = run(["node", "-e", "const s=require('./node_modules/solc');"
                     "let i='';process.stdin.on('data',d=>i+=d).on('end',()=>process.stdout.write(s.compile(i)))"],
                    input=request)
    assert ours.returncode == 0 and reference.returncode == 0
    ours_out, reference_out = json.loads(ours.stdout), json.loads(reference.stdout)
    assert ours_out == reference_out
    assert ours_out["contracts"]["C.sol"]["C"]["evm"]["bytecode"]["object"].startswith("6080")


def test_standard_json_resolves_imports_from_base_then_include_paths(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "Lib.sol").write_text("// SPDX-License-Identifier: MIT\npragma solidity 0.8.28;\nlibrary Lib {}\n")
    request = json.dumps({
        "language": "Solidity",
        "sources": {"A.sol": {"content": '// SPDX-License-Identifier: MIT\npragma solidity 0.8.28;\nimport "Lib.sol";\ncontract A {}\n'}},
        "settings": {"outputSelection": {"*": {"*": ["abi"]}}},
    })
    result = run([SOLC / "solc-v0.8.28", "--standard-json", "--base-path", tmp_path / "base",
                  "--include-path", tmp_path / "inc"], input=request)
    output = json.loads(result.stdout)
    assert not [e for e in output.get("errors", []) if e["severity"] == "error"], output.get("errors")
    assert "Lib.sol" in output["sources"]


def test_combined_json_mode_for_static_analysers(tmp_path):
    (tmp_path / "C.sol").write_text("// SPDX-License-Identifier: MIT\npragma solidity 0.8.28;\ncontract C { function f() external {} }\n")
    result = subprocess.run([SOLC / "solc-v0.8.28", "--combined-json", "abi,bin,bin-runtime,hashes,ast", "C.sol"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    contract = output["contracts"]["C.sol:C"]
    assert contract["hashes"] == {"f()": "26121ff0"}
    assert contract["bin"] and contract["bin-runtime"] and contract["abi"][0]["name"] == "f"
    assert output["sources"]["C.sol"]["AST"]["nodeType"] == "SourceUnit"


def test_compile_and_contract_tests_pass_with_networking_off(tmp_path):
    """`ape compile` and an `ape test` run inside a network namespace with only loopback."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.fail("this check needs `unshare` (util-linux) and `ip` (iproute2) to cut the network")
    script = (
        "set -e; ip link set lo up; "
        "if python3 -c 'import socket; socket.create_connection((\"pypi.org\", 443), 3)' 2>/dev/null; "
        "then echo 'network still reachable' >&2; exit 3; fi; "
        "ape compile --force; "
        "ape test tests/contracts/test_token.py -q -p no:cacheprovider"
    )
    env = dict(os.environ, DATA_FOLDER=str(tmp_path))
    result = run(["unshare", "-rn", "bash", "-c", script], env=env, timeout=600)
    assert result.returncode == 0, f"offline run failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert "compiled" in (result.stdout + result.stderr)
    assert re.search(r"\d+ passed", result.stdout), result.stdout[-2000:]
