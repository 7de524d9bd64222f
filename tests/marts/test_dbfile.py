"""Analysts can open the marts file read-only while a build runs (write-to-copy, then atomic swap)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import duckdb
import pytest

from governance_pipeline.marts.dbfile import connect_read_only, write_session
from tests.conftest import REPO

HOLD_SESSION = textwrap.dedent("""
    import sys
    import duckdb
    from governance_pipeline.marts.dbfile import write_session
    path, mode = sys.argv[1], sys.argv[2]
    if mode == "session":
        with write_session(path) as con:
            con.execute("INSERT INTO t VALUES ('v2')")
            print("building", flush=True)
            sys.stdin.readline()
    else:  # a plain read-write connection, held open: what write_session avoids
        con = duckdb.connect(path)
        con.execute("INSERT INTO t VALUES ('v2')")
        print("building", flush=True)
        sys.stdin.readline()
        con.close()
""")


def _values(path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT v FROM t ORDER BY v").fetchall()]
    finally:
        con.close()


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "governance.duckdb"
    with write_session(path) as con:
        con.execute("CREATE TABLE t (v VARCHAR); INSERT INTO t VALUES ('v1')")
    return path


def _hold(path, mode):
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_SESSION, str(path), mode],
        cwd=REPO,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout.readline().strip() == "building", proc.stderr.read()
    return proc


def _release(proc):
    proc.stdin.write("\n")
    proc.stdin.flush()
    assert proc.wait(timeout=60) == 0, proc.stderr.read()


def test_reader_in_another_process_works_during_a_build(db):
    proc = _hold(db, "session")
    try:
        assert _values(db) == ["v1"]  # the published version, readable mid-build
        held = duckdb.connect(str(db), read_only=True)
    finally:
        _release(proc)
    assert held.execute("SELECT count(*) FROM t").fetchone()[0] == 1  # an open reader keeps its snapshot
    # (DuckDB shares one instance per path inside a process, so a fresh reader needs the old one closed)
    held.close()
    assert _values(db) == ["v1", "v2"]  # published atomically at the end
    assert sorted(p.name for p in db.parent.iterdir()) == ["governance.duckdb", "governance.duckdb.lock"]


def test_a_plain_read_write_connection_would_lock_readers_out(db):
    """The control: this is the failure write_session exists to avoid."""
    proc = _hold(db, "plain")
    try:
        with pytest.raises(duckdb.IOException):
            duckdb.connect(str(db), read_only=True)
    finally:
        _release(proc)


def test_a_failed_build_publishes_nothing(db):
    with pytest.raises(RuntimeError), write_session(db) as con:
        con.execute("INSERT INTO t VALUES ('broken')")
        raise RuntimeError("build failed")
    assert _values(db) == ["v1"]
    assert not [p for p in db.parent.iterdir() if p.name.endswith(".building")]
    con = connect_read_only(db)
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 1
    con.close()


def test_readers_poll_successfully_through_real_builds(tmp_path):
    from tests.marts.lakes import ndjson_records, pull_ndjson

    lake = str(tmp_path / "lake")
    pull_ndjson(lake, tmp_path / "inbox", ndjson_records(5, 40))
    db = tmp_path / "governance.duckdb"
    from governance_pipeline.marts.build import build_marts

    build_marts(db, lake)
    script = (
        "import sys; from governance_pipeline.marts.build import build_marts\n"
        "for _ in range(3): build_marts(sys.argv[1], sys.argv[2])"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(db), lake], cwd=REPO, stderr=subprocess.PIPE)
    opened = 0
    while proc.poll() is None:
        con = duckdb.connect(str(db), read_only=True)  # raises if any build held the file
        assert con.execute("SELECT count(*) FROM governance_ocsf_events").fetchone()[0] == 200
        con.close()
        opened += 1
    assert proc.returncode == 0, proc.stderr.read()
    assert opened > 3
