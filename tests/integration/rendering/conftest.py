"""Makes the shared example snapshots (tests/unit/rendering) importable from this suite."""

from __future__ import annotations

import sys
from pathlib import Path

# Test folders here are not packages (two "rendering" packages would collide), so the
# snapshot helper is reached by path rather than by a dotted import.
_UNIT = Path(__file__).resolve().parents[2] / "unit" / "rendering"
if str(_UNIT) not in sys.path:
    sys.path.insert(0, str(_UNIT))
