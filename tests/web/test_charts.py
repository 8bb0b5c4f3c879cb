"""The score chart draws with or without grade bands (a ledger with no policy published yet
has no grades: the subject's page must still show the chart)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from socialcredit.web._charts import line_chart

POINTS = [(datetime(2025, 1, 1, tzinfo=UTC), 1000), (datetime(2025, 6, 1, tzinfo=UTC), 970)]


@pytest.mark.parametrize("bands", [(), (("A", 900), ("AA", 1050))], ids=["no grades", "grades"])
def test_a_chart_draws_with_or_without_bands(bands: tuple[tuple[str, int], ...]) -> None:
    svg = str(line_chart(POINTS, title="Score", bands=bands))
    assert svg.startswith("<svg") and "<title" in svg and "now 970" in svg
    assert ('class="band' in svg) == bool(bands)
