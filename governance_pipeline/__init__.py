"""governance_pipeline: one audit trail of AI platform activity, ingested with Dagster into a Parquet lake."""

__version__ = "0.1.0"
