"""OTLP trace decoding shared by the receiver and the ``otel_generic`` adapter (no I/O, no Dagster)."""
