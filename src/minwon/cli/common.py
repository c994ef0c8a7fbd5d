"""Shared CLI plumbing: the container, and errors printed as plain Korean messages."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn, TypeVar

import typer
from rich.console import Console

from minwon.bootstrap import Container, bootstrap
from minwon.config import Settings, SettingsError
from minwon.errors import MinwonError
from minwon.rendering.keys import KeysMissing

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")


def fail(message: str, code: str = "error", exit_code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]오류[/] ({code}): {message}", highlight=False)
    raise typer.Exit(exit_code)


def settings() -> Settings:
    """Returns the settings from ``MINWON_*``; a bad value is one readable line, exit 2."""
    try:
        return Settings.from_env()
    except SettingsError as exc:
        fail(exc.detail, exc.code, exit_code=2)


@contextmanager
def container() -> Iterator[Container]:
    """Yields the wired container; known errors become one readable line and exit 1."""
    c = bootstrap(settings())
    try:
        yield c
    except MinwonError as exc:
        fail(
            exc.detail + (f" (근거: {exc.extra['basis']})" if "basis" in exc.extra else ""),
            exc.code,
        )
    except KeysMissing as exc:
        fail(str(exc), "keys.missing")
    finally:
        c.close()


def guarded(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except KeyboardInterrupt:
        err_console.print("중단했습니다.")
        sys.exit(130)
