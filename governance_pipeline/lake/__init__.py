"""The Hive-partitioned Parquet lake: schema, storage, the exactly-once writer, readers."""

from governance_pipeline.lake.schema import EVENT_COLUMNS, EVENT_SCHEMA

__all__ = ["EVENT_COLUMNS", "EVENT_SCHEMA"]
