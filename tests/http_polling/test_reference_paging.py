"""The reference sources page through the shared paginators: copilot_studio's ``NextPageUri`` is a ``header_link``
whose origin check refuses a next page on another host (the token would go there)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from governance_pipeline.errors import is_permanent
from governance_pipeline.http.paginators import CrossOriginRefused
from tests.http_polling.helpers import FAST_RETRY, pull, sources
from tests.http_polling.test_reference_sources import CREDS, SECRETS, FakeManagementApi
from tests.support.http import serve


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)


class ForeignNextPage(FakeManagementApi):
    """Its content listing names the next page on another host."""

    def __call__(self, req):
        resp = super().__call__(req)
        if "NextPageUri" in resp.headers:
            resp.headers["NextPageUri"] = resp.headers["NextPageUri"].replace(self.url, "http://evil.example:9")
        return resp


def test_copilot_refuses_a_next_page_uri_on_another_host(tmp_path):
    api = ForeignNextPage()
    with serve(api) as (url, seen):
        api.url = url
        config = {"credentialRef": "ms", "baseUrl": url, "authUrl": url, "retry": FAST_RETRY}
        sf = sources(
            config, type_="copilot_studio", credentials=CREDS, startDate=str(date.today() - timedelta(days=30))
        )
        with pytest.raises(
            CrossOriginRefused, match="source 'acme_audit': refusing to follow a next-page URL to another host"
        ) as err:
            pull(sf, tmp_path / "lake")
    assert is_permanent(err.value)
    assert not any("evil" in r.path for r in seen)
