"""A real S3/STS API on loopback for the tests (moto's server mode; the demo uses the same launcher)."""

from governance_pipeline.demo.s3_server import free_port, moto_server, reset

__all__ = ["free_port", "moto_server", "reset"]
