"""The ``freshness`` key of a source: strict, with a default per source type."""

from __future__ import annotations

from datetime import timedelta

import pytest

from governance_pipeline.config import ConfigError
from governance_pipeline.sources_file import parse_sources
from tests.config.test_sources_file import MAPPING, _src


@pytest.mark.parametrize(
    "extra, expected",
    [
        ("    freshness: {maxLagMinutes: 0}\n", "sources.yaml: source 's1': freshness.maxLagMinutes: "),
        ("    freshness: {maxLag: 5}\n", "sources.yaml: source 's1': freshness.maxLag: unknown key"),
        (
            "    freshness: {maxLagMinutes: 60, warnLagMinutes: 90}\n",
            "sources.yaml: source 's1': freshness: warnLagMinutes must be less than maxLagMinutes",
        ),
    ],
)
def test_bad_freshness_names_file_source_and_key_path(extra, expected):
    with pytest.raises(ConfigError) as err:
        parse_sources(_src(MAPPING, extra))
    assert expected in str(err.value), str(err.value)


def test_freshness_given_or_the_default_of_the_type():
    given = parse_sources(_src(MAPPING, "    freshness: {maxLagMinutes: 90, warnLagMinutes: 30}\n")).sources[0]
    assert given.freshness.max_lag == timedelta(minutes=90) and given.freshness.warn_lag == timedelta(minutes=30)
    default = parse_sources(_src(MAPPING)).sources[0]
    assert default.freshness.max_lag == timedelta(minutes=default.adapter_cls.default_max_lag_minutes)
    assert default.freshness.warn_lag is None
    otel = parse_sources(_src("      secretSha256: " + "a" * 64 + "\n", typ="otel_generic")).sources[0]
    assert otel.freshness.max_lag == timedelta(hours=1)
