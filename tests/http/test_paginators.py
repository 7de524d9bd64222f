"""Each paging strategy of ``governance_pipeline.http.paginators``: where the next page is and when paging stops."""

from __future__ import annotations

import pytest

from governance_pipeline.http.paginators import (
    PAGINATORS,
    HeaderLinkPaginator,
    JSONCursorPaginator,
    JSONLinkPaginator,
    LinkHeaderPaginator,
    NextUrlRefused,
    OffsetPaginator,
    PageNumberPaginator,
    PageRequest,
    PageView,
    SinglePagePaginator,
    paginate,
)

BASE = "https://api.example.com/v1/audit"


def run(paginator, pages: list[PageView], params: dict | None = None) -> list[PageRequest]:
    """Drive ``paginate`` over canned pages; returns a copy of every request sent."""
    sent: list[PageRequest] = []

    def fetch(request: PageRequest):
        sent.append(PageRequest(request.url, dict(request.params)))
        return len(sent), pages[len(sent) - 1]

    list(paginate(paginator, PageRequest(BASE, dict(params or {})), fetch))
    return sent


def test_link_header_follows_rel_next_relative_to_the_page_and_keeps_other_params():
    pages = [
        PageView(BASE, 2, links={"next": {"url": "/v1/audit?page=2"}}),
        PageView(BASE + "?page=2", 2, links={"next": {"url": "https://api.example.com/v1/audit?page=3"}}),
        PageView(BASE + "?page=3", 1, links={}),
    ]
    sent = run(LinkHeaderPaginator(), pages, {"since": "x", "page": "ignored"})
    assert [(r.url, r.params) for r in sent] == [
        (BASE, {"since": "x", "page": "ignored"}),
        (BASE + "?page=2", {"since": "x"}),  # a parameter the next URL carries is not sent twice
        (BASE + "?page=3", {"since": "x"}),
    ]


def test_a_next_url_to_another_origin_is_refused_not_followed():
    pages = [PageView(BASE, 2, links={"next": {"url": "https://evil.example/steal"}})]
    with pytest.raises(NextUrlRefused, match=r"another host \(https://evil.example\)"):
        run(LinkHeaderPaginator(), pages)
    other_port = [PageView(BASE, 2, headers={"NextPageUri": "https://api.example.com:8443/v1/audit?p=2"})]
    with pytest.raises(NextUrlRefused):
        run(HeaderLinkPaginator("NextPageUri"), other_port)
    downgrade = [PageView(BASE, 2, values={"next": "http://api.example.com/v1/audit?p=2"})]
    with pytest.raises(NextUrlRefused):
        run(JSONLinkPaginator(), downgrade)


def test_header_link_and_json_link_stop_when_the_url_is_absent_repeated_or_the_page_empty():
    repeat = BASE + "?p=2"
    sent = run(
        HeaderLinkPaginator("NextPageUri"),
        [PageView(BASE, 1, headers={"NextPageUri": repeat}), PageView(repeat, 1, headers={"NextPageUri": repeat})],
    )
    assert [r.url for r in sent] == [BASE, repeat]
    sent = run(
        JSONLinkPaginator(),
        [PageView(BASE, 3, values={"next": repeat}), PageView(repeat, 0, values={"next": BASE + "?p=3"})],
    )
    assert len(sent) == 2
    assert len(run(JSONLinkPaginator(), [PageView(BASE, 3, values={"next": None})])) == 1


def test_cursor_sends_the_cursor_param_and_tracks_the_safe_cursor():
    paginator = JSONCursorPaginator("after", start="c0")
    pages = [
        PageView(BASE, 5, values={"next": "c1", "has_more": True}),
        PageView(BASE, 5, values={"next": "c2", "has_more": "true"}),
        PageView(BASE, 2, values={"next": None}),
    ]
    sent = run(paginator, pages)
    assert [r.params["after"] for r in sent] == ["c0", "c1", "c2"]
    assert paginator.safe == "c2"  # the last page stays re-readable: new events appended there are found later


def test_cursor_with_has_more_false_commits_the_apis_resume_token_and_stops():
    paginator = JSONCursorPaginator()
    sent = run(paginator, [PageView(BASE, 3, values={"next": 1700000000.0, "has_more": False})])
    assert len(sent) == 1 and "cursor" not in sent[0].params
    assert paginator.safe == "1700000000"


def test_cursor_stops_on_a_cycle_and_on_an_empty_page():
    paginator = JSONCursorPaginator(start="a")
    sent = run(paginator, [PageView(BASE, 1, values={"next": "b"}), PageView(BASE, 1, values={"next": "a"})])
    assert [r.params["cursor"] for r in sent] == ["a", "b"] and paginator.cycles == 1 and paginator.safe == "b"
    paginator = JSONCursorPaginator()
    run(paginator, [PageView(BASE, 0, values={"next": "z", "has_more": True})])
    assert paginator.safe is None  # nothing was read: the next run starts where this one did


def test_offset_advances_by_the_records_read_and_stops_on_a_short_page_or_at_the_total():
    sent = run(OffsetPaginator(limit=2), [PageView(BASE, 2), PageView(BASE, 2), PageView(BASE, 1)])
    assert [(r.params["offset"], r.params["limit"]) for r in sent] == [(0, 2), (2, 2), (4, 2)]
    sent = run(
        OffsetPaginator(limit=2, offset_param="skip", limit_param="top"),
        [PageView(BASE, 2, values={"total": 4}), PageView(BASE, 2, values={"total": 4})],
    )
    assert [r.params["skip"] for r in sent] == [0, 2]


def test_page_number_counts_from_its_base_and_stops_on_empty_or_after_total_pages():
    sent = run(PageNumberPaginator(), [PageView(BASE, 10), PageView(BASE, 10), PageView(BASE, 0)])
    assert [r.params["page"] for r in sent] == [1, 2, 3]
    sent = run(
        PageNumberPaginator(base_page=0, page_param="p"),
        [PageView(BASE, 10, values={"total_pages": 2}), PageView(BASE, 10, values={"total_pages": 2})],
    )
    assert [r.params["p"] for r in sent] == [0, 1]


def test_single_page_sends_one_request():
    assert len(run(SinglePagePaginator(), [PageView(BASE, 100, values={"next": "x"})])) == 1


def test_the_registry_is_keyed_by_type_name():
    assert set(PAGINATORS) == {
        "link_header",
        "header_link",
        "json_link",
        "cursor",
        "offset",
        "page_number",
        "single_page",
    }
    assert isinstance(PAGINATORS["offset"](limit=5), OffsetPaginator)


def test_the_next_request_is_sent_only_when_the_consumer_asks():
    sent: list[int] = []

    def fetch(request):
        sent.append(1)
        return len(sent), PageView(BASE, 1, values={"next": f"c{len(sent)}"})

    pages = paginate(JSONCursorPaginator(), PageRequest(BASE), fetch)
    assert next(pages) == 1 and len(sent) == 1
    assert next(pages) == 2 and len(sent) == 2
