"""The benchmark's profile (svs.measure.profile): py-spy's raw stacks sorted into the tick's
phases, innermost phase first, with the ingress's admission counted apart."""

from __future__ import annotations

from svs.measure.profile import ADMISSION, SAMPLE_RATE, summarize

TICK = "_bootstrap (threading.py:995);run_clock (/repo/svs/run/service.py:160);tick (/repo/svs/pipeline/sequencer.py:350)"
BUILD = TICK + ";_tick (/repo/svs/pipeline/sequencer.py:430);build (/repo/svs/pipeline/builder.py:215)"
RAW = "\n".join([
    # simulation: waiting on the pool, under _plan_by_simulation
    f"{BUILD};_plan_by_simulation (/repo/svs/pipeline/builder.py:280);_simulate_sources (/repo/svs/pipeline/builder.py:330);"
    "_each (/repo/svs/pipeline/builder.py:200);result (concurrent/futures/_base.py:451);wait (threading.py:320) 300",
    # signing inside _sign: the signer's frames are innermost and win
    f"{BUILD};_sign (/repo/svs/pipeline/builder.py:690);sign (/repo/svs/codec/signer.py:40) 50",
    # a journal write under the sequencer's commit
    f"{TICK};_tick (/repo/svs/pipeline/sequencer.py:440);commit_tick (/repo/svs/pipeline/journal.py:120) 20",
    # the clock idle between ticks
    "_bootstrap (threading.py:995);run_clock (/repo/svs/run/service.py:175);wait (threading.py:629) 10",
    # the ingress: admission counts, an idle keep-alive read does not
    "_bootstrap (threading.py:995);do_POST (/repo/svs/pipeline/ingress.py:420);_send_raw (/repo/svs/pipeline/ingress.py:190);"
    "submit (/repo/svs/pipeline/sequencer.py:271) 120",
    "_bootstrap (threading.py:995);handle (http/server.py:430);readline (socket.py:706) 999",
    # a builder pool thread: not the critical path, not counted
    "_worker (concurrent/futures/thread.py:83);simulate (/repo/svs/pipeline/builder.py:320) 999",
])


def test_samples_go_to_the_innermost_phase_and_admission_apart():
    rows = {row["phase"]: row for row in summarize(RAW, transfers=100)}
    assert set(rows) == {"simulation (eth_simulateV1)", "signing the legs", "journal (seal, commit)",
                         "waiting for transactions", ADMISSION}
    assert rows["simulation (eth_simulateV1)"]["ms_per_transfer"] == 1000 * 300 / SAMPLE_RATE / 100
    assert abs(rows["simulation (eth_simulateV1)"]["share"] - 300 / 380) < 1e-9  # 300+50+20+10 tick samples
    assert rows["signing the legs"]["share"] == 50 / 380
    assert rows[ADMISSION]["share"] is None and rows[ADMISSION]["ms_per_transfer"] == 1000 * 120 / SAMPLE_RATE / 100


def test_py_spy_04_frames_qualified_with_their_class_are_sorted_the_same():
    """py-spy 0.4 writes ``Service.run_clock``; with the class kept, no sample was the tick's and
    the table came out empty."""
    qualified = RAW
    for name in ("run_clock", "tick", "_tick", "build", "_plan_by_simulation", "_simulate_sources", "_each", "_sign",
                 "sign", "commit_tick", "do_POST", "_send_raw", "submit"):
        qualified = qualified.replace(f";{name} (", f";Something.{name} (")
    assert "Something.run_clock" in qualified
    assert summarize(qualified, transfers=100) == summarize(RAW, transfers=100)


def test_samples_without_the_tick_thread_are_an_error_not_an_empty_table():
    import pytest

    with pytest.raises(ValueError, match="no sample of the tick thread"):
        summarize("_bootstrap (threading.py:995);handle (http/server.py:430);readline (socket.py:706) 999", 100)
