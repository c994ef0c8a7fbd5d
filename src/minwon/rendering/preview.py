"""What verification shows of an issued document: its items as the paper prints them
(the catalog template's blocks, read from the frozen snapshot) and its pages as images
(rasterised from the issued PDF itself, so a person compares them line by line)."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from minwon.registry.rrn import redact
from minwon.rendering.pdf import DEFAULT_STATEMENT
from minwon.rendering.templating import docnumber, kdatetime, render_blocks

DPI = 110
MAX_PAGES = 20
RASTER_TIMEOUT_SECONDS = 20.0
_SHOWN = ("kv", "heading", "table", "paragraph", "note")


class RasterError(RuntimeError):
    """The page images could not be made (no pdftoppm, a timeout, an unreadable PDF)."""


@dataclass(frozen=True, slots=True)
class DocumentView:
    """The document as printed: header, body blocks in the paper's order, footer.

    Each block is a plain mapping: ``{"kind": "kv", "pairs": [[label, value], …]}``,
    ``{"kind": "heading", "text": …}``, ``{"kind": "table", "columns": […], "rows":
    [[…], …], "empty": …}``, ``{"kind": "paragraph" | "note", "text": …}``.
    """

    title: str
    number: str
    issued: str
    office_name: str
    issuer: str
    statement: str
    blocks: tuple[dict[str, Any], ...]
    # True when the paper prints a whole 주민등록번호 that the items show masked.
    numbers_masked: bool = False


def _text(value: object) -> str:
    # As the layout prints a cell (nothing for None, 예/아니요 for a flag), except that a
    # whole 주민등록번호 is shown as YYMMDD-G******: text is copied, cached and indexed
    # where the page image is not. The page image shows the paper as issued.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "예" if value else "아니요"
    return redact(str(value))


def _block(block: Mapping[str, Any]) -> dict[str, Any] | None:
    kind = next((k for k in _SHOWN if k in block), None)
    if kind == "kv":
        pairs = [[_text(label), _text(value)] for label, value in block["kv"]]
        return {"kind": "kv", "pairs": pairs}
    if kind == "table":
        spec = block["table"]
        rows = [[_text(v) for v in row] for row in spec.get("rows") or []]
        columns = [_text(c) for c in spec.get("columns") or []]
        empty = _text(spec.get("empty", "해당 없음")) if not rows else None
        return {"kind": "table", "columns": columns, "rows": rows, "empty": empty}
    if kind is not None:
        return {"kind": kind, "text": _text(block[kind])}
    return None  # spacers (and the statement, shown in the footer)


def document_view(
    snapshot: Mapping[str, Any], *, template: str, template_dir: Path | None = None
) -> DocumentView:
    """Returns the items of a document in the order and wording of its printed page."""
    raw = render_blocks(template, snapshot, directory=template_dir)
    statement = next((_text(b["statement"]) for b in raw if "statement" in b), None)
    blocks = tuple(b for b in (_block(b) for b in raw) if b is not None)
    masked = any(redact(str(v)) != str(v) for v in _values(raw))
    office = snapshot.get("office") or {}
    return DocumentView(
        title=str(snapshot["title"]),
        number=docnumber(snapshot["number"]),
        issued=kdatetime(snapshot["issued_at"]),
        office_name=str(office.get("name", "")),
        issuer=str(office.get("head_title", "")),
        statement=statement or DEFAULT_STATEMENT,
        blocks=blocks,
        numbers_masked=masked,
    )


def _values(node: object) -> list[object]:
    if isinstance(node, Mapping):
        return [v for item in node.values() for v in _values(item)]
    if isinstance(node, list):
        return [v for item in node for v in _values(item)]
    return [node]


def _page_number(path: Path) -> int:
    return int(path.stem.rsplit("-", 1)[-1])


def rasterise(
    pdf: bytes, *, dpi: int = DPI, timeout: float = RASTER_TIMEOUT_SECONDS
) -> tuple[bytes, ...]:
    """Returns one PNG per page of ``pdf``, drawn by poppler's pdftoppm (no shell, a
    private temporary folder, a time limit)."""
    program = shutil.which("pdftoppm")
    if program is None:
        raise RasterError("pdftoppm is not installed (poppler-utils)")
    with tempfile.TemporaryDirectory(prefix="minwon-pages-") as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        command = [program, "-png", "-r", str(dpi), "-l", str(MAX_PAGES), str(source), "page"]
        try:
            done = subprocess.run(
                command, cwd=folder, capture_output=True, timeout=timeout, check=False
            )
        except (subprocess.TimeoutExpired, OSError) as exc:
            raise RasterError(f"pdftoppm failed: {type(exc).__name__}") from exc
        pages = sorted(Path(folder).glob("page-*.png"), key=_page_number)
        if done.returncode != 0 or not pages:
            raise RasterError(f"pdftoppm exited with {done.returncode}")
        return tuple(p.read_bytes() for p in pages)


def page_count(pdf: bytes) -> int:
    """Returns how many pages a PDF has (read from its page tree: about a millisecond)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        count = int(reader.root["/Pages"]["/Count"])
    except (PdfError, KeyError, ValueError, TypeError, OSError) as exc:
        raise RasterError(f"unreadable page tree: {type(exc).__name__}") from exc
    return max(1, min(MAX_PAGES, count))


class PageImages:
    """A small in-process LRU of documents' page images, keyed by what identifies the
    issued file; each document is rasterised once however many ask at the same time.

    Page counts are kept apart (a larger LRU of small numbers): a verification lists its
    page images without drawing them, and only a request for an image runs pdftoppm.
    """

    def __init__(
        self,
        size: int = 32,
        raster: Callable[[bytes], tuple[bytes, ...]] = rasterise,
        counter: Callable[[bytes], int] = page_count,
        counts: int = 4096,
        wait_seconds: float = 10.0,
    ) -> None:
        self._size = size
        self._raster = raster
        self._counter = counter
        self._counts_size = counts
        self._pages: OrderedDict[str, tuple[bytes, ...]] = OrderedDict()
        self._counts: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()
        # One pdftoppm at a time per process, and nobody waits long for it: a request
        # thread parked here is one the other pages cannot use.
        self._making = threading.Lock()
        self._wait = wait_seconds

    def count(self, key: str, pdf: Callable[[], bytes]) -> int:
        """Returns the number of pages for ``key``, reading ``pdf`` only on a miss."""
        with self._lock:
            if key in self._pages:
                return len(self._pages[key])
            if key in self._counts:
                self._counts.move_to_end(key)
                return self._counts[key]
        count = self._counter(pdf())
        with self._lock:
            self._counts[key] = count
            while len(self._counts) > self._counts_size:
                self._counts.popitem(last=False)
        return count

    def _cached(self, key: str) -> tuple[bytes, ...] | None:
        with self._lock:
            pages = self._pages.get(key)
            if pages is not None:
                self._pages.move_to_end(key)
            return pages

    def get(self, key: str, pdf: Callable[[], bytes]) -> tuple[bytes, ...]:
        """Returns the pages for ``key``, calling ``pdf`` and rasterising only on a miss."""
        pages = self._cached(key)
        if pages is not None:
            return pages
        if not self._making.acquire(timeout=self._wait):
            raise RasterError("busy: another document is being rasterised")
        try:
            pages = self._cached(key)  # made while this thread waited
            if pages is not None:
                return pages
            pages = self._raster(pdf())
            with self._lock:  # stored before the next waiter looks
                self._pages[key] = pages
                while len(self._pages) > self._size:
                    self._pages.popitem(last=False)
            return pages
        finally:
            self._making.release()

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._counts.clear()
