"""The ``minwon`` command. Each sub-command is thin: it parses, calls a service, prints."""

from __future__ import annotations

import typer

from minwon.cli import (
    admin,
    audit,
    backup,
    cluster,
    db,
    documents,
    dr,
    inspect,
    kiosk,
    notify,
    ops,
    probe,
    release,
    report,
    trust,
    verify,
)

app = typer.Typer(
    name="minwon",
    help="Minwon (민원): 주민등록표 등·초본 등 민원 증명서를 발급·검증하는 서비스.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
keys_app = typer.Typer(help="문서 서명 키와 QR 토큰 키를 관리합니다.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(cluster.app, name="cluster")
app.add_typer(trust.app, name="trust")
app.add_typer(audit.app, name="audit")
app.add_typer(notify.app, name="notify")
app.add_typer(kiosk.app, name="kiosk")
app.add_typer(probe.app, name="probe")
app.add_typer(db.app, name="db")
app.add_typer(release.app, name="release")
app.add_typer(backup.app, name="backup")
app.add_typer(dr.app, name="dr")
app.add_typer(ops.app, name="ops")
app.add_typer(report.app, name="report")

app.command("init")(admin.init)
app.command("demo-data")(admin.demo_data)
app.command("serve")(admin.serve)
keys_app.command("init")(admin.keys_init)
keys_app.command("rotate-token")(trust.rotate_token)
app.command("issue")(documents.issue)
app.command("verify")(verify.verify)
app.command("inspect")(inspect.inspect)

if __name__ == "__main__":
    app()
