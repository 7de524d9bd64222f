"""``RecordMapper``: one call maps NDJSON, the block mapping when it can promise the row path's result, else line
by line with every line it cannot take rejected with its reason; callers see the same either way."""

from __future__ import annotations

import json

import orjson
import pytest

from governance_pipeline.adapters.openai_compliance import FALLBACKS, MAPPING
from governance_pipeline.mapping.event_mapping import EventMapping
from governance_pipeline.mapping.records import RecordMapper
from governance_pipeline.s3.stream import decoded, line_aligned
from tests.conftest import FIXTURES
from tests.mapping.test_arrow_json import GENERIC, ndjson, row_path
from tests.support.mappings import NESTED_MAPPING


class Tweaked(EventMapping):
    """A mapping whose rows the block mapping would not reproduce."""

    def to_table(self, records, raw_texts=None, rejects=None):
        return super().to_table([{**r, "n": "tweaked"} for r in records], raw_texts, rejects)


def parts(mapper: RecordMapper, block: bytes, batch_rows: int = 20_000) -> list:
    return list(mapper.map_lines(block, batch_rows))


def test_a_clean_block_is_one_part_equal_to_the_row_path():
    block = b"".join(decoded([(FIXTURES / "ndjson/sample.ndjson").read_bytes()]))
    mapper = RecordMapper(EventMapping(NESTED_MAPPING))
    assert mapper.takes_blocks
    (part,) = parts(mapper, block)
    assert part.table.equals(row_path(EventMapping(NESTED_MAPPING), block))
    assert part.count == part.lines == block.count(b"\n") and part.rejects == []


def test_a_block_the_block_mapping_declines_lands_its_good_lines_and_rejects_the_rest_with_reasons():
    block = (
        b'{"id": "a", "ts": "2026-10-01T10:00:00Z", "tin": 1}\r\n'
        b"\n"
        b"  \n"
        b"[1, 2]\n"
        b'{"id": "b", "ts": "2026-10-01T10:00:00Z", "tin": "x"}\n'
        b'{"id": "broken", \n'
        b'{"id": "c", "x": "\xc3\xa9"}\n'
    )
    (part,) = parts(RecordMapper(GENERIC), block)
    assert part.table.column("source_event_id").to_pylist() == ["a", "c"]
    assert part.table.column("raw_payload").to_pylist() == [
        '{"id": "a", "ts": "2026-10-01T10:00:00Z", "tin": 1}',
        '{"id": "c", "x": "é"}',
    ]
    assert [(r.line, r.reason.split(":")[0]) for r in part.rejects] == [
        (4, "expected a JSON object, got list"),
        (5, "tokens_input"),
        (6, "invalid JSON"),
    ]
    assert part.rejects[1].raw.startswith('{"id": "b"') and part.rejects[2].raw == '{"id": "broken", '
    assert (part.count, part.lines) == (5, 7)  # blank lines are not events, but they are lines


def test_line_by_line_parts_are_bounded_and_their_line_numbers_count_from_the_block():
    block = b"".join(b'{"id": "e%d"}\n' % i for i in range(24)) + b"not json\n"
    got = parts(RecordMapper(Tweaked({"source_event_id": "$.id", "action": "$.n"})), block, batch_rows=10)
    assert [p.table.num_rows for p in got] == [10, 10, 4]
    assert [p.lines for p in got] == [10, 10, 5] and sum(p.count for p in got) == 25
    assert [(r.line, r.raw) for p in got for r in p.rejects] == [(25, "not json")]
    assert set(got[0].table.column("action").to_pylist()) == {"tweaked"}


@pytest.mark.parametrize(
    "mapping",
    [Tweaked({"source_event_id": "$.id"}), EventMapping({"source_event_id": "$.id", "actor": "$.users[0].email"})],
    ids=["subclass", "index-path"],
)
def test_mappings_the_block_mapping_cannot_reproduce_are_mapped_line_by_line(mapping):
    mapper = RecordMapper(mapping)
    assert not mapper.takes_blocks
    block = ndjson({"id": "a", "users": [{"email": "x@example.com"}], "n": 1})
    (part,) = parts(mapper, block)
    lines = [orjson.loads(line) for line in block.splitlines()]
    assert part.table.equals(mapping.to_table(lines, [line.decode() for line in block.splitlines()]))


def test_fallbacks_fill_nulls_on_both_paths():
    good = ndjson({"id": "a", "user": {"id": "u1", "email": "a@example.com"}}, {"id": "b", "user": {"id": "u2"}})
    mapper = RecordMapper(MAPPING, FALLBACKS)
    (fast,) = parts(mapper, good)
    (slow,) = parts(mapper, good + b"[]\n")  # a line that is not an object: the block mapping declines
    assert fast.table.column("actor").to_pylist() == slow.table.column("actor").to_pylist() == ["a@example.com", "u2"]
    assert fast.table.equals(slow.table)
    table, rejects = mapper.map_records([json.loads(x) for x in good.splitlines()], good.decode().splitlines())
    assert table.equals(fast.table) and rejects == []


def test_the_fixture_with_a_bad_line_rejects_exactly_that_line():
    data = (FIXTURES / "ndjson/sample_bad.ndjson").read_bytes()
    mapper = RecordMapper(EventMapping(NESTED_MAPPING))
    got = [p for block in line_aligned(decoded([data]), 1 << 20) for p in parts(mapper, block)]
    rejects = [r for p in got for r in p.rejects]
    assert [r.line for r in rejects] == [4] and rejects[0].raw.startswith('{"id"')
