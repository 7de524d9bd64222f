"""Local HTTP servers for adapter tests (the same server the demo's sample upstreams use)."""

from governance_pipeline.demo.httpd import Request, Response, serve

__all__ = ["Request", "Response", "serve"]
