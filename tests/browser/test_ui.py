"""The Dagster UI as a person uses it, in Chromium: lineage, partitions with real gaps, freshness, checks and
automation, a backfill launched by a click, the report.

One demo-like instance for the module, pulled with ``govpipe pull``: an HTTP audit source (events on 2 of its 10
complete days), a folder source (no watermark: only the days it wrote), a ``copilot_studio`` source starting 12 days
back against the fake Management Activity API (which keeps 7 days: the older days are real gaps) and a silent
folder source whose ``freshness`` allows 1 minute; the marts and the report built with ``govpipe marts``;
``dagster-webserver`` and ``dagster-daemon`` (backfills, freshness) on loopback.
``GOVPIPE_SCREENSHOTS=<dir>`` keeps the screenshots there (docs/img/partitions.png, freshness.png and automation.png come from it).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from governance_pipeline.adapters.copilot_studio import RETENTION
from governance_pipeline.demo.fakes.vendors import MicrosoftManagementApi
from tests.conftest import FIXTURES, REPO
from tests.support.http import Response, serve

BIN = Path(sys.executable).parent
TODAY = datetime.now(UTC).date()


def day(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


AUDIT_EVENTS = [
    {"id": f"a{i}", "at": f"{d}T{10 + i}:00:00Z", "who": f"user{i % 2}@example.com", "model": "gpt-4o", "cost": 0.02}
    for i, d in enumerate([day(8), day(8), day(3)])
]
FILE_EVENTS = [
    {"id": f"f{i}", "ts": f"{d}T09:00:00Z", "user": {"email": "ops@example.com"}, "model": "claude-3-5", "cost": 0.5}
    for i, d in enumerate([day(9), day(6), day(2)])
]
BACKFILL = (day(5), day(3))  # three days the folder source never wrote
COPILOT_DAYS = (4, 4, 2)  # Copilot interactions 4 and 2 days ago; the other days in the API's 7 days are quiet
QUIET_EVENTS = [{"id": "q0", "ts": f"{day(4)}T08:00:00Z", "user": {"email": "ops@example.com"}, "model": "gpt-4o"}]
MS_SECRET = "ms-secret-browser-1"


def _audit(req):
    if req.headers.get("authorization") != "Bearer tok-browser-1":
        return Response(401, {"error": "unauthorized"})
    since, until = req.q("since"), req.q("until")
    if since:
        return Response(200, {"events": [e for e in AUDIT_EVENTS if since <= e["at"] < until], "next_cursor": None})
    return Response(200, {"events": [] if req.q("cursor") else AUDIT_EVENTS, "next_cursor": "done"})


def _copilot_api(folder: Path) -> MicrosoftManagementApi:
    """The fake Management Activity API serving two content blobs of Copilot interactions dated this week."""
    folder.mkdir()
    (folder / "content_list.json").write_text((FIXTURES / "copilot" / "content_list.json").read_text())
    template = json.loads((FIXTURES / "copilot" / "records.json").read_text())[0]
    records = [
        dict(template, Id=f"copilot-{i}", CreationTime=f"{day(n)}T{9 + i}:15:00") for i, n in enumerate(COPILOT_DAYS)
    ]
    (folder / "records.json").write_text(json.dumps(records[:2]))
    (folder / "records_2.json").write_text(json.dumps(records[2:]))
    return MicrosoftManagementApi(folder, MS_SECRET, ages=(timedelta(days=3, hours=12), timedelta(days=1, hours=12)))


def _ndjson_source(source_id: str, folder: Path, **entry) -> dict:
    mapping = {"source_event_id": "$.id", "event_timestamp": "$.ts", "actor": "$.user.email", "target": "$.model"}
    return {
        "id": source_id,
        "type": "local_ndjson",
        "startDate": day(10),
        **entry,
        "config": {"path": str(folder), "eventMapping": dict(mapping, cost_usd="$.cost")},
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer: {log.read_text()[-2000:]}")


def _run(cmd: list[str], env: dict) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.fixture(scope="module")
def ui(tmp_path_factory, browser):
    root = tmp_path_factory.mktemp("ui")
    inbox, quiet = root / "inbox", root / "quiet"
    inbox.mkdir()
    quiet.mkdir()
    (inbox / "a.ndjson").write_text("".join(json.dumps(e) + "\n" for e in FILE_EVENTS))
    (quiet / "a.ndjson").write_text("".join(json.dumps(e) + "\n" for e in QUIET_EVENTS))
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    copilot = _copilot_api(root / "copilot_api")
    with serve(_audit) as (base, _), serve(copilot) as (ms_base, _):
        copilot.url = ms_base
        sources = {
            "credentials": {
                "audit": {"token": "tok-browser-1"},
                "ms": {"tenantId": "t-browser", "clientId": "app-browser", "clientSecret": {"env": "MS_SECRET"}},
            },
            "sources": [
                # pulled first: by the time the UI is up, its one minute of freshness has run out
                _ndjson_source("quiet_drop", quiet, freshness={"maxLagMinutes": 1}),
                {
                    "id": "acme_audit",
                    "type": "http_polling",
                    "startDate": day(10),
                    "config": {
                        "url": f"{base}/audit",
                        "authMode": "bearer",
                        "headers": {"Authorization": "Bearer ${{credentials.token}}"},
                        "credentialRef": "audit",
                        "params": {"since": "${{window.start}}", "until": "${{window.end}}"},
                        "cursorJsonPath": "$.next_cursor",
                        "eventsJsonPath": "$.events",
                        "schedule": "0 0 1 1 *",
                        "eventMapping": {
                            "source_event_id": "$.id",
                            "event_timestamp": "$.at",
                            "actor": "$.who",
                            "target": "$.model",
                            "cost_usd": "$.cost",
                        },
                    },
                },
                _ndjson_source("team_files", inbox),
                {
                    "id": "copilot",
                    "type": "copilot_studio",
                    "startDate": day(12),
                    "config": {
                        "credentialRef": "ms",
                        "baseUrl": ms_base,
                        "authUrl": ms_base,
                        "schedule": "0 0 1 1 *",
                    },
                },
            ],
        }
        (root / "sources.yaml").write_text(yaml.safe_dump(sources))
        env = dict(
            os.environ,
            DAGSTER_HOME=str(home),
            GOVERNANCE_SOURCES=str(root / "sources.yaml"),
            GOVERNANCE_LAKE=str(root / "lake"),
            GOVERNANCE_DUCKDB=str(root / "governance.duckdb"),
            GOVERNANCE_REPORTS=str(root / "reports"),
            MS_SECRET=MS_SECRET,
            FRESHNESS_DAEMON_INTERVAL_SECONDS="5",
        )
        for source_id in ("quiet_drop", "acme_audit", "team_files"):
            _run([str(BIN / "govpipe"), "pull", source_id], env)
        copilot_pulled = datetime.now(UTC)
        _run([str(BIN / "govpipe"), "pull", "copilot"], env)
        _run([str(BIN / "govpipe"), "marts", "build"], env)
        report = Path(_run([str(BIN / "govpipe"), "marts", "report"], env).strip().splitlines()[-1])
        port = _free_port()
        web_log, daemon_log = root / "webserver.log", root / "daemon.log"
        procs = []
        try:
            with web_log.open("wb") as wl, daemon_log.open("wb") as dl:
                procs.append(
                    subprocess.Popen(
                        [str(BIN / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                        cwd=REPO,
                        env=env,
                        stdout=wl,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
                procs.append(
                    subprocess.Popen(
                        [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
                        cwd=REPO,
                        env=env,
                        stdout=dl,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            url = f"http://127.0.0.1:{port}"
            _wait_http(f"{url}/server_info", procs[0], web_log)
            yield {"url": url, "report": report, "root": root, "env": env, "copilot_pulled": copilot_pulled}
        finally:
            for proc in procs:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def page(browser):
    page = browser.new_page()
    yield page
    page.close()


def _open(page, url: str) -> None:
    page.goto(url, wait_until="networkidle", timeout=60_000)
    skip = page.get_by_role("button", name="Skip")  # the first-visit newsletter dialog
    if skip.count():
        skip.click()


def _partition_counts(page) -> dict[str, int]:
    text = page.inner_text("body")
    return {k: int(v) for k, v in re.findall(r"(Materialized|Missing|Failed) \((\d+)\)", text)}


def test_lineage_shows_every_source_and_mart(ui, page):
    # the report's upstream lineage: the report, both marts and every source asset; the graph is zoomed to fit,
    # so the page is made tall enough for four sources to keep their labels whole
    page.set_viewport_size({"width": 1600, "height": 1300})
    _open(page, f"{ui['url']}/assets/governance_report?view=lineage&lineageScope=upstream&lineageDepth=3")
    names = ("acme_audit", "team_files", "copilot", "quiet_drop", "governance_kpis", "governance_ocsf_events")
    for name in (*names, "governance_report"):
        page.get_by_text(name, exact=True).first.wait_for(timeout=30_000)


def test_partition_view_shows_every_complete_day_and_leaves_today_open(ui, page):
    _open(page, f"{ui['url']}/assets/events/acme_audit?view=partitions")
    page.get_by_text("Materialized (10)").wait_for(timeout=30_000)
    assert _partition_counts(page) == {"Failed": 0, "Materialized": 10, "Missing": 1}
    # the quiet days are materialized too, with rows=0
    page.get_by_text(day(5), exact=True).first.click()
    page.get_by_text("dagster/row_count").first.wait_for(timeout=30_000)


def _screenshot(page, ui, name: str) -> None:
    shots = os.environ.get("GOVPIPE_SCREENSHOTS")
    target = Path(shots) if shots else ui["root"]
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / name))


def test_partition_view_shows_the_days_past_a_sources_retention_as_gaps(ui, page):
    """copilot starts 12 days back but its API keeps 7: the days it could never read stay missing (real gaps),
    the days it read are materialized, quiet ones with rows 0, and today is open."""
    edge = ui["copilot_pulled"] - RETENTION  # the API served nothing older than this to the pull
    first_full = (edge - timedelta(microseconds=1)).date() + timedelta(days=1)
    read = (TODAY - first_full).days  # the complete days it read: first_full .. yesterday
    _open(page, f"{ui['url']}/assets/events/copilot?view=partitions")
    page.get_by_text(f"Materialized ({read})").wait_for(timeout=30_000)
    assert _partition_counts(page) == {"Failed": 0, "Materialized": read, "Missing": 13 - read}
    page.get_by_text(day(3), exact=True).first.click()  # a quiet day inside the window: rows 0
    page.get_by_text("dagster/row_count").first.wait_for(timeout=30_000)
    _screenshot(page, ui, "partitions.png")


def _freshness(page, ui, source_id: str, wanted: str) -> str:
    """The freshness state in the asset's status row, once the freshness daemon has evaluated it as ``wanted``."""
    _open(page, f"{ui['url']}/assets/events/{source_id}")
    deadline = time.monotonic() + 150
    state = ""
    while time.monotonic() < deadline:
        found = re.search(r"Freshness policy\s+(\w+)\s+Last materialized", page.inner_text("body"))
        state = found.group(1) if found else ""
        if state == wanted:
            break
        page.wait_for_timeout(2_000)
        page.reload(wait_until="networkidle")
    return state


def test_a_silent_source_shows_its_freshness_failed_in_red_and_in_sources_list(ui, page):
    """quiet_drop was pulled once, before the UI started, and its freshness allows one minute: it is overdue."""
    assert _freshness(page, ui, "quiet_drop", "Failed") == "Failed"
    tag = page.get_by_text("Failed", exact=True).first
    red, green, blue = map(int, re.findall(r"\d+", tag.evaluate("e => getComputedStyle(e).color"))[:3])
    assert red > 2 * green and red > 2 * blue, "the failed freshness state is shown in red"
    _screenshot(page, ui, "freshness.png")
    listed = {r["id"]: r for r in json.loads(_run([str(BIN / "govpipe"), "sources", "list", "--json"], ui["env"]))}
    assert listed["quiet_drop"]["fresh"] is False and listed["quiet_drop"]["freshness"] == {"maxLagMinutes": 1}
    assert listed["acme_audit"]["fresh"] is True  # 120 minutes by default for http_polling
    table = _run([str(BIN / "govpipe"), "sources", "list"], ui["env"])
    assert re.search(r"quiet_drop .* STALE ", table) and re.search(r"acme_audit .* yes ", table), table


def test_a_source_within_its_freshness_shows_it_passing(ui, page):
    assert _freshness(page, ui, "acme_audit", "Passing") == "Passing"  # pulled minutes ago; 120 allowed


def test_a_three_day_backfill_launched_from_the_ui_completes(ui, page):
    url = f"{ui['url']}/assets/events/team_files?view=partitions"
    _open(page, url)
    page.get_by_text("Materialized (3)").wait_for(timeout=30_000)
    page.get_by_text(re.compile(r"^Materialize")).first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Custom").click()
    box = dialog.locator("input").first
    box.fill(f"[{BACKFILL[0]}...{BACKFILL[1]}]")
    box.press("Enter")
    dialog.get_by_text("3 partitions").wait_for(timeout=10_000)
    dialog.get_by_role("button", name="Launch backfill").click()
    dialog.wait_for(state="hidden", timeout=30_000)
    deadline = time.monotonic() + 100
    while time.monotonic() < deadline:
        page.reload(wait_until="networkidle")
        if _partition_counts(page).get("Materialized") == 6:
            break
        page.wait_for_timeout(2_000)
    assert _partition_counts(page) == {"Failed": 0, "Materialized": 6, "Missing": 5}


def test_the_report_renders_its_charts(ui, page):
    page.goto(ui["report"].as_uri())
    page.get_by_text("Spend per day").wait_for()
    bars = page.locator("svg[aria-label='spend per day'] rect.spend")
    assert bars.count() == 6  # one per day with events: day 9, 8, 6, 4 (copilot, quiet_drop), 3, 2
    box = page.locator("svg[aria-label='spend per day']").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 40
    xs = sorted(float(bars.nth(i).get_attribute("x")) for i in range(bars.count()))
    # a date axis: day 9 -> day 8 is one slot, day 6 -> day 4 two slots
    slot = xs[1] - xs[0]
    assert abs((xs[3] - xs[2]) - 2 * slot) < 0.01


def test_the_partitioned_checks_and_the_marts_automation_appear_in_the_ui(ui, page):
    """A source's uniqueness check (evaluated per day by its pulls) and a mart's per-day sums check are listed on
    their Checks tabs; a mart shows its automation condition, and the automation sensor is running."""
    _open(page, f"{ui['url']}/assets/events/acme_audit?view=checks")
    page.get_by_text("unique_source_event_id").first.wait_for(timeout=30_000)
    _open(page, f"{ui['url']}/assets/governance_kpis?view=checks")
    page.get_by_text("kpis_sums_match_lake_daily").first.wait_for(timeout=30_000)
    _open(page, f"{ui['url']}/assets/governance_kpis")
    page.get_by_text("after new data").first.wait_for(timeout=30_000)
    _screenshot(page, ui, "automation.png")
    _open(page, f"{ui['url']}/automation")
    page.get_by_text("governance_automation").first.wait_for(timeout=30_000)
