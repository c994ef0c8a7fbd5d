"""Settings: read once from the environment (prefix ``MINWON_``), passed everywhere else."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(f"MINWON_{name}", default)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a Minwon process needs to know about where it runs."""

    data_dir: Path
    database_url: str
    keys_dir: Path
    catalog_dir: Path | None = None
    public_base_url: str = "http://127.0.0.1:8000"
    verification_days: int = 90
    session_hours: int = 8
    verify_rate_per_minute: int = 120
    login_rate_per_minute: int = 10
    idempotency_lease_seconds: int = 10
    db_retry_seconds: float = 25.0
    log_json: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Returns settings from ``MINWON_*`` environment variables, then ``overrides``.

        The database and keys default to places inside the data folder, so overriding only
        ``data_dir`` moves them too.
        """
        data_dir = Path(str(overrides.get("data_dir") or _env("DATA_DIR", "var"))).resolve()
        default_db = f"sqlite:///{data_dir / 'minwon.sqlite3'}"
        catalog = _env("CATALOG_DIR", "")
        settings = cls(
            data_dir=data_dir,
            database_url=_env("DATABASE_URL", default_db),
            keys_dir=Path(_env("KEYS_DIR", str(data_dir / "keys"))).resolve(),
            catalog_dir=Path(catalog).resolve() if catalog else None,
            public_base_url=_env("PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
            verification_days=int(_env("VERIFICATION_DAYS", "90")),
            session_hours=int(_env("SESSION_HOURS", "8")),
            verify_rate_per_minute=int(_env("VERIFY_RATE_PER_MINUTE", "120")),
            login_rate_per_minute=int(_env("LOGIN_RATE_PER_MINUTE", "10")),
            log_json=_env("LOG_JSON", "0") == "1",
            db_retry_seconds=float(_env("DB_RETRY_SECONDS", "25")),
        )
        overrides.pop("data_dir", None)
        return replace(settings, **overrides)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
