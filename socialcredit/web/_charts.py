"""Charts as inline SVG, drawn on the server: the portal needs no JavaScript to show them.

The drawing is small (420 × 260 units) so that, scaled to a 360 px phone, its 12-unit labels
stay about 10 px tall; ticks fall on round values, grade bands are shaded and labelled in
their middle (a label that would collide with its neighbour is left out, never overlapped),
and the current score is marked and written out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from markupsafe import Markup, escape

from ._i18n import gettext as _

__all__ = ["line_chart", "nice_ticks"]

_Scale = Callable[[float], float]
_TimeScale = Callable[[datetime], float]
_WIDTH, _HEIGHT = 420, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 34, 14, 40
_LABEL = 13  # the height a label needs, in drawing units


def nice_ticks(low: float, high: float, most: int = 6) -> list[int]:
    """Round values from ``low`` to ``high`` (inclusive), at most ``most`` of them, a step of
    1, 2, 2.5 or 5 times a power of ten apart."""
    span = max(high - low, 1.0)
    raw = span / max(most - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    count = int((high - first) // step) + 1
    return [round(first + i * step) for i in range(count)]


def line_chart(
    points: Sequence[tuple[datetime, int]],
    *,
    title: str,
    bands: Sequence[tuple[str, int]] = (),
) -> Markup:
    """An accessible SVG line chart of ``points`` (time, value), oldest first, the last one
    marked as the current value.

    ``bands`` are ``(label, lower bound)`` of regions such as grades, shaded and labelled where
    they fall inside the plotted range. The chart carries a ``<title>`` and a ``<desc>`` naming
    the first and last values, so screen readers get the gist; the page should also show the
    numbers as a table. Its words are in the current language (:mod:`._i18n`).

    Raises:
        ValueError: if ``points`` is empty.
    """
    if not points:
        raise ValueError("a chart needs at least one point")
    values = [v for _, v in points]
    pad = max(10, (max(values) - min(values)) // 10)
    low, high = min(values) - pad, max(values) + pad
    first, last = points[0], points[-1]
    span = max((last[0] - first[0]).total_seconds(), 1.0)

    def x(at: datetime) -> float:
        return _LEFT + (at - first[0]).total_seconds() / span * (_WIDTH - _LEFT - _RIGHT)

    def y(value: float) -> float:
        return _TOP + (high - value) / (high - low) * (_HEIGHT - _TOP - _BOTTOM)

    line = " ".join(f"{x(at):.1f},{y(v):.1f}" for at, v in points)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(_describe(points))}</desc>',
        *_bands(bands, low, high, y),
        *_value_axis(low, high, y),
        *_time_axis(first[0], last[0], x),
        f'<polyline class="line" fill="none" points="{line}"/>',
        *(f'<circle class="dot" cx="{x(at):.1f}" cy="{y(v):.1f}" r="2.5"/>' for at, v in points),
        *_now(last, x, y),
        "</svg>",
    ]
    return Markup("\n".join(parts))


def _describe(points: Sequence[tuple[datetime, int]]) -> str:
    """The gist of the chart in words: the first and last values, the lowest and highest."""
    values = [value for at, value in points]
    (start, first), (end, last) = points[0], points[-1]
    return _(
        "From %(first)d on %(start)s to %(last)d on %(end)s; lowest %(low)d, highest %(high)d."
    ) % {
        "first": first,
        "start": f"{start:%Y-%m-%d}",
        "last": last,
        "end": f"{end:%Y-%m-%d}",
        "low": min(values),
        "high": max(values),
    }


def _bands(bands: Sequence[tuple[str, int]], low: int, high: int, y: _Scale) -> list[str]:
    """Each band's visible part shaded (alternately), its lower edge dashed, and its label in
    the middle of its visible part when there is room for it."""
    out: list[str] = []
    if not bands:  # a score without grades (no policy published yet): nothing to shade
        return out
    last_label_y = -math.inf
    ordered = sorted(bands, key=lambda band: band[1])
    tops = [value for _, value in ordered[1:]] + [math.inf]
    for number, ((label, bottom), top) in enumerate(zip(ordered, tops, strict=True)):
        shown_low, shown_high = max(bottom, low), min(top, high)
        if shown_low >= shown_high:
            continue
        y_top, y_bottom = y(shown_high), y(shown_low)
        if number % 2:
            out.append(
                f'<rect class="band-fill" x="{_LEFT}" y="{y_top:.1f}" '
                f'width="{_WIDTH - _LEFT - _RIGHT}" height="{y_bottom - y_top:.1f}"/>'
            )
        if low < bottom < high:
            out.append(
                f'<line class="band" x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y_bottom:.1f}" '
                f'y2="{y_bottom:.1f}"/>'
            )
        middle = (y_top + y_bottom) / 2 + 4
        if y_bottom - y_top >= _LABEL and abs(middle - last_label_y) >= _LABEL:
            out.append(
                f'<text class="band-label" x="{_WIDTH - 4}" y="{middle:.1f}" '
                f'text-anchor="end">{escape(label)}</text>'
            )
            last_label_y = middle
    return out


def _value_axis(low: int, high: int, y: _Scale) -> list[str]:
    """The score axis: a line, round ticks with light grid lines, and its title."""
    bottom = _HEIGHT - _BOTTOM
    title = _("Score")
    out = [f'<line class="axis" x1="{_LEFT}" x2="{_LEFT}" y1="{_TOP}" y2="{bottom}"/>']
    for value in nice_ticks(low, high, 5):
        at = y(value)
        out.append(
            f'<line class="grid" x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{at:.1f}" '
            f'y2="{at:.1f}"/><text class="tick" x="{_LEFT - 5}" y="{at + 4:.1f}" '
            f'text-anchor="end">{value}</text>'
        )
    out.append(
        f'<text class="axis-title" x="12" y="{(_TOP + bottom) / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {(_TOP + bottom) / 2:.1f})">{escape(title)}</text>'
    )
    return out


def _time_axis(start: datetime, end: datetime, x: _TimeScale) -> list[str]:
    """The time axis: a line, a tick at each January (each July too over a short span), and
    the first and last dates when no tick is near them."""
    bottom = _HEIGHT - _BOTTOM
    title = _("Date")
    out = [f'<line class="axis" x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{bottom}" y2="{bottom}"/>']
    months = (1,) if (end - start).days > 2 * 366 else (1, 7)
    ticks = [
        datetime(year, month, 1, tzinfo=UTC)
        for year in range(start.year, end.year + 1)
        for month in months
        if start <= datetime(year, month, 1, tzinfo=UTC) <= end
    ]
    for tick in ticks:
        at = x(tick)
        out.append(
            f'<line class="axis" x1="{at:.1f}" x2="{at:.1f}" y1="{bottom}" y2="{bottom + 4}"/>'
            f'<text class="tick" x="{at:.1f}" y="{bottom + 16}" text-anchor="middle">'
            f"{tick:%Y-%m}</text>"
        )
    if not ticks:
        out.append(
            f'<text class="tick" x="{_LEFT}" y="{bottom + 16}">{start:%Y-%m-%d}</text>'
            f'<text class="tick" x="{_WIDTH - _RIGHT}" y="{bottom + 16}" '
            f'text-anchor="end">{end:%Y-%m-%d}</text>'
        )
    out.append(
        f'<text class="axis-title" x="{(_LEFT + _WIDTH - _RIGHT) / 2:.1f}" y="{_HEIGHT - 4}" '
        f'text-anchor="middle">{escape(title)}</text>'
    )
    return out


def _now(last: tuple[datetime, int], x: _TimeScale, y: _Scale) -> list[str]:
    """The current value: a ring on the last point and its value written beside it."""
    cx, cy = x(last[0]), y(last[1])
    label = _("now %(value)d") % {"value": last[1]}
    return [
        f'<circle class="now" cx="{cx:.1f}" cy="{cy:.1f}" r="5"/>',
        f'<text class="now-label" x="{cx - 8:.1f}" y="{cy - 9:.1f}" text-anchor="end">'
        f"{escape(label)}</text>",
    ]
