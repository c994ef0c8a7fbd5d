"""Adding a document type is a data change: a catalog file and a template, no code."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from minwon.bootstrap import bootstrap
from minwon.catalog.loader import load_catalog, templates_dir, types_dir
from minwon.issuance.commands import IssueDocument
from minwon.issuance.services import issue_document
from support.world import World

NEW_TYPE = """
code: jeonip_sasil
title: 전입 사실 확인서
title_on_document: 전입 사실 확인서 (시범)
description: 현재 주소로 전입한 사실을 확인하는 문서입니다.
subject: resident
access: resident_record
template: jeonip_sasil.yaml.j2
sections: [person, addresses]
valid_days: 30
channels:
  counter: {fee: 300}
  online: {fee: 0}
items:
  - {code: past_addresses, label: 과거 주소, kind: choice,
     choices: {recent5: 최근 5년}, default: recent5}
  - {code: rrn_back, label: 주민등록번호 뒷자리, kind: flag, default: false,
     restricted_to: [self, household_member, delegate]}
"""

NEW_TEMPLATE = """\
{% import "_common.j2" as common %}
- kv:
  - ["성명", {{ person.name | tojson }}]
  - ["현 주소", {{ person.address | tojson }}]
- paragraph: {{ ("전입일: " ~ (addresses[-1].moved_in_on | kdate)) | tojson }}
{{ common.issue_box(selections, channel_label, fee, purpose, print_purpose) }}
- statement: "위 사람이 현 주소에 전입하였음을 확인합니다."
"""


def _extended_catalog(tmp: Path) -> Path:
    types = tmp / "catalog" / "types"
    shutil.copytree(types_dir(), types)
    shutil.copytree(templates_dir(), tmp / "catalog" / "templates")
    (types / "jeonip_sasil.yaml").write_text(NEW_TYPE, encoding="utf-8")
    (tmp / "catalog" / "templates" / "jeonip_sasil.yaml.j2").write_text(NEW_TEMPLATE, "utf-8")
    return types


def test_a_new_type_from_a_data_file_and_template_issues_and_renders(
    world: World, tmp_path: Path
) -> None:
    catalog = load_catalog(_extended_catalog(tmp_path))
    container = bootstrap(world.container.settings, clock=world.clock, catalog=catalog)
    try:
        outcome = issue_document(
            container.issuance,
            principal=world.citizen(),
            cmd=IssueDocument(idempotency_key="k-newtype-1", document_type="jeonip_sasil"),
        )
        snapshot = outcome.record.snapshot_data()
        assert snapshot["title"] == "전입 사실 확인서 (시범)"
        assert snapshot["person"]["rrn"].endswith("******")
        pdf = tmp_path / "new.pdf"
        pdf.write_bytes(container.renderer.pdf_for(outcome.record))
    finally:
        container.close()
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "전입 사실 확인서" in text and "전입하였음을 확인합니다" in text
