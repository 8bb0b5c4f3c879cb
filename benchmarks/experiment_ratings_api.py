"""Every rating attack of issue 15, through the public HTTP API with real keys.

A seeded marketplace (21 organisations, 400 honest raters, the target of true quality 2.4 with
50 honest ratings, 40 weeks; 60 % of honest tokens issued by the tax authority's e-invoice
platform against an e-invoice naming buyer and seller, the rest by the organisation itself)
is replayed through the API, history and all, with the ledger's injectable clock: a tax
authority source key files e-invoices (``POST /ratings/interactions``) and issues tokens
against them, each organisation issues its own customers' tokens through its own subject key,
each rater rates through their own subject key, and a transport operator's key granted only
``fare_evasion`` files the "unrelated record". The attacks (``socialcredit.ratings._scenarios``):
7 self-issued sybils; 7 record-issued sybils (refused, then real purchases); the same
camouflaged by rating 2 honest organisations each; 40 at once; 7 a week for 12 weeks; 7
sybils that build a reputation for 3 months first; 30 competitors brigading; one rater
flooding 200 times.

For each attack and seed: the target's public score shift against the attack-free world, the
plain mean's shift over every rating the attacker tried, Spearman's rank correlation of all
organisations' public scores (and of the plain means) with true quality. Medians over seeds.
Pass: every seed has |shift| <= |plain shift| / 3 and rho system >= rho plain; on the
attack-free world at most 1 % of honest ratings are marked suspicious. Writes only to a
temporary directory.

    .venv/bin/python benchmarks/experiment_ratings_api.py [--seeds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialcredit.accounts import AccountStore, RateLimit, Role
from socialcredit.catalogue import make_reference, make_resident_id
from socialcredit.errors import Problem, RatingRefusedError
from socialcredit.policy import default_bundle, publish
from socialcredit.ratings._scenarios import (
    ATTACKS,
    FARE_SOURCE,
    TAX_SOURCE,
    Outcome,
    Plan,
    World,
    attack_plan,
    measure,
    replay,
    world,
)
from socialcredit.server import create_app
from socialcredit.service import init_ledger
from socialcredit.settings import Settings

SUSPICIOUS = ("burst", "ring", "shift")
# The simulated period starts after the ledger's genesis (real time now): ledger time only
# moves forward.
START_US = 1_893_456_000_000_000  # 2030-01-01T00:00:00Z


class HttpDriver:
    """The system as its callers see it: the HTTP API, one real key per caller."""

    def __init__(self, client: TestClient, accounts: AccountStore) -> None:
        self.client, self.accounts = client, accounts
        self.ctx = client.app.state.ctx  # type: ignore[attr-defined]
        self.now_us = 0
        self.ctx.ledger.clock = lambda: self.now_us
        self.keys = {
            "tax": accounts.create_api_key(Role.SOURCE, TAX_SOURCE),
            "fare": accounts.create_api_key(
                Role.SOURCE, FARE_SOURCE, allowed_kinds={"fare_evasion"}
            ),
        }

    def _key(self, who: str, kind: str) -> str:
        if who not in self.keys:
            self.keys[who] = self.accounts.create_api_key(Role.SUBJECT, who, subject=(kind, who))
        return self.keys[who]

    def _post(self, path: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.client.post(
            f"/api/v1{path}", json=body, headers={"Authorization": f"Bearer {key}"}
        )
        found: dict[str, Any] = answer.json()
        if answer.status_code >= 400:
            problems = found.get("details", {}).get("problems") or [
                {"field": "caller", "reason": found.get("message", "")}
            ]
            raise RatingRefusedError(
                f"HTTP {answer.status_code}", [Problem(p["field"], p["reason"]) for p in problems]
            )
        return found

    def set_time(self, t_us: int) -> None:
        self.now_us = max(self.now_us, t_us)

    def file_unrelated_record(self) -> int:
        record = {
            "subject_id": make_resident_id("110105", date(1990, 1, 1), 999),
            "subject_kind": "person",
            "kind": "fare_evasion",
            "occurred_at": "2026-06-01T00:00:00Z",  # conduct in the past of the real clock
            "source": FARE_SOURCE,
            "evidence": make_reference("transport_operator", 2026, 1),
        }
        return int(self._post("/records", self.keys["fare"], record)["position"])

    def record(self, buyer: str, seller: str, reference: str) -> int:
        body = {"buyer": buyer, "seller": seller, "reference": reference}
        return int(self._post("/ratings/interactions", self.keys["tax"], body)["position"])

    def issue(self, issuer: str, rater: str, ratee: str, reference: str, by: str) -> str:
        key = self.keys[by] if by in ("tax", "fare") else self._key(ratee, "organisation")
        body = {"issuer": issuer, "rater": rater, "ratee": ratee, "interaction": reference}
        return str(self._post("/ratings/tokens", key, body)["token"])

    def rate(self, token: str, rater: str, ratee: str, stars: dict[str, int]) -> int:
        body = {"token": token, "ratee": ratee, "stars": stars}
        return int(self._post("/ratings", self._key(rater, "person"), body)["position"])

    def view(self, ratee: str, at_us: int) -> tuple[float, dict[int, str]]:
        at = datetime.fromtimestamp(at_us / 1e6, UTC).isoformat()
        page = self.client.get(f"/api/v1/ratings/{ratee}", params={"at": at}).json()
        return float(page["aggregate"]["score"]), {
            int(r["position"]): str(r["status"]) for r in page["ratings"]
        }


def run_world(w: World, plan: Plan | None) -> Outcome:
    """Replay ``w`` (and the attack) through a fresh app over a fresh ledger."""
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(store=f"sqlite:///{Path(directory) / 'ratings.db'}")
        ledger = init_ledger(settings, origin="experiment/ratings")
        publish(ledger, default_bundle())
        ledger.store.close()
        accounts = AccountStore(settings.accounts_path())
        app = create_app(settings, accounts=accounts, rate_limit=RateLimit(10**6, 10**6))
        with TestClient(app) as client:
            outcome = replay(w, plan, HttpDriver(client, accounts))
        accounts.close()
        return outcome


def run(seed: int) -> tuple[float, list[dict[str, float]]]:
    """The attack-free share of honest ratings marked suspicious, and one row per attack."""
    w = world(seed, start_us=START_US)
    base = run_world(w, None)
    honest = sum(base.honest_status.values())
    collateral = sum(base.honest_status.get(s, 0) for s in SUSPICIOUS) / honest
    rows = []
    for name in ATTACKS:
        plan = attack_plan(w, name, seed + 100)
        rows.append(measure(w, plan, base, run_world(w, plan)))
    return collateral, rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    runs = [run(seed) for seed in range(args.seeds)]
    names = [attack_plan(world(0, start_us=START_US), n, 100).name for n in ATTACKS]
    print(f"{args.seeds} seeds through the HTTP API ({time.perf_counter() - started:.0f} s)")
    worst = max(c for c, _ in runs)
    print(f"attack-free: honest ratings marked suspicious, worst seed {100 * worst:.2f} %")
    print(
        "| attack | shift plain | shift system | ratio | rho plain | rho system | refused | pass |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for i, name in enumerate(names):

        def med(key: str, i: int = i) -> float:
            return statistics.median(rows[i][key] for _, rows in runs)

        ok = all(
            rows[i]["ratio"] <= 1 / 3 and rows[i]["rho system"] >= rows[i]["rho plain"]
            for _, rows in runs
        )
        print(
            f"| {name} | {med('shift plain'):+.3f} | {med('shift system'):+.3f} | "
            f"{med('ratio'):.3f} | {med('rho plain'):.3f} | {med('rho system'):.3f} | "
            f"{med('refused'):.0f} | {'yes' if ok else 'NO'} |"
        )


if __name__ == "__main__":
    main()
