"""Deliberately broken builds, for release drills (``minwon release drill``) and F1.

Each drill copies a source tree and changes one thing in it, the way a real bug would
be: the 2003 releases broke issuance nationwide. A drill names the exact text it
replaces; if the code has moved on and that text is gone, making the drill fails loudly
instead of producing a build that is not broken.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from minwon.operations.release.builds import BuildError, package_dir


@dataclass(frozen=True)
class Drill:
    """One broken build: what breaks, whether the probe sees it, and the change."""

    kind: str
    title_ko: str
    probe_sees_it: bool
    file: str  # inside the minwon package
    old: str
    new: str


_ISSUE = (
    "    outcome = issue_document(c.issuance, principal=p, cmd=_command(body, idempotency_key))\n"
)
_RESPOND = "    return _issued_response(c, outcome, accept)\n"
_PDF_OUT = "    return _checked(record, stored)\n"
_UNATTENDED = '        return refuse("entitlement.self_or_household_only", "주민등록법 제29조③")\n'

DRILLS: dict[str, Drill] = {
    drill.kind: drill
    for drill in (
        Drill(
            "fails-after-write",
            "발급을 기록한 뒤 오류로 끝남 (응답 500, 기록은 남음)",
            True,
            "web/api/issuance.py",
            _ISSUE + _RESPOND,
            _ISSUE + '    raise RuntimeError("release drill: issuance fails after its write")\n',
        ),
        Drill(
            "corrupt-pdf",
            "내려받는 발급 문서 PDF의 끝이 잘림 (발급 기록은 멀쩡함)",
            True,
            "issuance/documents.py",
            _PDF_OUT,
            "    return _checked(record, stored)[:-4096]  # release drill\n",
        ),
        Drill(
            "wrong-entitlement",
            "온라인·무인발급기에서 남의 등·초본을 내줌 (주민등록법 제29조③ 위반)",
            True,
            "issuance/entitlement.py",
            _UNATTENDED,
            '        return _Grant("self", "주민등록법 제29조②")  # release drill\n',
        ),
        Drill(
            "fails-on-live-traffic",
            "등본 발급만 오류 (시험 발급은 초본이라 통과)",
            False,
            "web/api/issuance.py",
            _ISSUE,
            '    if body.document_type == "deungbon":  # release drill\n'
            '        raise RuntimeError("release drill: 등본 fails")\n' + _ISSUE,
        ),
    )
}


class DrillError(BuildError):
    """A drill cannot be made (unknown kind, or the code it breaks has changed)."""


def make_drill(kind: str, source: Path, out: Path) -> Path:
    """Copies the ``minwon`` package of `source` to ``<out>/src/minwon`` with drill
    `kind`'s change; returns `out` (a source tree ``builds.prepare`` takes)."""
    drill = DRILLS.get(kind)
    if drill is None:
        raise DrillError(f"알 수 없는 훈련 빌드입니다: {kind} (있는 것: {', '.join(DRILLS)})")
    package = package_dir(source)
    target = Path(out) / "src" / "minwon"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(package, target, ignore=shutil.ignore_patterns("__pycache__"))
    path = target / drill.file
    text = path.read_text(encoding="utf-8")
    if text.count(drill.old) != 1:
        raise DrillError(
            f"훈련 빌드 {kind}: {drill.file}에서 바꿀 코드를 찾지 못했습니다 (코드가 바뀜)."
        )
    path.write_text(text.replace(drill.old, drill.new), encoding="utf-8")
    return Path(out)
