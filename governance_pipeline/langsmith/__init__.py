"""LangSmith: the REST client and paging, table building, run -> event mapping, the bulk-export reader.

Pure logic (no Dagster): the adapters in ``adapters/langsmith*.py`` and the assets in ``defs/langsmith.py``
call into it.
"""
