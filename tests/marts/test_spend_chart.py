"""The report's spend chart has a true date axis: a bar's position is its date, not its rank."""

from __future__ import annotations

import re
from datetime import date

from governance_pipeline.marts.report_html import spend_chart

DAILY = [
    (date(2026, 10, 1), 0.5, 10, 0),
    (date(2026, 10, 2), 0.25, 4, 1),
    (date(2026, 11, 23), 1.0, 20, 0),
]


def _bars(svg: str) -> list[tuple[float, float]]:
    """(x, width) of the spend bars, in date order."""
    return [
        (float(x), float(w))
        for x, w in re.findall(r'<rect class="spend" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    ]


def test_bars_stand_at_their_dates_across_two_months():
    svg = spend_chart(DAILY, width=1000)
    (x1, w1), (x2, _), (x3, _) = _bars(svg)
    days = (date(2026, 11, 23) - date(2026, 10, 1)).days + 1  # 54 days on the axis
    step = 1000 / days
    assert abs((x2 - x1) - step) < 0.01, "consecutive days are one day apart"
    assert abs((x3 - x1) - 53 * step) < 0.01, "2026-11-23 is 53 days after 2026-10-01"
    assert w1 < 1000 / 3, "a bar is one day wide, not a third of the chart"


def test_month_ticks_label_the_axis():
    svg = spend_chart(DAILY, width=1000)
    assert ">Oct 2026<" in svg and ">Nov 2026<" in svg
    nov = re.search(r'<line class="tick" x1="([\d.]+)"[^>]*/><text[^>]*>Nov 2026<', svg)
    assert nov is not None and abs(float(nov.group(1)) - 31 * 1000 / 54) < 0.01


def test_days_given_as_text_work_too():
    svg = spend_chart([("2026-10-01", 0.5, 1, 0), ("2026-10-03", 0.5, 1, 0)], width=300)
    (x1, _), (x2, _) = _bars(svg)
    assert abs((x2 - x1) - 200) < 0.01
