"""Adapters: one module per source type, a small base, and a registry by type name."""

from governance_pipeline.adapters.base import Adapter, Batch, PullResult, Runtime, SensorPoll, Window
from governance_pipeline.adapters.registry import adapter_types, get_adapter, register_adapter

__all__ = [
    "Adapter",
    "Batch",
    "PullResult",
    "Runtime",
    "SensorPoll",
    "Window",
    "adapter_types",
    "get_adapter",
    "register_adapter",
]
