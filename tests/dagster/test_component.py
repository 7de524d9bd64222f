"""The pipeline as a Dagster component: a ``dg`` project adds it with a ``defs.yaml`` naming a sources file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import dagster as dg
from governance_pipeline.component import GovernancePipeline

BIN = Path(sys.executable).parent
SOURCES = """
sources:
  - id: team_files
    type: local_ndjson
    startDate: "2026-10-01"
    config:
      path: {inbox}
      eventMapping: {{source_event_id: $.id, event_timestamp: $.ts, actor: $.who}}
"""


def _project(root: Path) -> Path:
    """A minimal dg project ``ai_audit`` whose defs folder holds one component instance."""
    (root / "inbox").mkdir()
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [project]
            name = "ai_audit"
            version = "0.1.0"

            [tool.dg]
            directory_type = "project"

            [tool.dg.project]
            root_module = "ai_audit"
            """
        )
    )
    pkg = root / "ai_audit"
    (pkg / "defs" / "governance").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "defs" / "__init__.py").write_text("")
    (pkg / "definitions.py").write_text(
        textwrap.dedent(
            """
            from pathlib import Path

            import dagster as dg


            @dg.definitions
            def defs():
                return dg.load_from_defs_folder(path_within_project=Path(__file__).parent.parent)
            """
        )
    )
    (pkg / "defs" / "governance" / "sources.yaml").write_text(SOURCES.format(inbox=root / "inbox"))
    (pkg / "defs" / "governance" / "defs.yaml").write_text(
        "type: governance_pipeline.component.GovernancePipeline\nattributes:\n  sources_file: sources.yaml\n"
    )
    return root


def _dg(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", PYTHONPATH=str(cwd))
    env.pop("GOVERNANCE_SOURCES", None)
    return subprocess.run(
        [str(BIN / "dg"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_component_builds_the_pipeline_from_its_sources_file(tmp_path, monkeypatch):
    root = _project(tmp_path)
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.delenv("GOVERNANCE_SOURCES", raising=False)
    defs = dg.load_from_defs_folder(path_within_project=root / "ai_audit")
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"events/team_files", "governance_kpis", "governance_ocsf_events", "governance_report"} <= keys
    assert defs.resolve_job_def("pull_team_files") is not None


def test_a_missing_sources_file_is_a_clear_error(tmp_path):
    component = GovernancePipeline(sources_file=str(tmp_path / "nope.yaml"))
    with pytest.raises(Exception, match=r"nope\.yaml: cannot read"):
        component.load_sources(tmp_path)


@pytest.mark.skipif(shutil.which("dg", path=str(BIN)) is None, reason="dagster-dg-cli is not installed (dev extra)")
def test_dg_lists_and_checks_the_defs_of_a_project_using_the_component(tmp_path):
    root = _project(tmp_path)
    listed = _dg(["list", "defs", "--json"], root)
    assert listed.returncode == 0, listed.stderr[-3000:]
    doc = json.loads(listed.stdout[listed.stdout.index("{") :])
    assets = {a["asset_key"] for a in doc["assets"]}
    assert {"events/team_files", "governance_kpis", "governance_ocsf_events"} <= assets
    assert "pull_team_files" in {j["name"] for j in doc["jobs"]}
    checked = _dg(["check", "defs"], root)
    assert checked.returncode == 0, checked.stderr[-3000:]
    components = _dg(["list", "components", "--json"], root)
    assert "governance_pipeline.component.GovernancePipeline" in components.stdout
