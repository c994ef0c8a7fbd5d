"""A small, wired Minwon for tests: container, registry, demo accounts, helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from minwon.adapters import tables as t
from minwon.adapters.migrate import upgrade
from minwon.bootstrap import Container, bootstrap, fingerprint_secret
from minwon.config import Settings
from minwon.demo import generate_registry
from minwon.identity.biometrics import simulated_capture
from minwon.identity.model import Principal, PrincipalKind
from minwon.registry.model import Resident

RESIDENTS = 400
SEED = 11


@dataclass
class World:
    container: Container
    clock: Any

    def citizen(self, username: str = "citizen1") -> Principal:
        with self.container.uows(readonly=True) as uow:
            account = uow.identity.citizen(username)
        assert account is not None
        return account.as_citizen()

    def clerk(self, username: str = "clerk") -> Principal:
        with self.container.uows(readonly=True) as uow:
            account = uow.identity.clerk(username)
        assert account is not None
        return account.as_clerk()

    def kiosk(
        self, resident: Resident, device: str = "kiosk-01", session: str = "test-session"
    ) -> Principal:
        """The person identified at a kiosk, in one kiosk session (each person has their own)."""
        with self.container.uows(readonly=True) as uow:
            account = uow.identity.kiosk(device)
        assert account is not None
        return Principal(
            PrincipalKind.KIOSK,
            device,
            office_code=account.office_code,
            resident_id=resident.id,
            session=session,
        )

    def resident(self, resident_id: str) -> Resident:
        with self.container.uows(readonly=True) as uow:
            found = uow.registry.resident(resident_id)
        assert found is not None
        return found

    def household_of(self, resident: Resident) -> list[Resident]:
        assert resident.household_id
        with self.container.uows(readonly=True) as uow:
            return [r for _, r in uow.registry.members(resident.household_id)]

    def stranger_to(self, resident: Resident, *, min_age: int = 20) -> Resident:
        """Returns an adult from another household."""
        with self.container.engine.connect() as conn:
            rows = conn.execute(
                select(t.residents.c.id)
                .where(t.residents.c.household_id != resident.household_id)
                .where(t.residents.c.birth_date <= date(2026 - min_age, 1, 1))
                .order_by(t.residents.c.id)
                .limit(1)
            ).all()
        return self.resident(rows[0].id)

    def adult_with_seal(self) -> Resident:
        with self.container.engine.connect() as conn:
            row = conn.execute(
                select(t.seal_registrations.c.resident_id).order_by(
                    t.seal_registrations.c.resident_id
                )
            ).first()
        assert row is not None
        return self.resident(row.resident_id)

    def fingerprint(self, resident: Resident) -> str:
        secret = fingerprint_secret(self.container.keys)
        return simulated_capture(secret, self.container.vault.digest(resident.rrn))

    def count(self, table: Any) -> int:
        from sqlalchemy import func

        with self.container.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    def a_building(self) -> str:
        with self.container.engine.connect() as conn:
            row = conn.execute(
                select(t.buildings.c.register_number).order_by(t.buildings.c.register_number)
            ).first()
        assert row is not None
        return str(row.register_number)


def open_world(*, database_url: str, keys_dir: Path, data_dir: Path, clock: Any) -> World:
    """Returns a world wired to `database_url` as it is (``fill_registry`` fills it)."""
    settings = Settings.from_env(
        data_dir=data_dir,
        database_url=database_url,
        keys_dir=keys_dir,
        verify_rate_per_minute=10_000,
        login_rate_per_minute=1_000,
    )
    return World(container=bootstrap(settings, clock=clock), clock=clock)


def fill_registry(container: Container) -> None:
    """Migrates an empty database and loads the test registry (RESIDENTS, SEED)."""
    upgrade(container.engine)
    generate_registry(
        container.engine,
        residents=RESIDENTS,
        seed=SEED,
        vault=container.vault,
        today=date(2026, 11, 1),
    )


def build_world(*, database_url: str, keys_dir: Path, data_dir: Path, clock: Any) -> World:
    """Returns a world on `database_url`, migrated and filled with the test registry."""
    world = open_world(database_url=database_url, keys_dir=keys_dir, data_dir=data_dir, clock=clock)
    fill_registry(world.container)
    return world
