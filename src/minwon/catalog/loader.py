"""Loads the catalog: one YAML file per document type under ``catalog/types``."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from minwon.catalog.model import (
    Access,
    Channel,
    ChannelOffer,
    DocumentType,
    Exemption,
    Item,
    Subject,
)


class CatalogError(ValueError):
    """A catalog file is malformed; the message names the file and the field."""


def _item(raw: Mapping[str, Any]) -> Item:
    choices = tuple((str(k), str(v)) for k, v in dict(raw.get("choices", {})).items())
    item = Item(
        code=str(raw["code"]),
        label=str(raw["label"]),
        kind=str(raw.get("kind", "flag")),
        default=raw["default"],
        choices=choices,
        restricted_to=tuple(raw.get("restricted_to", ())),
        basis=str(raw.get("basis", "")),
        help=str(raw.get("help", "")),
    )
    if item.kind not in {"flag", "choice"} or not item.accepts(item.default):
        raise CatalogError(f"item {item.code}: bad kind or default")
    return item


def parse_document_type(raw: Mapping[str, Any], source: str = "<data>") -> DocumentType:
    """Returns a DocumentType from a parsed YAML mapping, or raises CatalogError."""
    try:
        offers = tuple(
            ChannelOffer(channel=Channel(name), fee=int(spec["fee"]))
            for name, spec in dict(raw["channels"]).items()
            if spec.get("available", True)
        )
        return DocumentType(
            code=str(raw["code"]),
            title=str(raw["title"]),
            title_on_document=str(raw.get("title_on_document", raw["title"])),
            subject=Subject(raw.get("subject", "resident")),
            access=Access(raw["access"]),
            template=str(raw["template"]),
            sections=tuple(str(s) for s in raw["sections"]),
            valid_days=int(raw.get("valid_days", 90)),
            offers=offers,
            items=tuple(_item(i) for i in raw.get("items", ())),
            exemptions=tuple(
                Exemption(code=str(e["code"]), label=str(e["label"]), basis=str(e["basis"]))
                for e in raw.get("exemptions", ())
            ),
            creditor_may_request=bool(raw.get("creditor_may_request", False)),
            delegation_valid_months=raw.get("delegation_valid_months"),
            notify_subject=bool(raw.get("notify_subject", False)),
            notify_subscribers=bool(raw.get("notify_subscribers", False)),
            description=str(raw.get("description", "")),
            extra=dict(raw.get("extra", {})),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise CatalogError(f"{source}: {exc!r}") from exc


class Catalog:
    """All document types by code, in a stable order."""

    def __init__(self, types: list[DocumentType], templates: Path | None = None) -> None:
        self._types = {t.code: t for t in sorted(types, key=lambda t: t.code)}
        self.templates = templates or templates_dir()

    def get(self, code: str) -> DocumentType | None:
        return self._types.get(code)

    def all(self) -> list[DocumentType]:
        return list(self._types.values())

    def __contains__(self, code: object) -> bool:
        return code in self._types


def types_dir() -> Path:
    return Path(str(resources.files("minwon.catalog") / "types"))


def templates_dir() -> Path:
    return Path(str(resources.files("minwon.catalog") / "templates"))


def load_catalog(directory: Path | None = None, templates: Path | None = None) -> Catalog:
    """Reads every ``*.yaml`` in ``directory`` (default: the packaged catalog).

    A city adds a document type by putting a YAML file in its catalog folder and the
    template it names in the ``templates`` folder beside it (``MINWON_CATALOG_DIR``).
    """
    directory = directory or types_dir()
    if templates is None and (directory.parent / "templates").is_dir():
        templates = directory.parent / "templates"
    types = []
    for path in sorted(directory.glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            types.append(parse_document_type(yaml.safe_load(fh), str(path)))
    catalog = Catalog(types, templates)
    for t in catalog.all():
        if not (catalog.templates / t.template).is_file():
            raise CatalogError(f"{t.code}: template {t.template} not found in {catalog.templates}")
    return catalog


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    return load_catalog()
