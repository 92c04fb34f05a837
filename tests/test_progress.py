"""Progress on long commands: drawn by rich on a terminal, absent anywhere else (a pipe, CI)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

SCRIPT = """
import logging, time
from svs.run.logs import configure
from svs.run.progress import progress
configure(logging.INFO)
with progress("crunching the numbers", total=3) as advance:
    for _ in range(3):
        time.sleep(0.2)
        advance()
        logging.getLogger("svs").info("a log line under the bar")
print("done")
"""


def test_no_bar_when_not_on_a_terminal():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout == "done\n"
    assert "crunching" not in out.stderr
    assert out.stderr.count("INFO a log line under the bar") == 3  # plain log lines, as before


def test_a_bar_on_a_terminal():
    pid, fd = pty.fork()
    if pid == 0:  # the child runs on the pseudo-terminal
        os.environ.update(TERM="xterm", COLUMNS="120")
        os.execv(sys.executable, [sys.executable, "-c", SCRIPT])
    chunks = []
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.waitpid(pid, 0)
    text = b"".join(chunks).decode(errors="replace")
    assert "crunching the numbers" in text
    assert "3/3" in text or "2/3" in text  # the bar's count of steps
    assert text.count("a log line under the bar") == 3
    assert "done" in text
