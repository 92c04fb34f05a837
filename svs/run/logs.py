"""Logging for the ``ape run`` scripts, at the level ape's ``--verbosity`` (``-v``) chose.

Every script takes ape's ``-v/--verbosity`` option (``ape.cli.ape_cli_context``, with the
script's own default level) and passes the level it set to ``configure``, so
``ape run sequencer local -v WARNING`` is quiet and ``-v DEBUG`` shows every request. The libraries' own chatter (urllib3, web3) stays at WARNING unless
DEBUG is asked for.

On a terminal the lines go through rich's console (``svs.run.progress.CONSOLE``), so that a
progress bar stays below them; elsewhere they are plain ``time LEVEL message`` lines.
"""

from __future__ import annotations

import logging

from rich.logging import RichHandler

from svs.run.progress import CONSOLE, on_terminal

NOISY = ("urllib3", "web3", "ape")


def configure(level: int, timestamps: bool = True) -> None:
    """Python logging for svs at ``level`` (ape's LogLevel values are logging's, with SUCCESS at
    21)."""
    if on_terminal():
        handler = RichHandler(console=CONSOLE, show_time=timestamps, show_path=False, markup=False,
                              log_time_format="%H:%M:%S")
        logging.basicConfig(level=level, format="%(message)s", handlers=[handler], force=True)
    else:
        fmt = "%(asctime)s %(levelname)s %(message)s" if timestamps else "%(levelname)s %(message)s"
        logging.basicConfig(level=level, format=fmt, datefmt="%H:%M:%S", force=True)
    for name in NOISY:
        logging.getLogger(name).setLevel(level if level <= logging.DEBUG else max(level, logging.WARNING))
