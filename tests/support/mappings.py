"""The eventMapping of the fixtures' nested event shape (audit API pages, NDJSON, JSON-array samples)."""

NESTED_MAPPING = {
    "source_event_id": "$.id",
    "event_timestamp": "$.created_at",
    "actor": "$.user.email",
    "action": "$.event_type",
    "target": "$.model",
    "cost_usd": "$.usage.cost",
    "tokens_input": "$.usage.input_tokens",
    "tokens_output": "$.usage.output_tokens",
}


def mapping_yaml(indent: int = 6) -> str:
    """``eventMapping:`` as a YAML block under a source's ``config:`` (indented ``indent`` spaces)."""
    pad = " " * indent
    return f"{pad}eventMapping:\n" + "".join(f"{pad}  {k}: {v}\n" for k, v in NESTED_MAPPING.items())
