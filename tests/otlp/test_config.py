"""``otel_generic`` config: errors name the file, source and key path."""

from __future__ import annotations

import pytest

from governance_pipeline.config.errors import ConfigError
from governance_pipeline.sources_file import parse_sources

GOOD = "ab" * 32


def _parse(config: str):
    return parse_sources(f"sources:\n  - id: agents\n    type: otel_generic\n    config: {config}\n")


def test_a_valid_config_is_normalized():
    source = _parse(f'{{secretSha256: "{GOOD.upper()}", allowedSourceTypeLabel: cowork}}').source("agents")
    assert source.config.secretSha256 == GOOD and source.config.allowedSourceTypeLabel == "cowork"
    assert source.adapter_cls.trigger == "sensor"


@pytest.mark.parametrize(
    "config, message",
    [
        ("{}", "sources.yaml: source 'agents': config.secretSha256: "),
        (
            '{secretSha256: "abc"}',
            "sources.yaml: source 'agents': config.secretSha256: must be the 64 hex characters of a sha256",
        ),
        (f'{{secretSha256: "{GOOD}", allowedLabel: x}}', "config.allowedLabel: "),
    ],
)
def test_bad_configs(config, message):
    with pytest.raises(ConfigError) as err:
        _parse(config)
    assert message in str(err.value)
