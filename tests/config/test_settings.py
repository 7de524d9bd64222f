"""Settings read from the environment: the pull's worker processes follow the cores this process may use."""

from __future__ import annotations

import os

import pytest

from governance_pipeline.settings import pull_workers, usable_cores

AFFINITY = len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    ("cpu_max", "expected"),
    [
        ("max 100000\n", AFFINITY),  # no limit
        ("50000 100000\n", 1),  # half a core: one, never zero
        ("150000 100000\n", 1),  # 1.5 cores: whole cores only
        (f"{AFFINITY * 100000 * 8} 100000\n", AFFINITY),  # a quota above the cores there are
        (None, AFFINITY),  # no cgroup v2 CPU controller
        ("garbage", AFFINITY),
    ],
)
def test_a_container_cpu_limit_caps_the_cores(tmp_path, cpu_max, expected):
    path = tmp_path / "cpu.max"
    if cpu_max is not None:
        path.write_text(cpu_max)
    assert usable_cores(path) == expected


def test_pull_workers_from_the_environment(monkeypatch):
    monkeypatch.setenv("GOVERNANCE_PULL_WORKERS", "3")
    assert pull_workers() == 3
    monkeypatch.setenv("GOVERNANCE_PULL_WORKERS", "0")
    assert pull_workers() == 1
    monkeypatch.setenv("GOVERNANCE_PULL_WORKERS", "many")
    with pytest.raises(ValueError, match="GOVERNANCE_PULL_WORKERS must be a whole number, got 'many'"):
        pull_workers()
    monkeypatch.delenv("GOVERNANCE_PULL_WORKERS")
    assert 1 <= pull_workers() == min(4, usable_cores()) <= 4
