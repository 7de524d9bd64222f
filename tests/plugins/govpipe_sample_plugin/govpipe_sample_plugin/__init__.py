"""``static_events``: a plug-in source type whose events are listed in its config (one per item).

The smallest plug-in the README describes: a pydantic ``Config``, ``run_once(cursor, window)`` returning normalized
events as dicts, and registration through the ``governance_pipeline.adapters`` entry point group. The cursor is the
number of listed events already returned, so a second pull returns only items added since.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from governance_pipeline.adapters import Adapter, PullResult, Window


class StaticEventsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[dict[str, Any]] = Field(min_length=1)


class StaticEventsAdapter(Adapter):
    type_name = "static_events"
    Config = StaticEventsConfig
    trigger = "none"

    def run_once(self, cursor: str | None, window: Window | None = None) -> PullResult:
        done = 0 if window is not None or cursor is None else int(cursor)
        events = [dict(e) for e in self.config.events[done:]]
        return PullResult(events=events, cursor=str(len(self.config.events)))
