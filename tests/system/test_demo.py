"""The demo use cases of the application object: the city is built into a fresh ledger that
verifies and proves, and the demo logins, one per role but the public's, are made in the
accounts file once, the subject's own file being the fullest person's."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialcredit.accounts import Role
from socialcredit.errors import ValidationError
from socialcredit.system import System


def test_the_demo_is_built_and_its_logins_made_once(tmp_path: Path) -> None:
    said: list[str] = []
    built = System.build_demo(tmp_path / "demo", said.append, residents=40, organisations=4)
    built.ledger.store.close()
    assert built.verified and built.proof_ok
    assert any(line.startswith("verify      ok") for line in said)
    with System.open(built.settings, write=False) as system:
        logins = system.seed_demo_logins()
        fullest = next(s for s in system.subjects_most_recorded_first() if s[0] == "person")
        with pytest.raises(ValidationError):
            system.seed_demo_logins()  # they exist already
        assert sorted(a.name for a in system.account_list()) == sorted(
            login.username for login in logins
        )
        for login in logins:
            assert system.login(login.username, login.password).principal.role is login.role
    assert {login.role for login in logins} == set(Role) - {Role.PUBLIC}
    (subject,) = [login.subject for login in logins if login.role is Role.SUBJECT]
    assert subject == fullest
