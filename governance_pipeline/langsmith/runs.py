"""What a LangSmith run says, read the same way from the REST API (v1/v2 shapes) and from bulk exports.

Precedence lists (docs/langsmith.md, "Governance events"): the actor from ``extra.metadata.user_id``, then the
OpenAI ``user`` invocation parameter, then the conversation (thread) id, then the project; the model from
``ls_model_name``, then ``invocation_params.model``, then ``invocation_params.model_name``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from governance_pipeline.mapping.coerce import to_float, to_int, to_text

ACTOR_KEYS = ("user_id",)
THREAD_KEYS = ("thread_id", "session_id", "conversation_id")
COST_QUANTUM = Decimal("1e-10")


def _dict(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def extra(run: dict) -> dict:
    return _dict(run.get("extra"))


def metadata(run: dict) -> dict:
    """``extra.metadata`` (v1, exports) or top-level ``metadata`` (v2)."""
    return _dict(extra(run).get("metadata")) or _dict(run.get("metadata"))


def run_type(run: dict) -> str | None:
    t = run.get("run_type")
    return t.lower() if isinstance(t, str) else None


def status(run: dict) -> str | None:
    s = run.get("status")
    return s.lower() if isinstance(s, str) else None


def session_id(run: dict) -> str | None:
    return to_text(run.get("session_id") or run.get("project_id"))


def _first_text(md: dict, keys: tuple[str, ...]) -> str | None:
    """The first of ``keys`` in the run's metadata with a non-empty value, as text."""
    return next((v for v in (to_text(md.get(k)) for k in keys) if v), None)


def thread_id(run: dict) -> str | None:
    return _first_text(metadata(run), THREAD_KEYS) or to_text(run.get("thread_id"))


def user_id(run: dict) -> str | None:
    md = metadata(run)
    return _first_text(md, ACTOR_KEYS) or to_text(_dict(md.get("ls_invocation_params")).get("user"))


def actor(run: dict) -> str | None:
    return user_id(run) or thread_id(run) or session_id(run) or to_text(run.get("tenant_id"))


def model(run: dict) -> str | None:
    md = metadata(run)
    params = _dict(extra(run).get("invocation_params"))
    for v in (md.get("ls_model_name"), params.get("model"), params.get("model_name")):
        t = to_text(v)
        if t:
            return t
    return None


def provider(run: dict) -> str | None:
    return to_text(metadata(run).get("ls_provider"))


def action(run: dict) -> str | None:
    return run_type(run) or to_text(run.get("name"))


def tokens_in(run: dict) -> int | None:
    v = run.get("prompt_tokens")
    return to_int(v if v is not None else run.get("input_tokens"))


def tokens_out(run: dict) -> int | None:
    v = run.get("completion_tokens")
    return to_int(v if v is not None else run.get("output_tokens"))


def token_detail(run: dict, field: str, key: str) -> int | None:
    """A count from ``prompt_token_details`` / ``completion_token_details`` (LangChain's ``cache_read``,
    ``cache_creation``, ``reasoning``): parts of the prompt and completion totals (docs/costs.md)."""
    details = run.get(field)
    if isinstance(details, str):
        try:
            details = orjson.loads(details)
        except orjson.JSONDecodeError:
            return None
    return to_int(details.get(key)) if isinstance(details, dict) else None


def cost(run: dict) -> float | None:
    """``total_cost`` (string, Decimal or float), else prompt + completion cost."""
    total = to_float(run.get("total_cost"))
    if total is not None:
        return total
    parts = [p for k in ("prompt_cost", "completion_cost") if (p := to_float(run.get(k))) is not None]
    return sum(parts) if parts else None


def decimal(v: Any) -> Decimal | None:
    """A cost as ``Decimal`` rounded to 10 places (the tables' ``decimal(20,10)``)."""
    if v is None or isinstance(v, bool):
        return None
    try:
        d = v if isinstance(v, Decimal) else Decimal(str(v).strip())
        return d.quantize(COST_QUANTUM) if d.is_finite() else None
    except (InvalidOperation, ValueError):
        return None


def error_type(run: dict) -> str | None:
    """The exception class at the start of ``error`` (``ValueError('…')``, ``RateLimitError: …``), if any."""
    err = run.get("error")
    if not isinstance(err, str) or not err:
        return None
    head = err.strip().split("(", 1)[0].split(":", 1)[0].strip()
    return head if head and head.replace(".", "").replace("_", "").isalnum() and " " not in head else "error"
