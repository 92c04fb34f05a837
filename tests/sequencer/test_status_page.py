"""The status page, rendered by headless Chromium (Debian's package) while the sequencer runs:
heights, pending counts, pair roots, exclusions with reasons, L1 batches with gas, and a lookup."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import requests

from tests.support.system import TOKEN

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=8000"]


def chromium(tmp_path: Path, *args: str) -> str:
    assert CHROMIUM, "chromium is not installed: ./svs.sh setup installs Debian's chromium package"
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def rows(dom: str, table: str) -> list[str]:
    body = re.search(rf'<table id="{table}">.*?<tbody>(.*?)</tbody>', dom, re.S).group(1)
    return [re.sub(r"<[^>]+>", "|", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_status_page_renders_the_live_state(system, users, tmp_path):
    a, b = system.chain_ids
    included = system.burn(a, b, users[0], users[1].address, TOKEN)
    system.trigger(a, b, users[2], by=0)  # excluded: CrossChainCounterZeroIncrement
    for _ in range(4):  # the default posts to L1 every 4 ticks with transactions
        system.tick()
    system.burn(b, a, users[1], users[0].address, TOKEN // 2)  # stays pending
    url = system.urls[a] + "/status"
    assert requests.get(url, timeout=10).headers["Content-Type"].startswith("text/html")
    assert requests.get(system.urls[a] + "/nothing", timeout=10).status_code == 404

    dom = chromium(tmp_path, "--dump-dom", f"{url}?tx={included}")
    assert 'id="banner" class="ok">building blocks' in dom
    heights = rows(dom, "heights")
    assert len(heights) == 2
    for chain_id, row in zip((a, b), heights):
        pending = 1 if chain_id == b else 0
        assert f"|{chain_id}||{system.sequencer.committed[chain_id]}||{pending}|" in row, row
    pairs = rows(dom, "pairs")
    assert len(pairs) == 4 and all("agree" in row and "DISAGREE" not in row for row in pairs)
    (exclusion,) = rows(dom, "exclusions")
    assert "CrossChainCounterZeroIncrement" in exclusion
    (batch,) = rows(dom, "batches")
    gas = system.sequencer.last_batch["gasUsed"]
    assert "accepted" in batch and f"{gas:,}" in batch
    lookup = re.search(r'<pre id="lookup-result"[^>]*>(.*?)</pre>', dom, re.S).group(1)
    assert '"status": "included"' in lookup and included in lookup

    shot = Path(os.environ.get("SVS_STATUS_SCREENSHOT", tmp_path / "status.png"))
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1100,1000", f"{url}?tx={included}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_status_page_says_when_the_sequencer_is_halted(system, tmp_path):
    system.sequencer._halt("a test halted it")
    dom = chromium(tmp_path, "--dump-dom", system.urls[system.chain_ids[0]] + "/status")
    assert 'id="banner" class="bad">HALTED: a test halted it' in dom
