"""``http_polling``: the declarative HTTP puller (config, templates, auth, pagination, page loop)."""

from governance_pipeline.adapters.http_polling.adapter import HttpPollingAdapter

__all__ = ["HttpPollingAdapter"]
