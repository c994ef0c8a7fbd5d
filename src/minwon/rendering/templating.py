"""Jinja templates that turn a frozen snapshot into a list of layout blocks (YAML)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

from minwon.catalog.loader import templates_dir
from minwon.clock import KST

# libyaml's parser (shipped in PyYAML's wheels) reads a page's blocks ~20× faster than the
# pure-Python one, with the same safe subset of YAML.
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class TemplateError(ValueError):
    """A template rendered something that is not a valid list of layout blocks."""


def _as_date(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    raise TemplateError(f"날짜가 아닙니다: {value!r}")


def kdate(value: object) -> str:
    """Formats an ISO date as ``2026년 11월 25일``; None becomes an empty string."""
    day = _as_date(value)
    return "" if day is None else f"{day.year}년 {day.month}월 {day.day}일"


def kdatetime(value: object) -> str:
    """Formats an aware ISO datetime in KST as ``2026-11-25 13:45 (KST)``."""
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        # A naive time on a legal document is ambiguous; refuse rather than guess.
        raise TemplateError(f"시간대가 없는 시각입니다: {value!r}")
    return moment.astimezone(KST).strftime("%Y-%m-%d %H:%M (KST)")


def docnumber(value: object) -> str:
    """Formats a 16-digit document number as ``xxxx-xxxx-xxxx-xxxx``."""
    digits = str(value).replace("-", "")
    if len(digits) != 16 or not digits.isdigit():
        raise TemplateError(f"문서확인번호는 16자리 숫자여야 합니다: {value!r}")
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4))


def won(value: object) -> str:
    """Formats an amount of money as ``1,200원``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TemplateError(f"금액이 아닙니다: {value!r}")
    return f"{int(value):,}원"


def yesno(value: object, yes: str = "예", no: str = "아니요") -> str:
    """Formats a boolean as 예/아니요 (or the given words)."""
    return yes if value else no


def tojson(value: object) -> str:
    """Emits a value as JSON, which is valid YAML whatever quotes or colons it holds."""
    # ensure_ascii=False keeps Korean readable in a debugging dump; json still escapes controls.
    return json.dumps(value, ensure_ascii=False)


@lru_cache(maxsize=4)
def environment(directory: Path | None = None) -> jinja2.Environment:
    """Returns the Jinja environment over the catalog templates, with the Korean filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory or templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        kdate=kdate,
        kdatetime=kdatetime,
        docnumber=docnumber,
        won=won,
        yesno=yesno,
        tojson=tojson,
    )
    return env


def render_blocks(
    template: str, snapshot: Mapping[str, Any], *, directory: Path | None = None
) -> list[dict[str, Any]]:
    """Renders ``template`` with the snapshot's keys as variables and parses the block list."""
    try:
        text = environment(directory).get_template(template).render(**snapshot)
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{template}: {exc}") from exc
    try:
        blocks = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise TemplateError(f"{template}: YAML 오류: {exc}") from exc
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        raise TemplateError(f"{template}: 블록 목록(list of mappings)이 아닙니다.")
    return blocks
