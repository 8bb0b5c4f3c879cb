"""The application object, composed of the use cases of each area."""

from __future__ import annotations

from ._accounts import AccountUseCases
from ._demo import DemoUseCases
from ._ledger import LedgerUseCases
from ._memoranda import MemorandumUseCases
from ._notices import NoticeUseCases
from ._policy import PolicyUseCases
from ._ratings import RatingUseCases
from ._records import RecordUseCases
from ._repair import RepairUseCases
from ._rights import RightsUseCases
from ._scores import ScoreUseCases

__all__ = ["System"]


class System(
    DemoUseCases,
    RecordUseCases,
    LedgerUseCases,
    PolicyUseCases,
    RightsUseCases,
    RepairUseCases,
    NoticeUseCases,
    RatingUseCases,
    MemorandumUseCases,
    ScoreUseCases,
    AccountUseCases,
):
    """The running engine over one ledger: open it with :meth:`open` (a command) or serve it
    with :meth:`start` / :meth:`close` (a server's lifespan). Every method is safe to call from
    several threads: each takes the system's lock around its use of the ledger."""
