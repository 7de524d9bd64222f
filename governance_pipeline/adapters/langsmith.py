"""``langsmith``: datasets, examples and runs from the LangSmith REST API.

Runs become governance events (``llm`` runs by default) in the normal lake, upserted by run id because a
run changes after it starts; the pull also writes the ``langsmith_dataset``/``langsmith_example``/
``langsmith_run`` Parquet tables under ``<lake>/langsmith/`` before the cursor can be committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field, field_validator

from governance_pipeline.adapters.base import Adapter, Batch, Window
from governance_pipeline.config.models import StrictModel
from governance_pipeline.http.client import RetryPolicy
from governance_pipeline.lake.schema import EVENT_SCHEMA
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.langsmith.api import DEFAULT_BASE_URL, LangSmithApi
from governance_pipeline.langsmith.cursor import SyncCursor
from governance_pipeline.langsmith.rest_sync import SyncOptions, SyncStats, sync
from governance_pipeline.langsmith.table_store import TableWriter

RunType = Literal["llm", "tool", "chain", "retriever", "embedding", "prompt", "parser"]


class LangSmithConfig(StrictModel):
    credentialRef: str = Field(min_length=1)
    baseUrl: str = DEFAULT_BASE_URL
    pageSize: int = Field(default=100, ge=1, le=100)
    syncExamples: bool = True
    syncRuns: bool = True
    schedule: str | None = "*/15 * * * *"
    lookbackHours: float = Field(default=24.0, ge=0)
    maxOpenRunDays: float = Field(default=7.0, ge=0)
    eventRunTypes: list[RunType] = Field(default_factory=lambda: list[RunType](["llm"]), min_length=1)
    timeoutSec: float = Field(default=60.0, gt=0)
    maxAttempts: int = Field(default=6, ge=1, le=20)
    backoffBaseSec: float = Field(default=0.5, ge=0)

    @field_validator("baseUrl")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError(
                "must be an http(s) URL, e.g. https://api.smith.langchain.com or https://eu.api.smith.langchain.com"
            )
        return v.rstrip("/")


class LangSmithAdapter(Adapter[LangSmithConfig]):
    type_name = "langsmith"
    Config = LangSmithConfig
    trigger = "schedule"
    upsert = True

    @classmethod
    def check_config(cls, config, entry, credentials):
        creds = credentials.get(config.credentialRef) if isinstance(credentials, dict) else None
        if isinstance(creds, dict) and "apiKey" not in creds:
            yield "credentialRef", f"credential set '{config.credentialRef}' has no key 'apiKey'"

    def api(self) -> LangSmithApi:
        creds = self.credentials()
        if not creds.get("apiKey"):
            raise ValueError(f"source '{self.source.id}': credential set '{self.config.credentialRef}' has no 'apiKey'")
        policy = RetryPolicy(max_attempts=self.config.maxAttempts, backoff_base=self.config.backoffBaseSec)
        return LangSmithApi(
            self.config.baseUrl,
            creds["apiKey"],
            creds.get("tenantId"),
            self.config.pageSize,
            policy,
            self.config.timeoutSec,
        )

    def complete_before(self, cursor: str | None, started_at: datetime) -> datetime | None:
        """Runs start before the sync began are in, save those LangSmith may still ingest (the lookback the next
        sync re-reads) and those of a run seen still open (it can change): the earliest open mark holds it back."""
        cfg = self.config
        marks = SyncCursor.parse(cursor, timedelta(hours=cfg.lookbackHours), timedelta(days=cfg.maxOpenRunDays))
        opened = [m.open for m in marks.projects.values() if m.open is not None]
        return min([started_at - marks.lookback, *opened])

    def stream(self, cursor: str | None, window: Window | None) -> Iterator[Batch]:
        cfg = self.config
        state = SyncCursor.parse(cursor, timedelta(hours=cfg.lookbackHours), timedelta(days=cfg.maxOpenRunDays))
        writer = TableWriter(LakeStore(self.runtime.lake_root), self.source.id)
        options = SyncOptions(cfg.syncExamples, cfg.syncRuns, frozenset(cfg.eventRunTypes))
        self.stats = SyncStats()
        api = self.api()
        self.http = api.http
        try:
            bounds = (window.start, window.end) if window else None
            for item in sync(api, writer, state, options, bounds, self.stats):
                table = item.events if item.events is not None else EVENT_SCHEMA.empty_table()
                yield Batch(
                    table,
                    raw_count=item.raw_count,
                    errors=len(item.quarantine),
                    quarantine=item.quarantine,
                    cursor=item.cursor,
                )
        finally:
            api.close()
