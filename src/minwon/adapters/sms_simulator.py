"""The SMS gateway simulator we ship (implements notifications.ports.SmsGateway).

It "sends" by appending one JSON line per message to a file (MINWON_SMS_SIMULATOR_FILE),
which demos and tests read. Like a real gateway given a client reference, it delivers at
most one message per key: a retry after a crash finds the key and writes nothing. A city
plugs its gateway's adapter in bootstrap.py instead.
"""

from __future__ import annotations

import fcntl
import json
from datetime import UTC, datetime
from pathlib import Path

from minwon.notifications.model import DeliveryFailed, SmsNotice


class SimulatedSmsGateway:
    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, message: SmsNotice) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a+", encoding="utf-8") as file:
                fcntl.flock(file, fcntl.LOCK_EX)  # one writer at a time, across processes
                file.seek(0)
                for line in file:
                    if line.strip() and json.loads(line).get("key") == message.key:
                        return  # sent before: at most one message per key
                record = {
                    "key": message.key,
                    "to": message.to,
                    "text": message.text,
                    "at": datetime.now(UTC).isoformat(timespec="seconds"),
                }
                file.write(json.dumps(record, ensure_ascii=False) + "\n")
                file.flush()
        except OSError as exc:
            raise DeliveryFailed(f"simulator file: {type(exc).__name__}") from exc

    def sent(self) -> list[dict[str, str]]:
        """Returns every message written so far (for demos and tests)."""
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
