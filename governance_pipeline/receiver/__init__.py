"""The OTLP/HTTP push receiver (docs/otlp.md): ASGI app, auth, decoding, limits, durable landing."""

from governance_pipeline.receiver.landing import landing_has_data, last_landed_at

__all__ = ["landing_has_data", "last_landed_at"]
