"""The CLI's output and its one way to fail: a plain Korean line with a stable code.

Light on purpose (typer and rich only): commands a release runs many times, with each
build's Python or over SSH (``minwon.cli.db``, ``minwon.cli.release_host``), import this
and not ``cli.common``, which wires the whole application.
"""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: str = "error", exit_code: int = 1) -> NoReturn:
    """Prints ``오류 (code): message`` on standard error and exits with `exit_code`."""
    err_console.print(f"[bold red]오류[/] ({code}): {message}", highlight=False)
    raise typer.Exit(exit_code)
