"""Shared CLI plumbing: the container, and errors printed as plain Korean messages."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from minwon.bootstrap import Container, bootstrap
from minwon.cli.plain import console as console
from minwon.cli.plain import err_console as err_console
from minwon.cli.plain import fail as fail
from minwon.config import Settings, SettingsError
from minwon.errors import MinwonError
from minwon.rendering.keys import KeysMissing

T = TypeVar("T")


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
