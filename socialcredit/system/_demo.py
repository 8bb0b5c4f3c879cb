"""Use cases: the demo (:mod:`socialcredit.demo`): building the synthetic city into a fresh
ledger, and the demo logins, one per role, over the subjects it holds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ._records import RecordUseCases

if TYPE_CHECKING:
    from ..accounts import DemoLogin
    from ..demo import DemoResult

__all__ = ["DemoUseCases"]


class DemoUseCases(RecordUseCases):
    """The demo city and its logins."""

    @staticmethod
    def build_demo(
        directory: Path,
        echo: Callable[[str], None] = print,
        *,
        residents: int = 100_000,
        organisations: int = 5_000,
        seed: int = 2026,
    ) -> DemoResult:
        """Build a fresh demo ledger in ``directory`` (deleting what is there first): the
        synthetic city of ``residents`` and ``organisations`` drawn from ``seed``, scored,
        verified and an entry proved, each step reported through ``echo``. The result says
        whether the ledger verified and the proof held, and names the store (``settings``).

        Raises:
            ConfigurationError: if the ledger or its signing key cannot be made.
        """
        from ..demo import run_demo

        return run_demo(
            directory, echo, residents=residents, organisations=organisations, seed=seed
        )

    def seed_demo_logins(self, *, seed: int = 2026) -> list[DemoLogin]:
        """Make one demo user per role but the public's, with passwords drawn from ``seed``
        (the same logins each time), in this system's accounts file; the subject login's own
        file is the person with the most records, so every section of "my file" shows.

        Raises:
            ValidationError: if the demo users already exist in the accounts file.
        """
        from ..accounts import seed_demo_accounts

        return seed_demo_accounts(self.accounts, self.subjects_most_recorded_first(), seed=seed)
