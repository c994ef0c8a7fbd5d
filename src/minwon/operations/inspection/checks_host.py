"""Checks of the host and the service's own material: certificates and keys, disks,
fonts and the document catalog."""

from __future__ import annotations

from datetime import datetime

from minwon.operations.inspection.model import (
    CheckResult,
    Grade,
    critical,
    graded,
    not_configured,
    ok,
    warn,
)
from minwon.operations.inspection.ports import CertFacts, Context


def _cert_grade(
    cert: CertFacts, now: datetime, warn_days: float, critical_days: float
) -> tuple[Grade, str]:
    days = (cert.not_after - now).total_seconds() / 86400
    problems = list(cert.problems)
    if cert.not_before > now:
        problems.append("아직 유효 기간 전")
    if days <= 0:
        problems.append(f"만료됨 ({cert.not_after:%Y-%m-%d})")
    if cert.key_path is not None and not cert.key_present:
        problems.append(f"개인키 없음 ({cert.key_path})")
    elif cert.key_path is not None and not cert.key_matches:
        problems.append("개인키가 인증서와 짝이 맞지 않음")
    if cert.key_path is not None and cert.key_present and not cert.key_private:
        problems.append("개인키를 다른 사용자도 읽을 수 있음")
    if problems:
        return Grade.CRITICAL, f"{cert.role}: " + ", ".join(problems)
    grade = graded(days, warn_at=warn_days, critical_at=critical_days, higher_is_worse=False)
    return grade, f"{cert.role}: {cert.not_after:%Y-%m-%d} 만료, {days:.0f}일 남음"


def _certificates(
    id: str, title: str, certs: tuple[CertFacts, ...], ctx: Context, action: str
) -> CheckResult:
    t = ctx.thresholds
    graded_ = [_cert_grade(c, ctx.now, t.cert_warn_days, t.cert_critical_days) for c in certs]
    measured = {
        c.role: {"path": c.path, "subject": c.subject, "not_after": c.not_after.isoformat()}
        for c in certs
    }
    reason = "; ".join(text for _, text in graded_) + "."
    if any(g is Grade.CRITICAL for g, _ in graded_):
        return critical(id, title, reason, action, certificates=measured)
    if any(g is Grade.WARN for g, _ in graded_):
        return warn(id, title, reason, action, certificates=measured)
    return ok(id, title, reason, certificates=measured)


def signing_certificate(ctx: Context) -> CheckResult:
    """Returns the grade of the document-signing certificate and key (expiry, key pair,
    issued by the root)."""
    id, title = "cert.signing", "문서 서명 인증서"
    material = ctx.host.signing_material()
    if material is None:
        return not_configured(id, title, "서명 키 폴더가 없습니다.", "`minwon keys init`")
    signing = tuple(c for c in material if c.role == "signing")
    if not signing:
        return critical(
            id, title, "문서 서명 인증서가 없습니다.", "키 폴더에 signing.pem을 두세요."
        )
    return _certificates(
        id,
        title,
        signing,
        ctx,
        "만료 전에 새 서명 인증서를 발급받아 키 폴더(signing.pem, signing.key.pem)에 두세요.",
    )


def root_certificate(ctx: Context) -> CheckResult:
    """Returns the grade of the root certificate and its key."""
    id, title = "cert.root", "루트 인증서와 키"
    material = ctx.host.signing_material()
    if material is None:
        return not_configured(id, title, "서명 키 폴더가 없습니다.", "`minwon keys init`")
    roots = tuple(c for c in material if c.role == "root")
    if not roots:
        return critical(id, title, "루트 인증서가 없습니다.", "키 폴더에 root-ca.pem을 두세요.")
    return _certificates(
        id,
        title,
        roots,
        ctx,
        "루트 인증서를 갱신하고 새 신뢰 묶음을 배포하세요 (`minwon trust export`).",
    )


def tls_certificates(ctx: Context) -> CheckResult:
    """Returns the grade of each configured TLS certificate; 미구성 with none."""
    id, title = "cert.tls", "TLS 인증서와 키"
    paths = ctx.thresholds.tls_certificates
    if not paths:
        return not_configured(
            id,
            title,
            "TLS 인증서가 설정되지 않았습니다: 로컬 클러스터의 HAProxy와 앱은 HTTP로만 "
            "받습니다 (TLS 종단은 아직 없음).",
            "TLS를 쓰면 점검 기준 tls_certificates에 인증서 경로를 적으세요.",
        )
    return _certificates(id, title, ctx.host.tls(paths), ctx, "만료 전에 TLS 인증서를 갱신하세요.")


def disk_headroom(ctx: Context) -> CheckResult:
    """Returns the grade of the fullest file system (space and inodes) the cluster uses."""
    id, title = "host.disk", "디스크·아이노드 여유"
    t = ctx.thresholds
    disks = ctx.host.disks()
    if not disks:
        return critical(id, title, "점검할 디스크를 찾지 못했습니다.", "데이터 폴더를 확인하세요.")
    worst, lines = Grade.OK, []
    for d in disks:
        space = graded(
            d.free_percent,
            warn_at=t.disk_warn_free_percent,
            critical_at=t.disk_critical_free_percent,
            higher_is_worse=False,
        )
        inodes = (
            Grade.OK
            if d.inode_free_percent is None
            else graded(
                d.inode_free_percent,
                warn_at=t.inode_warn_free_percent,
                critical_at=t.inode_critical_free_percent,
                higher_is_worse=False,
            )
        )
        for grade in (space, inodes):
            if grade is Grade.CRITICAL or (grade is Grade.WARN and worst is Grade.OK):
                worst = grade
        inode_text = "-" if d.inode_free_percent is None else f"{d.inode_free_percent:.1f}%"
        lines.append(f"{d.role} {d.path}: 여유 {d.free_percent:.1f}%, 아이노드 {inode_text}")
    measured = {
        d.role: {
            "path": d.path,
            "free_percent": round(d.free_percent, 2),
            "inode_free_percent": d.inode_free_percent,
        }
        for d in disks
    }
    reason = "; ".join(lines) + f" (주의 {t.disk_warn_free_percent:g}% 미만)."
    if worst is Grade.OK:
        return ok(id, title, reason, disks=measured)
    action = "오래된 로그·WAL·백업을 정리하거나 디스크를 늘리세요: 가득 차면 PostgreSQL이 멈춥니다."
    return (warn if worst is Grade.WARN else critical)(id, title, reason, action, disks=measured)


def fonts(ctx: Context) -> CheckResult:
    """Returns 위험 when a font documents are set in is missing or unreadable."""
    id, title = "rendering.fonts", "문서 글꼴"
    paths = ctx.thresholds.font_paths
    if not paths:
        return not_configured(id, title, "점검할 글꼴이 지정되지 않았습니다.")
    found = ctx.host.fonts(paths)
    bad = [f"{f.path} ({f.error})" for f in found if not f.ok]
    if bad:
        return critical(
            id,
            title,
            f"글꼴이 없거나 읽을 수 없습니다: {', '.join(bad)}: 증명서를 만들 수 없습니다.",
            "Debian 패키지 fonts-nanum을 설치하세요 (`apt-get install fonts-nanum`).",
            fonts=[f.path for f in found],
        )
    return ok(id, title, f"글꼴 {len(found)}개 모두 있고 읽힙니다.", fonts=[f.path for f in found])


def catalog(ctx: Context) -> CheckResult:
    """Returns 위험 when the document catalog does not load (or is empty)."""
    id, title = "catalog.valid", "문서 종류 카탈로그"
    try:
        count = ctx.host.catalog()
    except (ValueError, OSError) as exc:
        return critical(
            id,
            title,
            f"카탈로그를 읽을 수 없습니다: {exc}"[:400],
            "MINWON_CATALOG_DIR의 YAML과 templates/를 고치세요.",
        )
    if count == 0:
        return critical(
            id, title, "카탈로그에 문서 종류가 없습니다.", "카탈로그 폴더를 확인하세요."
        )
    return ok(id, title, f"문서 종류 {count}개, 모든 템플릿이 있습니다.", types=count)
