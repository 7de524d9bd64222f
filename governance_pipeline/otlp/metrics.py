"""OTLP metrics: accepted so that exporters do not error, counted, and dropped (docs/otlp.md, "Metrics").

The audit trail is made of events. The metrics agents send (``claude_code.cost.usage``,
``claude_code.token.usage``, …) are aggregates of the very calls their log events already record one by
one; landing them as well would count the same cost twice in the marts, and an aggregate has no identity
to deduplicate on. So a metrics request is decoded (a malformed one still gets 400), its data points are
counted, and nothing is landed.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

from governance_pipeline.otlp.json_decode import OtlpDecodeError, _get, _list, _obj, load_json, parse_protobuf

_KINDS = (
    ("gauge", "gauge"),
    ("sum", "sum"),
    ("histogram", "histogram"),
    ("exponentialHistogram", "exponential_histogram"),
    ("summary", "summary"),
)


def count_points(body: bytes, json: bool) -> int:
    """The number of data points in a metrics request; raises ``OtlpDecodeError`` when it is not one."""
    if json:
        return _count_json(load_json(body))
    req = parse_protobuf(body, ExportMetricsServiceRequest)
    n = 0
    for rm in req.resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                kind = m.WhichOneof("data")
                if kind is not None:
                    n += len(getattr(m, kind).data_points)
    return n


def _count_json(doc: Any) -> int:
    if not isinstance(doc, dict):
        raise OtlpDecodeError("body: expected a JSON object")
    n = 0
    for r, rm in enumerate(_list(_get(doc, "resourceMetrics", "resource_metrics"), "resourceMetrics")):
        where = f"resourceMetrics[{r}]"
        rm = _obj(rm, where)
        for s, sm in enumerate(_list(_get(rm, "scopeMetrics", "scope_metrics"), where + ".scopeMetrics")):
            swhere = f"{where}.scopeMetrics[{s}]"
            sm = _obj(sm, swhere)
            for i, m in enumerate(_list(sm.get("metrics"), swhere + ".metrics")):
                mwhere = f"{swhere}.metrics[{i}]"
                m = _obj(m, mwhere)
                for camel, snake in _KINDS:
                    data = _get(m, camel, snake)
                    if data is not None:
                        data = _obj(data, f"{mwhere}.{camel}")
                        n += len(_list(_get(data, "dataPoints", "data_points"), f"{mwhere}.{camel}.dataPoints"))
    return n
