"""Generated good and hostile records for the fuzz tests (README, "Poisoned records").

A *good* record must land exactly once; a *bad* one must be quarantined, whatever else is in its page or file.
``FUZZ_SCALE`` (environment) multiplies every test's example count: ``scripts/fuzz.py`` sets it for long runs.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
INT64_MAX = 2**63 - 1


def fuzz_settings(examples: int) -> settings:
    """Seeded and bounded in ``make test`` (``derandomize``); ``scripts/fuzz.py`` scales it and draws new seeds."""
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        derandomize=os.environ.get("FUZZ_RANDOM") != "1",
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
        phases=[Phase.explicit, Phase.generate] + ([Phase.shrink] if os.environ.get("FUZZ_SHRINK") == "1" else []),
    )


text = st.text(max_size=40)  # any Unicode but lone surrogates, which no UTF-8 JSON can carry
big_text = st.sampled_from([0] * 9 + [3 << 20]).map(lambda n: "x" * n)  # now and then a 3 MB string
when = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC))
good_time = st.one_of(
    when.map(lambda d: d.isoformat().replace("+00:00", "Z")),
    st.integers(0, 10**11 - 1),  # epoch seconds
    st.integers(10**11, 10**14 - 1),  # epoch milliseconds
    st.none(),
)
good_tokens = st.one_of(st.integers(0, 10**12), st.integers(0, 10**12).map(str), st.none())
good_cost = st.one_of(st.floats(0, 1e6, allow_nan=False, allow_infinity=False), st.none(), st.just("0.25"))
json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), INT64_MAX), st.floats(allow_nan=False, allow_infinity=False), text
)
json_value = st.recursive(
    json_leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(text, c, max_size=3), max_leaves=8
)

not_an_integer = st.one_of(
    st.integers(INT64_MAX + 1, 10**40),
    st.integers(-(10**40), -(2**63) - 1),
    st.floats(1e19, 1e300),
    st.sampled_from(["99999999999999999999", "1e30", "NaN", "Infinity", "-Infinity", "1e400", "lots", "12abc"]),
    st.booleans(),
    st.just({"n": 1}),
    st.just([1, 2]),
)
not_a_cost = st.one_of(
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "free"]), st.booleans(), st.just({"usd": 1})
)
not_a_time = st.one_of(
    st.sampled_from(["1969-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "yesterday", "2026-13-45T00:00:00Z"]),
    st.integers(-(10**10), -1),  # before 1970
    st.integers(10**22, 10**30),  # epoch nanoseconds beyond year 9999
    st.booleans(),
)


@st.composite
def good_record(draw: st.DrawFn) -> dict:
    usage = {"input_tokens": draw(good_tokens), "output_tokens": draw(good_tokens), "cost": draw(good_cost)}
    return {
        "created_at": draw(good_time),
        "event_type": draw(text),
        "user": {"email": draw(text)},
        "model": draw(st.one_of(st.none(), text)),
        "usage": usage,
        "extra": draw(json_value),
        "note": draw(big_text),
    }


@st.composite
def bad_record(draw: st.DrawFn) -> tuple[dict, str]:
    """(a record with one strict field poisoned, the field)."""
    record = draw(good_record())
    field = draw(st.sampled_from(["input_tokens", "output_tokens", "cost", "created_at"]))
    if field == "created_at":
        record["created_at"] = draw(not_a_time)
    elif field == "cost":
        record["usage"]["cost"] = draw(not_a_cost)
    else:
        record["usage"][field] = draw(not_an_integer)
    return record, field


@st.composite
def mixed(draw: st.DrawFn, max_good: int = 12, max_bad: int = 4) -> list[tuple[str, dict | None, str]]:
    """Good and bad records in a random order: ``(id, record, kind)`` with kind ``good`` or ``bad``. Ids are
    unique; a bad record's id also says which field was poisoned."""
    goods = draw(st.lists(good_record(), max_size=max_good))
    bads = draw(st.lists(bad_record(), max_size=max_bad))
    items = [(f"g{i}", r, "good") for i, r in enumerate(goods)]
    items += [(f"b{i}-{field}", r, "bad") for i, (r, field) in enumerate(bads)]
    order = draw(st.permutations(range(len(items)))) if items else []
    out = []
    for i in order:
        rid, record, kind = items[i]
        out.append((rid, {"id": rid, **record}, kind))
    return out
