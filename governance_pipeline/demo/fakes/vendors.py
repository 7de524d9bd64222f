"""Sample upstreams for the demo, serving the documented shapes from ``demo/fixtures``.

- ``AuditApi``: a generic cursor-paged audit log (``?cursor=``, ``?since=&until=`` windows, bearer token),
  which keeps producing new events while the demo runs.
- ``AnthropicCompliance``: ``GET /v1/compliance/activities`` with ``created_at`` filters and ``after_id`` paging.
- ``MicrosoftManagementApi``: the Office 365 Management Activity API flow (OAuth2 client credentials,
  subscription, content listing by window with ``NextPageUri`` paging, content blobs).
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from governance_pipeline.demo.httpd import Request, Response


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class AuditApi:
    PAGE = 8

    def __init__(self, fixtures: Path, token: str):
        pages = [json.loads((fixtures / f"page{i}.json").read_text())["events"] for i in (1, 2)]
        seen, self.events = set(), []
        for e in pages[0] + pages[1]:
            if e["id"] not in seen:
                seen.add(e["id"])
                self.events.append(e)
        self.token = token
        self.lock = threading.Lock()
        self._template = self.events[0]

    def add_live_event(self) -> None:
        """A new audit event 'now' (called by the demo's ticker while the UI runs)."""
        with self.lock:
            n = len(self.events)
            self.events.append(dict(self._template, id=f"evt_live_{n:06d}", created_at=_iso(datetime.now(UTC))))

    def __call__(self, req: Request) -> Response:
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return Response(401, {"error": "unauthorized"})
        with self.lock:
            rows = sorted(self.events, key=lambda e: e["created_at"])
        since, until = req.q("since"), req.q("until")
        if since:
            rows = [e for e in rows if _norm(e["created_at"]) >= since]
        if until:
            rows = [e for e in rows if _norm(e["created_at"]) < until]
        start = int(req.q("cursor") or 0) if (req.q("cursor") or "0").isdigit() else 0
        page = rows[start : start + self.PAGE]
        nxt = start + len(page)
        return Response(
            200, {"events": page, "next_cursor": str(nxt) if page else req.q("cursor"), "has_more": nxt < len(rows)}
        )


def _norm(ts: str) -> str:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AnthropicCompliance:
    def __init__(self, fixtures: Path, api_key: str):
        self.data = sorted(
            json.loads((fixtures / "activities_page.json").read_text())["data"], key=lambda d: d["created_at"]
        )
        self.api_key = api_key

    def __call__(self, req: Request) -> Response:
        if req.path != "/v1/compliance/activities":
            return Response(404, {"type": "error", "error": {"type": "not_found_error"}})
        if req.headers.get("x-api-key") != self.api_key:
            return Response(401, {"type": "error", "error": {"type": "authentication_error"}})
        rows = [d for d in self.data if d["created_at"] >= (req.q("created_at.gte") or "")]
        if req.q("created_at.lt"):
            rows = [d for d in rows if d["created_at"] < req.q("created_at.lt")]
        after = req.q("after_id")
        if after and after in [d["id"] for d in rows]:
            rows = rows[[d["id"] for d in rows].index(after) + 1 :]
        page = rows[: int(req.q("limit") or 5)]
        return Response(
            200,
            {
                "data": page,
                "has_more": len(rows) > len(page),
                "first_id": page[0]["id"] if page else None,
                "last_id": page[-1]["id"] if page else None,
            },
        )


class MicrosoftManagementApi:
    """Content blobs ``ages`` old (one per fixture file); ``extra_records`` join the last blob."""

    FMT = "%Y-%m-%dT%H:%M:%S"

    def __init__(
        self,
        fixtures: Path,
        client_secret: str,
        url: str = "",
        ages: tuple[timedelta, ...] = (timedelta(hours=6), timedelta(hours=11)),
        extra_records: list | tuple = (),
    ):
        blobs = json.loads((fixtures / "content_list.json").read_text())
        records = [json.loads((fixtures / n).read_text()) for n in ("records.json", "records_2.json")]
        records[-1].extend(extra_records)
        now = datetime.now(UTC).replace(microsecond=0)
        self.blobs = [(now - age, b, r) for age, b, r in zip(ages, blobs, records)]
        self.client_secret = client_secret
        self.url = url
        self.tokens: list[str] = []
        self.subscribed = False
        self.windows: list[tuple[datetime, datetime]] = []  # content listings asked for (first pages)

    def add_blob(self, records: list) -> None:
        """A blob that appears now (a late arrival for an incremental run)."""
        first = self.blobs[0][1]
        blob = dict(first, contentId="late", contentUri=first["contentUri"].rsplit("/", 1)[0] + "/late")
        self.blobs.append((datetime.now(UTC) - timedelta(minutes=5), blob, records))

    def __call__(self, req: Request) -> Response:
        if req.path.endswith("/oauth2/v2.0/token"):
            form = dict(p.split("=", 1) for p in req.body.decode().split("&") if "=" in p)
            if form.get("client_secret") != self.client_secret:
                return Response(401, {"error": "invalid_client"})
            self.tokens.append(f"eyJ-token-{len(self.tokens)}")
            return Response(200, {"access_token": self.tokens[-1], "expires_in": 3599, "token_type": "Bearer"})
        if not self.tokens or req.headers.get("authorization") != f"Bearer {self.tokens[-1]}":
            return Response(401, {"error": {"code": "AF10001", "message": "invalid token"}})
        if req.path.endswith("/subscriptions/list"):
            return Response(200, [{"contentType": "Audit.General", "status": "enabled"}] if self.subscribed else [])
        if req.path.endswith("/subscriptions/start"):
            if req.method != "POST" or req.q("contentType") != "Audit.General":
                return Response(400, {"error": {"code": "AF20001", "message": "bad subscription request"}})
            self.subscribed = True
            return Response(200, {"contentType": "Audit.General", "status": "enabled"})
        if req.path.endswith("/subscriptions/content"):
            start, end = (
                datetime.strptime(req.q(k) or "", self.FMT).replace(tzinfo=UTC) for k in ("startTime", "endTime")
            )
            if not timedelta(0) < end - start <= timedelta(hours=24):
                return Response(
                    400, {"error": {"code": "AF20055", "message": "window must be more than 0 and at most 24 hours"}}
                )
            if req.q("page") is None:
                self.windows.append((start, end))
            inside = [b for created, b, _ in self.blobs if start <= created < end]
            page = int(req.q("page") or 0)
            body = [
                dict(b, contentUri=b["contentUri"].replace("https://manage.office.com", self.url))
                for b in inside[page : page + 1]
            ]
            headers = {}
            if page + 1 < len(inside):
                headers["NextPageUri"] = (
                    f"{self.url}{req.path}?contentType=Audit.General&startTime={req.q('startTime')}"
                    f"&endTime={req.q('endTime')}&page={page + 1}"
                )
            return Response(200, body, headers)
        if "/activity/feed/audit/" in req.path:
            for _, b, recs in self.blobs:
                if b["contentUri"].endswith(req.path.rsplit("/", 1)[1]):
                    return Response(200, recs)
        return Response(404, {"error": "not found"})
