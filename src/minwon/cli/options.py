"""Options several ``minwon`` command groups share: where the local cluster's folder is.

Light on purpose (typer only), like ``plain.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DEFAULT_ROOT = Path("var/cluster")
RootOption = Annotated[
    Path, typer.Option("--root", help="클러스터 상태·로그·비밀 파일을 두는 폴더")
]
