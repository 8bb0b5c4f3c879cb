"""Fixtures of the API tests: a small ledger, an app over it, one API key per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI

from socialcredit.accounts import AccountStore, RateLimit, Role
from socialcredit.catalogue import default_catalogue
from socialcredit.ingest import BatchAck, ingest_rows
from socialcredit.ledger import Ledger
from socialcredit.policy import default_bundle, publish
from socialcredit.rights import open_dispute
from socialcredit.server import create_app
from socialcredit.service import init_ledger
from socialcredit.settings import Settings
from tests.api.client import SyncClient
from tests.records_factory import organisation, valid_rows

PASSWORD = "correct horse battery"
# The source key is a bank: a registered source whose authority kind may establish debts.
SOURCE = "creditor_under_contract:test-bank"
SOURCE_KINDS = frozenset({"loan_default", "credit_card_default", "overdue_debt_settled"})


@dataclass
class World:
    """The app under test and what the tests need to address it."""

    app: FastAPI
    client: SyncClient
    keys: dict[Role, str]
    subject: tuple[str, str]  # the subject role's own file
    other: tuple[str, str]  # someone else's file
    own_position: int  # a record about ``subject`` of a kind the source may file
    other_position: int  # the same about ``other``
    own_dispute: str  # a dispute about ``subject``'s record
    other_dispute: str  # a dispute about ``other``'s record
    organisation: str
    accounts: AccountStore

    def headers(self, role: Role) -> dict[str, str]:
        key = self.keys.get(role)
        return {} if key is None else {"Authorization": f"Bearer {key}"}

    def account(self, role: Role) -> str:
        """The account id of ``role``'s key, as every "who did this" field records it."""
        principal = self.accounts.authenticate_key(self.keys[role])
        assert principal is not None
        return principal.account


def build_settings(directory: Path, records: int = 60) -> Settings:
    """A fresh ledger in ``directory`` with ``records`` seeded records."""
    settings = Settings(store=f"sqlite:///{directory / 'api.db'}")
    ledger = init_ledger(settings, origin="test/api")
    publish(ledger, default_bundle())
    ingest_rows(ledger, default_catalogue(), enumerate(valid_rows(records, seed=7), 1))
    ledger.store.close()
    return settings


def build_app(directory: Path, limit: RateLimit | None = None) -> tuple[FastAPI, AccountStore]:
    """A seeded ledger in ``directory`` and an app over it; no thread runs until its lifespan."""
    settings = build_settings(directory)
    accounts = AccountStore(settings.accounts_path())
    app = create_app(settings, accounts=accounts, rate_limit=limit or RateLimit(10_000, 10_000))
    return app, accounts


def make_world(directory: Path, limit: RateLimit | None = None) -> Iterator[World]:
    yield from world_over(*build_app(directory, limit))


def world_over(app: FastAPI, accounts: AccountStore) -> Iterator[World]:
    """Run ``app``'s lifespan, seed disputes and one key per role; the world, closed after."""
    with SyncClient(app) as client:
        ctx = app.state.ctx
        with ctx.fresh_index() as index:
            subjects = [s for s in index.subjects() if s[0] == "person"]
        subject, other = subjects[0], subjects[1]
        with ctx.lock:
            own, others = (_file(ctx.ledger, who) for who in (subject, other))
            disputes = [open_dispute(ctx.ledger, p, "not mine") for p in (own, others)]
        keys = {}
        for role in Role:
            if role is Role.PUBLIC:
                continue
            keys[role] = accounts.create_api_key(
                role,
                SOURCE if role is Role.SOURCE else f"test-{role.value}",
                subject=subject if role is Role.SUBJECT else None,
                allowed_kinds=SOURCE_KINDS if role is Role.SOURCE else (),
                authority="creditor_under_contract" if role is Role.SOURCE else None,
            )
        accounts.create_user("walker", PASSWORD, Role.OFFICER)
        yield World(
            app, client, keys, subject, other, own, others, *disputes, organisation(3), accounts
        )
    accounts.close()


def _file(ledger: Ledger, subject: tuple[str, str]) -> int:
    """File a record of a kind the test source may file about ``subject``; its position."""
    row = {
        "subject_id": subject[1],
        "subject_kind": subject[0],
        "kind": "loan_default",
        "occurred_at": "2025-03-01T00:00:00Z",
        "source": SOURCE,
        "amount": "900",
    }
    acks: list[BatchAck] = []
    ingest_rows(ledger, default_catalogue(), [(1, row)], on_batch=acks.append)
    return acks[0].results[0].position


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from make_world(tmp_path_factory.mktemp("api"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give each Schemathesis operation test its own node id.

    Pytest 9 builds a test's node id from its original function name, so every operation of
    ``test_no_server_errors`` got the same id: ``-k`` could not pick one, a failure did not say
    which operation it was, and the progress line stopped short of 100 %.
    """
    for item in items:
        if type(item).__name__ == "SchemathesisFunction" and item.name not in item.nodeid:
            item._id = item.parent.id.child(item.name)  # type: ignore[union-attr]
