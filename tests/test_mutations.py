"""The mutation list (tools/mutate.py) stays in step with the code: every mutant's text occurs
exactly once where it says, so `./svs.sh mutate` really applies each bug it names."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("mutate", ROOT / "tools" / "mutate.py")
mutate = importlib.util.module_from_spec(_spec)
sys.modules["mutate"] = mutate  # dataclasses look their module up there
_spec.loader.exec_module(mutate)


@pytest.mark.parametrize("mutant", mutate.MUTANTS, ids=[m.name for m in mutate.MUTANTS])
def test_each_mutant_applies_once_and_changes_the_file(mutant, tmp_path):
    target = tmp_path / mutant.path
    target.parent.mkdir(parents=True)
    original = (ROOT / mutant.path).read_text()
    target.write_text(original)
    mutant.apply(tmp_path)
    assert target.read_text() != original


def test_the_required_mutants_are_in_the_list():
    names = {m.name for m in mutate.MUTANTS}
    assert {"mint-appends-no-leaf", "action-ignores-failed-call", "builder-keeps-failed-source",
            "inbox-skips-storage-proofs", "journal-skips-recovery", "tree-hash-order"} <= names


def test_the_first_failing_test_is_read_from_pytest_output():
    output = "....F\n=== short test summary info ===\nFAILED tests/l1/test_inbox.py::test_x - assert 1\n"
    assert mutate._first_failure(output) == "tests/l1/test_inbox.py::test_x"
    assert mutate._first_failure("5 passed") is None
