"""``process_map``: results in order from worker processes; a failure in ``fn`` reaches the caller unchanged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from governance_pipeline.process_map import process_map


def square_and_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def fail_on_three(n: int) -> int:
    if n == 3:
        raise ValueError("three")
    return n


def test_results_arrive_in_order_from_other_processes():
    results = list(process_map(square_and_pid, list(range(20)), workers=2))
    assert [r for r, _ in results] == [n * n for n in range(20)]
    assert os.getpid() not in {pid for _, pid in results}


def test_an_exception_in_fn_reaches_the_caller_after_the_earlier_results():
    got = []
    with pytest.raises(ValueError, match="three"):
        for r in process_map(fail_on_three, list(range(6)), workers=2):
            got.append(r)
    assert got == [0, 1, 2]


def pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_workers_exit_when_the_process_that_started_them_is_killed(tmp_path):
    """A SIGKILLed run cannot shut its pool down: its workers must not linger (each holds a few hundred MB)."""
    script = tmp_path / "parent.py"
    script.write_text(
        "import sys\n"
        "from governance_pipeline.process_map import process_map\n"
        "from tests.test_process_map import pid_after\n"
        "if __name__ == '__main__':\n"
        "    for pid in process_map(pid_after, [0.0, 0.0] + [60.0] * 8, workers=2):\n"
        "        print(pid, flush=True)\n"
    )
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root}
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=root, env=env)
    try:
        workers = {int(parent.stdout.readline()) for _ in range(2)}
        assert all(_alive(pid) for pid in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 30  # a liveness bound, not a performance figure: they exit within a second
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers)
    finally:
        parent.kill()
        parent.wait()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_workers_that_cannot_start_leave_the_work_to_this_process(monkeypatch, caplog):
    from concurrent.futures import ProcessPoolExecutor

    def no_process(self, fn, /, *args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")  # what fork/spawn raise when no process can start

    monkeypatch.setattr(ProcessPoolExecutor, "submit", no_process)
    results = list(process_map(square_and_pid, list(range(5)), workers=2))
    assert [r for r, _ in results] == [0, 1, 4, 9, 16]
    assert {pid for _, pid in results} == {os.getpid()}
    assert "could not start" in caplog.text
