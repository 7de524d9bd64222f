"""Shared S3 access for file-drop sources: clients per run, paged listing, key cursors, streaming parsers.

No Dagster here. ``drops.S3Drops`` is the engine that ``s3_polling`` and ``openai_compliance`` configure.
"""
