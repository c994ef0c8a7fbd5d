"""The file-reading parts: certificates and keys, fonts, the catalog, disks, drift
normalisation and rehearsal records, on real files in a temporary folder."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from minwon.operations.cluster.spec import PatroniNode
from minwon.operations.inspection.drift import node_config, normalised
from minwon.operations.inspection.files import HostFiles
from minwon.operations.inspection.rehearsals import read_rehearsals
from minwon.rendering.keys import init_keys
from support.binaries import unavailable


def _host(tmp: Path, keys: Path | None = None, catalog: Path | None = None) -> HostFiles:
    return HostFiles(roots={"데이터": str(tmp)}, keys_dir=keys, catalog_dir=catalog)


def test_the_demo_keys_read_as_matching_private_and_issued_by_the_root(tmp_path: Path) -> None:
    init_keys(tmp_path / "keys")
    material = _host(tmp_path, tmp_path / "keys").signing_material()
    assert material is not None
    by_role = {c.role: c for c in material}
    assert set(by_role) == {"root", "signing"}
    for c in by_role.values():
        assert c.key_present and c.key_matches and c.key_private and not c.problems, c


def _self_signed(path: Path, *, days: int) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "other")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=30))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def test_a_signing_certificate_not_from_the_root_and_a_loose_key_are_reported(
    tmp_path: Path,
) -> None:
    keys = tmp_path / "keys"
    init_keys(keys)
    _self_signed(keys / "signing.pem", days=-1)  # expired, another key, another issuer
    os.chmod(keys / "root-ca.key.pem", 0o644)
    material = {c.role: c for c in _host(tmp_path, keys).signing_material() or ()}
    signing, root = material["signing"], material["root"]
    assert not signing.key_matches
    assert any("루트" in p for p in signing.problems)
    assert signing.not_after < dt.datetime.now(dt.UTC)
    assert root.key_matches and not root.key_private


def test_no_keys_folder_is_not_configured_not_fine(tmp_path: Path) -> None:
    assert _host(tmp_path, tmp_path / "missing").signing_material() is None


def test_fonts_are_checked_by_their_first_bytes(tmp_path: Path) -> None:
    fake = tmp_path / "fake.ttf"
    fake.write_text("not a font")
    found = _host(tmp_path).fonts(
        ("/usr/share/fonts/truetype/nanum/NanumGothic.ttf", str(fake), str(tmp_path / "gone.ttf"))
    )
    if not Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf").is_file():
        unavailable("fonts-nanum is not installed")  # fails in CI, skips elsewhere
    assert [f.ok for f in found] == [True, False, False]


def test_a_catalog_whose_template_is_missing_does_not_load(tmp_path: Path) -> None:
    from minwon.catalog.loader import templates_dir, types_dir

    assert _host(tmp_path).catalog() >= 5
    broken = tmp_path / "catalog" / "types"
    broken.mkdir(parents=True)
    (tmp_path / "catalog" / "templates").mkdir()
    for path in types_dir().glob("*.yaml"):
        (broken / path.name).write_bytes(path.read_bytes())
    with pytest.raises(ValueError, match="template"):
        _host(tmp_path, catalog=broken).catalog()
    assert templates_dir().is_dir()


def test_disks_report_free_space_and_inodes_once_per_file_system(tmp_path: Path) -> None:
    host = HostFiles(
        roots={"a": str(tmp_path), "b": str(tmp_path / "."), "gone": "/nonexistent"},
        keys_dir=None,
        catalog_dir=None,
    )
    disks = host.disks()
    assert len(disks) == 1 and disks[0].role == "a"
    assert 0 <= disks[0].free_percent <= 100


def _node(name: str, port: int, tmp: Path) -> PatroniNode:
    d = tmp / name
    return PatroniNode(
        name,
        "127.0.0.1",
        port,
        port + 1,
        str(d),
        f"{d}/data",
        f"{d}/sock",
        f"{d}/patroni.yml",
        f"{d}/env",
        f"{d}/pb.sh",
        f"{d}/pgpass",
        backup_config=f"{d}/pb.conf",
    )


def test_node_specific_values_do_not_count_as_drift_but_a_changed_value_does(
    tmp_path: Path,
) -> None:
    nodes = [_node("pg1", 5432, tmp_path), _node("pg2", 5442, tmp_path)]
    for n in nodes:
        Path(n.node_dir).mkdir()
        Path(n.config_file).write_text(
            f'name: {n.name}\nrestapi:\n  listen: "{n.host}:{n.rest_port}"\n'
            f"postgresql:\n  data_dir: {n.data_dir}\n  parameters:\n    max_connections: 100\n"
        )
        Path(n.backup_config).write_text(f"[minwon]\npg1-path={n.data_dir}\npg1-port={n.pg_port}\n")
    spec = None  # normalisation needs only the node
    a, b = (node_config(spec, n, {"port": str(n.pg_port), "work_mem": "4MB"}, {}) for n in nodes)  # type: ignore[arg-type]
    assert a.files == b.files and a.settings == b.settings == {"work_mem": "4MB"}
    text = Path(nodes[1].config_file).read_text().replace("100", "200")
    Path(nodes[1].config_file).write_text(text)
    c = node_config(spec, nodes[1], {}, {})  # type: ignore[arg-type]
    assert c.files["patroni.yml"] != a.files["patroni.yml"]
    assert "<data_dir>" in normalised(f"x {nodes[0].data_dir}", spec, nodes[0])  # type: ignore[arg-type]


def test_rehearsal_records_are_read_and_a_missing_store_is_none(tmp_path: Path) -> None:
    assert read_rehearsals([]) is None
    (tmp_path / "F2a-1.json").write_text(
        json.dumps(
            {
                "fault": "F2a",
                "started_at": "2026-12-01T10:00:00.000+00:00",
                "healed": True,
                "lost": 0,
                "duplicated": 0,
            }
        )
    )
    (tmp_path / "other.json").write_text('{"measured_at": 1}')
    found = read_rehearsals([tmp_path])
    assert found is not None and [r.fault for r in found] == ["F2a"]
    assert replace(found[0], lost=1).lost == 1


def test_a_replicas_recovery_settings_are_its_role_not_drift(tmp_path: Path) -> None:
    node = _node("pg1", 5432, tmp_path)
    leader = node_config(None, node, {"work_mem": "4MB"}, {})  # type: ignore[arg-type]
    replica = node_config(
        None,  # type: ignore[arg-type]
        node,
        {"work_mem": "4MB", "recovery_target_time": "", "primary_conninfo": "host=x"},
        {},
    )
    assert leader.settings == replica.settings


def test_the_second_site_is_read_from_its_link_journal_and_absent_without_one(
    tmp_path: Path,
) -> None:
    import time

    from minwon.operations.cluster.local import LocalCluster
    from minwon.operations.dr.link import LinkJournal, Sample
    from minwon.operations.inspection.local import LocalClusterView, LocalRecords

    records = LocalRecords(LocalClusterView(LocalCluster(tmp_path)))
    # No rehearsal yet: an empty record (``minwon cluster rehearse`` writes here), not none.
    assert records.second_site() is None and records.rehearsals() == ()
    site = tmp_path / "site2"
    site.mkdir()
    (site / "state.json").write_text("{}")
    now = time.time()
    LinkJournal(site).write(
        [Sample(now - 1, 5_000, 4_000, 4_000, True), Sample(now - 0.5, 9_000, 8_000, 8_000, True)]
    )
    facts = records.second_site()
    assert facts is not None and facts.following and facts.lag.bytes == 1_000
    assert facts.newest_sample_at == pytest.approx(now - 0.5)
    (tmp_path / "rehearsals").mkdir()
    assert records.rehearsals() == ()
