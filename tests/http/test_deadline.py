"""The per-exchange deadline: one watchdog thread cuts the connection of whichever exchange runs late."""

from __future__ import annotations

import socket
from types import SimpleNamespace

from governance_pipeline.http.deadline import Watch


def _blocked_read(watch: Watch) -> bytes:
    """Attach one end of a socket pair to ``watch`` and block reading it (bounded by a socket timeout)."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.settimeout(30)
        watch.attach(SimpleNamespace(sock=ours))
        return ours.recv(1)  # b"" once the watchdog shut the socket down


def test_a_short_deadline_fires_while_a_long_one_is_pending():
    with Watch(3600) as long:
        with Watch(0.2) as short:
            assert _blocked_read(short) == b""
        assert short.expired
    assert not long.expired


def test_deadlines_still_fire_after_many_finished_exchanges():
    for _ in range(500):
        with Watch(3600):
            pass
    with Watch(0.2) as late:
        assert _blocked_read(late) == b""
    assert late.expired
