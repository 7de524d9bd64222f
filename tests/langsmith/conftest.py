from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pytest

from governance_pipeline.config.credentials import resolve_credentials
from governance_pipeline.config.models import SourcesFile
from governance_pipeline.pull_types import Runtime
from governance_pipeline.sources_file import parse_sources
from tests.langsmith.fake_server import FakeLangSmith
from tests.support.http import serve

API_KEY = "ls-test-key-0123456789"
TENANT = "6e82b011-8475-411a-93e6-f9826b5b429e"


def sources_yaml(url: str, extra: str = "", api_key: str = API_KEY, page_size: int = 5) -> str:
    return f"""
credentials:
  ls_creds: {{apiKey: "{api_key}", tenantId: "{TENANT}"}}
sources:
  - id: ls
    type: langsmith
    startDate: "2026-09-01"
    config:
      credentialRef: ls_creds
      baseUrl: "{url}"
      pageSize: {page_size}
      backoffBaseSec: 0.001
{extra}"""


@dataclass
class Env:
    fake: FakeLangSmith
    url: str
    requests: list
    lake: str

    def sources(self, extra: str = "", api_key: str = API_KEY, page_size: int = 5) -> SourcesFile:
        return parse_sources(sources_yaml(self.url, extra, api_key, page_size))

    def runtime(self, sf: SourcesFile) -> Runtime:
        return Runtime(credentials=lambda ref: resolve_credentials(sf.credentials, ref), lake_root=self.lake)

    def lake_sql(self, sql: str):
        glob = f"{self.lake}/events/**/*.parquet"
        with duckdb.connect() as con:
            return con.execute(sql.replace("EVENTS", f"read_parquet('{glob}', hive_partitioning=true)")).fetchall()


@pytest.fixture
def ls_env(tmp_path):
    fake = FakeLangSmith(api_key=API_KEY, tenant_id=TENANT)
    with serve(fake) as (url, seen):
        yield Env(fake, url, seen, str(tmp_path / "lake"))
