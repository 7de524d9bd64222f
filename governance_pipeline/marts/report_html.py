"""Render the governance report: one self-contained HTML page (inline CSS and SVG; no script, no CDN)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

from governance_pipeline.marts.health import SourceHealth
from governance_pipeline.marts.report_data import ReportData

CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1f2933;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}small{color:#616e7c}
table{border-collapse:collapse;width:100%}th,td{padding:4px 8px;border-bottom:1px solid #e4e7eb;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{border:1px solid #e4e7eb;border-radius:6px;padding:8px 14px;min-width:120px}.card b{display:block;font-size:18px}
.bar{background:#3e7bfa;height:10px;display:inline-block;border-radius:2px}
.s-active{color:#0f7b3a}.s-error{color:#c0392b;font-weight:600}.s-awaiting_first_event{color:#8a6d00}"""


def _n(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _usd(value: float | None) -> str:
    return "–" if value is None else f"${value:,.2f}" if abs(value) >= 1 else f"${value:,.4f}"


def _table(headers: list[str], rows: Iterable[list[str]], numeric: set[int]) -> str:
    head = "".join(f"<th{' class=n' if i in numeric else ''}>{escape(h)}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td{' class=n' if i in numeric else ''}>{c}</td>" for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body or '<tr><td colspan=9><small>no data</small></td></tr>'}</table>"


def _as_date(day: object) -> date:
    return day if isinstance(day, date) else date.fromisoformat(str(day)[:10])


def _month_starts(first: date, last: date) -> list[date]:
    """The first day of every month whose start lies in ``[first, last]``, plus ``first`` itself."""
    out = [first]
    month = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    while month <= last:
        out.append(month)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return out


def spend_chart(daily: list[tuple[Any, ...]], width: int = 1000, height: int = 180) -> str:
    """Daily spend as an inline SVG bar chart on a date axis: one slot per calendar day from the first to the
    last day with events (a day without events is an empty slot), month ticks, errors as a red tick."""
    if not daily:
        return "<p><small>no events yet</small></p>"
    days = [_as_date(row[0]) for row in daily]
    first, last = min(days), max(days)
    step = width / ((last - first).days + 1)
    top = max(float(c or 0) for _, c, _, _ in daily) or 1.0
    base = height - 20
    bars = []
    for day, (_, cost, events, errors) in zip(days, daily, strict=True):
        h = max(1.0, (float(cost or 0) / top) * (height - 36))
        x = (day - first).days * step
        bar_w = max(step - 2, 1) if step > 3 else max(step, 0.5)
        title = f"{day}: {_usd(cost)}, {events:,} events, {errors:,} errors"
        bars.append(
            f'<rect class="spend" x="{x + (1 if step > 3 else 0):.2f}" y="{base - h:.2f}" width="{bar_w:.2f}" '
            f'height="{h:.2f}" fill="#3e7bfa"><title>{escape(title)}</title></rect>'
        )
        if errors:
            bars.append(
                f'<rect x="{x + (1 if step > 3 else 0):.2f}" y="{base - 4 - h:.2f}" width="{bar_w:.2f}" height="3" '
                'fill="#c0392b"/>'
            )
    ticks = []
    for tick in _month_starts(first, last):
        x = (tick - first).days * step
        label = tick.strftime("%b %Y") if tick.day == 1 or tick == first else tick.isoformat()
        anchor = "end" if x > width - 60 else "start"
        ticks.append(
            f'<line class="tick" x1="{x:.2f}" y1="{base}" x2="{x:.2f}" y2="{base + 5}" stroke="#616e7c"/>'
            f'<text x="{x + (2 if anchor == "start" else -2):.2f}" y="{height - 4}" font-size="11" '
            f'text-anchor="{anchor}">{escape(label)}</text>'
        )
    axis = f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="#9aa5b1"/>'
    heading = (
        f'<text x="0" y="12" font-size="11">max {escape(_usd(top))}/day</text>'
        f'<text x="{width}" y="12" font-size="11" text-anchor="end">{escape(first.isoformat())} .. '
        f"{escape(last.isoformat())}</text>"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="spend per day">{axis}{"".join(bars)}{"".join(ticks)}{heading}</svg>'
    )


def _bar(value: float | None, top: float) -> str:
    width = 0 if not top else max(1, int(120 * float(value or 0) / float(top)))
    return f'<span class="bar" style="width:{width}px"></span>'


def render_report(data: ReportData, health: list[SourceHealth]) -> str:
    t = data.totals
    cards = "".join(
        f'<div class="card"><small>{escape(k)}</small><b>{v}</b></div>'
        for k, v in [
            ("spend", _usd(t.get("cost_usd", 0))),
            ("events", _n(t.get("events", 0))),
            ("users", _n(t.get("users", 0))),
            ("tokens in", _n(t.get("tokens_input", 0))),
            ("tokens out", _n(t.get("tokens_output", 0))),
            ("of which cache reads", _n(t.get("tokens_cache_read", 0))),
            ("unpriced events", _n(t.get("unpriced_events", 0))),
            ("unpriced tokens", _n(t.get("unpriced_tokens", 0))),
            ("content redacted", _n(t.get("redacted_events", 0))),
            ("errors", _n(t.get("errors", 0))),
            ("sources", _n(t.get("sources", 0))),
        ]
    )
    top_u = max((r[1] or 0 for r in data.top_users), default=0)
    users = _table(
        ["user", "spend", "", "tokens in", "tokens out", "events"],
        ([escape(str(a)), _usd(c), _bar(c, top_u), _n(ti), _n(to), _n(e)] for a, c, ti, to, e in data.top_users),
        {1, 3, 4, 5},
    )
    top_m = max((r[2] or 0 for r in data.top_models), default=0)
    models = _table(
        ["model", "provider", "spend", "", "tokens in", "tokens out", "events"],
        (
            [escape(str(m)), escape(str(p or "")), _usd(c), _bar(c, top_m), _n(ti), _n(to), _n(e)]
            for m, p, c, ti, to, e in data.top_models
        ),
        {2, 4, 5, 6},
    )
    latency = _table(
        ["source", "model", "p50 ms", "p95 ms", "events timed"],
        ([escape(s), escape(m), _n(p50, 1), _n(p95, 1), _n(n)] for s, m, p50, p95, n in data.latency),
        {2, 3, 4},
    )
    anomalies = _table(
        ["scope", "key", "date", "spend", "trailing 7-day mean"],
        ([escape(s), escape(str(k)), escape(str(d)), _usd(c), _usd(m)] for s, k, d, c, m in data.anomalies),
        {3, 4},
    )
    unpriced = _table(
        ["source", "model", "events", "tokens"],
        ([escape(str(s)), escape(str(m)), _n(e), _n(n)] for s, m, e, n in data.unpriced),
        {2, 3},
    )
    sources = _table(
        ["source", "type", "status", "last event", "events", "errors", "errors (7 d)", "quarantined files", "detail"],
        (
            [
                escape(h.source_id),
                escape(h.source_type or ""),
                f'<span class="s-{escape(h.status)}">{escape(h.status)}</span>',
                escape(str(h.last_event_at or "never")),
                _n(h.events),
                _n(h.errors),
                _n(h.errors_7d),
                _n(h.quarantine_files),
                escape(h.detail),
            ]
            for h in health
        ),
        {4, 5, 6, 7},
    )
    span = f"{t.get('first_date', '–')} to {t.get('last_date', '–')}"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>AI governance report</title>
<style>{CSS}</style></head><body>
<h1>AI governance report</h1><small>generated {escape(data.generated_at.isoformat(timespec="seconds"))}; events {escape(span)}</small>
<div class="cards">{cards}</div>
<h2>Spend per day</h2>{spend_chart(data.daily)}
<h2>Sources</h2>{sources}
<h2>Top users by spend</h2>{users}
<h2>Top models by spend</h2>{models}
<h2>Unpriced usage</h2><small>tokens no price is known for (cost counted as 0): add the model under
<code>pricing:</code> in the sources file</small>{unpriced}
<h2>Latency</h2>{latency}
<h2>Spend anomalies</h2>{anomalies}
</body></html>"""


def write_report(html: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path
