"""The LangSmith-shaped API (``governance_pipeline.demo.fakes.langsmith_api``) over the committed fixtures."""

from __future__ import annotations

from pathlib import Path

from governance_pipeline.demo.fakes.langsmith_api import FakeLangSmith as _Fake
from governance_pipeline.demo.fakes.langsmith_api import load_fixtures as _load

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "langsmith"


def load_fixtures() -> dict:
    return _load(FIXTURES)


class FakeLangSmith(_Fake):
    def __init__(self, data: dict | None = None, api_key: str = "ls-test-key", tenant_id: str = "tenant-1"):
        super().__init__(data if data is not None else load_fixtures(), api_key, tenant_id)
