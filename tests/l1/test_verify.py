"""The verifier (`ape run verify`) against honest and lying batches on a DevNet."""

from __future__ import annotations

import json
import subprocess
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
import rlp

from svs.l1 import verifier as verifier_module
from svs.l1.verifier import Verifier, verify_all

from .conftest import as_account

ROOT = Path(__file__).resolve().parents[2]


def _verifier(net, mode):
    return Verifier(net.inboxes[mode], net.sources())


@pytest.mark.parametrize("mode", ["strict", "optimistic"])
def test_honest_batches_verify_clean(net, mode):
    a, b = net.chain_ids
    for _ in range(3):
        net.transfers(a, b, 2)
        net.call(b, a)
        net.post(mode)
    verdicts, resume = verify_all(_verifier(net, mode), None)
    assert [v.ok for v in verdicts] == [True, True, True] and resume == 3, [v.line() for v in verdicts]


def test_a_dropped_mint_is_found_and_challenged_and_the_bond_is_won(net):
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    net.post("optimistic")
    net.transfers(a, b, 1, mint=False)
    net.post("optimistic")
    net.transfers(b, a, 1)
    net.post("optimistic")
    challenger = as_account(net, "optimistic", 6)
    verdicts, resume = verify_all(_verifier(net, "optimistic"), challenger)
    assert [v.ok for v in verdicts] == [True, False] and resume == 1
    assert f"transfer trees {a}->{b} differ" in verdicts[1].problems[0]
    assert verdicts[1].challenge.startswith("challenged batch #1 (transfer")
    assert net.inboxes["optimistic"].batch_count() == 1 and net.inboxes["optimistic"].bond() == 0


def _submit_with_claims(net, **claims):
    """Post the next optimistic batch with chain a's claims replaced."""
    batches, _ = net.collect("optimistic")
    if "block_hash" in claims:  # the last of the block hashes is the block hash
        claims["block_hashes"] = batches[0].block_hashes[:-1] + (claims["block_hash"],)
    batches[0] = replace(batches[0], **claims)
    net.inboxes["optimistic"].submit(batches, None)


def test_a_wrong_claimed_state_root_is_disproved_by_the_blocks_header(net):
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    _submit_with_claims(net, state_root=b"\x11" * 32)
    challenger = as_account(net, "optimistic", 6)
    before = challenger.w3.eth.get_balance(challenger.account.address)
    [verdict], resume = verify_all(_verifier(net, "optimistic"), challenger)
    assert not verdict.ok and "claimed stateRoot 0x1111" in verdict.problems[0]
    assert verdict.false_headers == [a] and resume == 0
    assert verdict.challenge.startswith(f"challenged batch #0 (chain {a}'s claimed state root")
    inbox = net.inboxes["optimistic"]
    assert inbox.batch_count() == 0 and inbox.bond() == 0 and inbox.next_block(a) == 1
    assert challenger.w3.eth.get_balance(challenger.account.address) > before


def test_a_claimed_block_the_node_does_not_have_is_reported_but_not_provable(net):
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    _submit_with_claims(net, state_root=b"\x11" * 32, block_hash=b"\x22" * 32)
    [verdict], _ = verify_all(_verifier(net, "optimistic"), as_account(net, "optimistic", 6))
    assert not verdict.ok and "claimed blockHash 0x2222" in verdict.problems[0]
    assert verdict.provable == [] and verdict.false_headers == [] and verdict.challenge is None
    assert net.inboxes["optimistic"].bond() == 10**18


def test_posted_data_that_differs_from_the_blocks_is_reported(net):
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    batches, _ = net.collect("optimistic")
    batches[1] = type(batches[1])(**{**batches[1].__dict__, "data": batches[0].data})
    net.inboxes["optimistic"].submit(batches, None)
    [verdict], _ = verify_all(_verifier(net, "optimistic"), None)
    assert verdict.problems == [f"chain {b}: posted transactions differ from blocks 1-{batches[1].last_block} on the node"]


def test_verify_cli_reports_and_exits_nonzero_on_a_bad_batch(net, tmp_path):
    a, b = net.chain_ids
    net.transfers(a, b, 1, mint=False)
    net.post("optimistic")
    record = {"chains": {"900": {"rpc": net.l1_url, "role": "l1",
                                 "contracts": {"BatchInbox": net.inboxes["optimistic"].address}}}}
    for chain_id in net.chain_ids:
        record["chains"][str(chain_id)] = {"rpc": net.rpc[chain_id].url, "role": "rollup", "contracts": net.contracts}
    path = tmp_path / "deployment.json"
    path.write_text(json.dumps(record))
    run = subprocess.run(["ape", "run", "verify", "--deployment", str(path)],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "batch #0" in run.stdout and "BAD" in run.stdout and "challenged batch #0" in run.stdout
    assert "0 batch(es) verified, 1 bad" in run.stdout  # batch 0 was voided by the challenge
    missing = subprocess.run(["ape", "run", "verify", "--deployment", str(tmp_path / "none.json")],
                             capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert missing.returncode == 2 and "does not exist" in missing.stderr


# --- malformed data: a finding, never a crash, and the claims are still challenged ------------

MALFORMED = {
    "valid zlib, a string where a block entry belongs": zlib.compress(rlp.encode([b"x"])),
    "valid zlib, a block entry of two fields": zlib.compress(rlp.encode([[1, 2]])),
    "valid zlib, a list where the block number belongs": zlib.compress(rlp.encode([[[1], 2, []]])),
    "a zlib bomb": zlib.compress(bytes(64 * 2**20)),
    "not zlib": b"\x00garbage",
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_data_is_reported_and_a_false_state_root_in_its_batch_still_loses_the_bond(net, data):
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    _submit_with_claims(net, state_root=b"\x11" * 32, data=data)
    challenger = as_account(net, "optimistic", 6)
    [verdict], resume = verify_all(_verifier(net, "optimistic"), challenger)
    assert any(p.startswith(f"chain {a}: ") and "batch data" in p for p in verdict.problems), verdict.problems
    assert any("claimed stateRoot 0x1111" in p for p in verdict.problems), verdict.problems
    assert verdict.false_headers == [a] and resume == 0
    assert verdict.challenge.startswith(f"challenged batch #0 (chain {a}'s claimed state root"), verdict.challenge
    assert net.inboxes["optimistic"].batch_count() == 0 and net.inboxes["optimistic"].bond() == 0


def test_malformed_data_does_not_hide_a_pair_mismatch_in_its_batch(net):
    a, b = net.chain_ids
    net.transfers(a, b, 1, mint=False)
    _submit_with_claims(net, data=MALFORMED["valid zlib, a block entry of two fields"])
    [verdict], resume = verify_all(_verifier(net, "optimistic"), as_account(net, "optimistic", 6))
    assert f"chain {a}: block entry #0 of the batch data has 2 field(s), not 3" in verdict.problems[0]
    assert verdict.provable == [(a, b, "transfer")] and resume == 0
    assert verdict.challenge.startswith("challenged batch #0 (transfer"), verdict.challenge
    assert net.inboxes["optimistic"].bond() == 0


def test_a_submission_whose_input_does_not_decode_is_a_finding_and_the_claims_are_still_checked(net, monkeypatch):
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    _submit_with_claims(net, state_root=b"\x11" * 32)
    verifier = _verifier(net, "optimistic")
    monkeypatch.setattr(verifier.inbox.w3.eth, "get_transaction", lambda tx_hash: {"input": b"\x12\x34\x56\x78"})
    [verdict], _ = verify_all(verifier, as_account(net, "optimistic", 6))
    assert "cannot be decoded as submitBatches" in verdict.problems[0], verdict.problems
    assert verdict.false_headers == [a] and verdict.challenge.startswith("challenged batch #0")


def test_an_unexpected_error_in_a_check_is_a_problem_of_its_batch_and_verification_moves_on(net, monkeypatch, caplog):
    a, b = net.chain_ids
    for _ in range(2):
        net.transfers(a, b, 1)
        net.post("optimistic")

    def broken(*args):
        raise RuntimeError("the node said something odd")

    monkeypatch.setattr(verifier_module, "block_contents", broken)
    verdicts, resume = verify_all(_verifier(net, "optimistic"), None)
    assert resume == 2 and len(verdicts) == 2
    for verdict in verdicts:
        assert verdict.problems == [f"checking chain {c}'s posted data failed: RuntimeError: "
                                    "the node said something odd" for c in (a, b)]
    assert "Traceback" in caplog.text or any(r.exc_info for r in caplog.records)


def test_an_unexpected_error_in_a_challenge_is_reported_not_raised(net, monkeypatch):
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    _submit_with_claims(net, state_root=b"\x11" * 32)

    def broken(block):
        raise RuntimeError("no header today")

    monkeypatch.setattr(verifier_module, "header_rlp", broken)
    [verdict], resume = verify_all(_verifier(net, "optimistic"), as_account(net, "optimistic", 6))
    assert resume == 1 and verdict.false_headers == [a]
    assert verdict.challenge == "challenge of batch #0 failed: RuntimeError: no header today"
    assert net.inboxes["optimistic"].bond() == 10**18


def test_made_up_block_hashes_inside_a_batch_are_found_and_challenged(net):
    a, b = net.chain_ids
    net.post("optimistic")
    for _ in range(3):
        net.transfers(a, b, 1)
    batches, _ = net.collect("optimistic")
    hashes = list(batches[1].block_hashes)
    hashes[0] = b"\x44" * 32
    _ = net.inboxes["optimistic"].submit([batches[0], replace(batches[1], block_hashes=tuple(hashes))], None)
    verdicts, resume = verify_all(_verifier(net, "optimistic"), as_account(net, "optimistic", 6))
    assert [v.ok for v in verdicts] == [True, False] and resume == 1
    assert verdicts[1].problems == [f"chain {b}: the block hashes of blocks {batches[1].first_block}-"
                                    f"{batches[1].last_block} the batch commits to are not the node's"]
    assert verdicts[1].false_links == [(b, 1)], verdicts[1]
    assert "block hashes break at link 1" in verdicts[1].challenge
    assert net.inboxes["optimistic"].batch_count() == 1 and net.inboxes["optimistic"].bond() == 0
