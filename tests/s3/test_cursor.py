"""The key cursor: seed compatibility, the overlap floor, ETag changes, trimming."""

from __future__ import annotations

import json

from governance_pipeline.s3.cursor import KeyCursor
from governance_pipeline.s3.listing import ObjectInfo


def obj(key: str, etag: str = "e1") -> ObjectInfo:
    return ObjectInfo(key, etag, 1)


def test_bare_key_is_the_seed_cursor():
    c = KeyCursor.parse("logs/2026/10/01/b.json")
    assert c.floor == "logs/2026/10/01/b.json"
    assert not c.is_new(obj("logs/2026/10/01/a.json")) and not c.is_new(obj("logs/2026/10/01/b.json"))
    assert c.is_new(obj("logs/2026/10/01/c.json"))


def test_overlap_catches_late_keys_and_changed_etags():
    c = KeyCursor(overlap=3)
    for k in ("a", "c", "e", "g"):
        c.record(k, "e1")
    c = KeyCursor.parse(c.dump(), overlap=3)
    assert c.floor == "c" and c.max_key == "g"
    assert c.is_new(obj("d")) and c.is_new(obj("f"))  # late, above the floor
    assert not c.is_new(obj("b"))  # below the floor: the documented limit
    assert not c.is_new(obj("e")) and c.is_new(obj("e", "e2"))


def test_trim_keeps_every_key_above_the_floor():
    c = KeyCursor(overlap=5)
    for i in range(50):
        c.record(f"k{i:03d}", "x")
    data = json.loads(c.dump())
    assert list(data["seen"]) == [f"k{i:03d}" for i in range(45, 50)] and data["max"] == "k049"


def test_zero_overlap_is_plain_max_key():
    c = KeyCursor(overlap=0)
    c.record("a", "x")
    c.record("b", "x")
    c = KeyCursor.parse(c.dump(), overlap=0)
    assert c.floor == "b" and not c.is_new(obj("a")) and c.is_new(obj("c"))


def test_empty_cursor_takes_everything():
    assert KeyCursor.parse(None).is_new(obj("anything")) and KeyCursor.parse(None).floor is None
