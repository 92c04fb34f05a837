"""Progress on the long commands (bench, deploy, ``verify --follow``, the demo), drawn by rich.

On a terminal, a bar (or a spinner, when the amount of work is not known) stays at the bottom of
stderr while log lines scroll above it: ``svs.run.logs.configure`` sends logging through the same
console. Anywhere else (a pipe, a file, CI) nothing is drawn and the logs are plain lines, so
captured output stays readable and parseable.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

CONSOLE = Console(stderr=True)

Advance = Callable[..., None]  # advance(steps=1, text=None): count steps done, or change the text


def on_terminal() -> bool:
    return CONSOLE.is_terminal


@contextmanager
def progress(text: str, total: int | None = None) -> Iterator[Advance]:
    """A bar out of ``total`` steps (a spinner when None) while the block runs, on a terminal
    only. Yields ``advance(steps=1, text=None)``."""
    if not on_terminal():
        yield lambda steps=1, text=None: None
        return
    columns = [SpinnerColumn(), TextColumn("{task.description}")]
    if total is not None:
        columns += [BarColumn(), MofNCompleteColumn()]
    with Progress(*columns, TimeElapsedColumn(), console=CONSOLE, transient=True) as bar:
        task = bar.add_task(text, total=total)

        def advance(steps: int = 1, text: str | None = None) -> None:
            bar.update(task, advance=steps, **({"description": text} if text is not None else {}))

        yield advance
