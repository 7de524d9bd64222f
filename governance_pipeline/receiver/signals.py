"""Per-signal decoding, admission and replies, shared by the HTTP and gRPC transports.

Traces and logs land as envelope entries (``otlp.envelope``) of their own field number, so one landing file
can hold both and the pull tells them apart; metrics are counted and dropped (``otlp.metrics``).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from governance_pipeline.otlp import envelope
from governance_pipeline.otlp.json_decode import OtlpDecodeError
from governance_pipeline.otlp.logs import admit_logs, decode_logs
from governance_pipeline.otlp.metrics import count_points
from governance_pipeline.receiver import responses
from governance_pipeline.receiver.decode import PROTOBUF, Admission, admit, decode_encoded

TRACES, LOGS, METRICS = "traces", "logs", "metrics"
SIGNALS = (TRACES, LOGS, METRICS)
_REJECTED_KEY = {TRACES: "rejectedSpans", LOGS: "rejectedLogRecords", METRICS: "rejectedDataPoints"}


@dataclass
class Outcome:
    """What to land (envelope bytes, or None), and the counts for the reply."""

    admission: Admission
    dropped: int = 0  # metric data points accepted and not kept


def decode_and_admit(signal: str, body: bytes, ctype: str, allowed_label: str | None) -> Outcome:
    """Raises ``OtlpDecodeError`` when ``body`` is not a request of ``signal`` in ``ctype``."""
    if signal == TRACES:
        undecodable: list[str] = []  # spans the pull could not read: rejected in partial_success, the rest lands
        req, encoded = decode_encoded(body, ctype, undecodable)
        if undecodable and not any(ss.spans for rs in req.resource_spans for ss in rs.scope_spans):
            raise OtlpDecodeError("; ".join(undecodable[:3]))  # nothing in it can be landed: 400, as OTLP says
        admission = admit(req, allowed_label, encoded, undecodable)
        if admission.payload is not None:
            admission.payload = envelope.wrap(admission.payload, envelope.TRACES)
        return Outcome(admission)
    if signal == LOGS:
        undecodable = []  # records the pull could not read: rejected in partial_success, the rest lands
        req = decode_logs(body, ctype != PROTOBUF, undecodable)
        if undecodable and not any(sl.log_records for rl in req.resource_logs for sl in rl.scope_logs):
            raise OtlpDecodeError("; ".join(undecodable[:3]))  # nothing in it can be landed: 400, as OTLP says
        accepted, rejected, reasons = admit_logs(req, allowed_label)
        rejected += len(undecodable)
        reasons.update(undecodable[:3])
        if not accepted:
            payload = None
        else:
            payload = envelope.wrap(
                body if ctype == PROTOBUF and not rejected else req.SerializeToString(), envelope.LOGS
            )
        return Outcome(Admission(payload, accepted, rejected, "; ".join(sorted(reasons))))
    return Outcome(Admission(None, 0, 0), dropped=count_points(body, ctype != PROTOBUF))


def success(signal: str, ctype: str, outcome: Outcome, wire_bytes: int) -> tuple[str, bytes]:
    """The 200 body. The protobuf ``Export*ServiceResponse`` messages of the three signals have the same
    wire layout (``partial_success`` = {1: rejected count, 2: error message}), so one encoder serves all."""
    a = outcome.admission
    if ctype == PROTOBUF:
        return responses.success(ctype, a.accepted, a.rejected, a.message, wire_bytes)
    doc: dict = {}
    if a.rejected or a.message:
        doc["partialSuccess"] = {_REJECTED_KEY[signal]: str(a.rejected), "errorMessage": a.message}
    doc["events"] = a.accepted
    if signal == METRICS:
        doc["dropped"] = outcome.dropped
    doc["bytes"] = wire_bytes
    return "application/json", orjson.dumps(doc)
