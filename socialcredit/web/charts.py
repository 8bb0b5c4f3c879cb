"""Charts as inline SVG, drawn on the server: the portal needs no JavaScript to show them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from markupsafe import Markup, escape

__all__ = ["line_chart"]

_Scale = Callable[[float], float]
_WIDTH, _HEIGHT = 640, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 12, 12, 28


def line_chart(
    points: Sequence[tuple[datetime, int]],
    *,
    title: str,
    bands: Sequence[tuple[str, int]] = (),
) -> Markup:
    """An accessible SVG line chart of ``points`` (time, value), oldest first.

    ``bands`` are horizontal reference lines ``(label, value)`` (e.g. the lower bound of each
    grade) drawn where they fall inside the plotted range. The chart carries a ``<title>`` and
    a ``<desc>`` naming the first and last values, so screen readers get the gist; the page
    should also show the numbers as a table.

    Raises:
        ValueError: if ``points`` is empty.
    """
    if not points:
        raise ValueError("a chart needs at least one point")
    values = [v for _, v in points]
    low, high = min(values), max(values)
    pad = max(10, (high - low) // 10)
    low, high = low - pad, high + pad
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
        f'<desc id="chart-desc">From {first[1]} on {first[0]:%Y-%m-%d} to {last[1]} on '
        f"{last[0]:%Y-%m-%d}; lowest {min(values)}, highest {max(values)}.</desc>",
        *_bands(bands, low, high, y),
        *_axes(low, high, first[0], last[0], y),
        f'<polyline class="line" fill="none" points="{line}"/>',
        *(f'<circle class="dot" cx="{x(at):.1f}" cy="{y(v):.1f}" r="2.5"/>' for at, v in points),
        "</svg>",
    ]
    return Markup("\n".join(parts))


def _bands(bands: Sequence[tuple[str, int]], low: int, high: int, y: _Scale) -> list[str]:
    out = []
    for label, value in bands:
        if low < value < high:
            at = y(value)
            out.append(
                f'<line class="band" x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{at:.1f}" '
                f'y2="{at:.1f}"/><text class="band-label" x="{_WIDTH - _RIGHT - 4}" '
                f'y="{at - 3:.1f}" text-anchor="end">{escape(label)}</text>'
            )
    return out


def _axes(low: int, high: int, start: datetime, end: datetime, y: _Scale) -> list[str]:
    bottom = _HEIGHT - _BOTTOM
    return [
        f'<line class="axis" x1="{_LEFT}" x2="{_LEFT}" y1="{_TOP}" y2="{bottom}"/>',
        f'<line class="axis" x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{bottom}" y2="{bottom}"/>',
        f'<text class="tick" x="{_LEFT - 6}" y="{y(high) + 4:.1f}" text-anchor="end">{high}</text>',
        f'<text class="tick" x="{_LEFT - 6}" y="{y(low):.1f}" text-anchor="end">{low}</text>',
        f'<text class="tick" x="{_LEFT}" y="{_HEIGHT - 8}">{start:%Y-%m-%d}</text>',
        f'<text class="tick" x="{_WIDTH - _RIGHT}" y="{_HEIGHT - 8}" '
        f'text-anchor="end">{end:%Y-%m-%d}</text>',
    ]
