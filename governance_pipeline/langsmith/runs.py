"""What a LangSmith run says, read the same way from the REST API (v1/v2 shapes) and from bulk exports.

Precedence lists (docs/langsmith.md, "Governance events"): the actor from ``extra.metadata.user_id``, then the
OpenAI ``user`` invocation parameter, then the conversation (thread) id, then the project; the model from
``ls_model_name``, then ``invocation_params.model``, then ``invocation_params.model_name``.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from governance_pipeline.mapping.coerce import INTEGER, NUMBER, TIMESTAMP, present, to_float, to_int, to_micros, to_text

ACTOR_KEYS = ("user_id",)
THREAD_KEYS = ("thread_id", "session_id", "conversation_id")
COST_QUANTUM = Decimal("1e-10")
COST_LIMIT = Decimal("1e10")  # the tables' decimal(20,10) holds 10 integer digits
TOKEN_KEYS = ("prompt_tokens", "completion_tokens", "total_tokens", "input_tokens", "output_tokens")
COST_KEYS = ("total_cost", "prompt_cost", "completion_cost")
TIME_KEYS = ("start_time", "end_time", "first_token_time")


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


def poisoned(run: dict) -> str | None:
    """Why ``run`` cannot be landed (README, "Poisoned records"): a token count, cost or time that is present but
    does not coerce (not a number, beyond int64 or decimal(20,10), not finite, not a time in 1970..9999)."""
    if not isinstance(run, dict):
        return f"expected a JSON object, got {type(run).__name__}"
    for key in TOKEN_KEYS:
        v = run.get(key)
        if present(v) and to_int(v) is None:
            return f"{key}: {v!r:.60} is not {INTEGER}"
    for key in COST_KEYS:
        v = run.get(key)
        if present(v):
            d = decimal(v)
            if d is None or abs(d) >= COST_LIMIT:
                return f"{key}: {v!r:.60} is not {NUMBER} below 1e10"
    for key in TIME_KEYS:
        v = run.get(key)
        if present(v) and to_micros(v) is None:
            return f"{key}: {v!r:.60} is not {TIMESTAMP}"
    return None


def split_poisoned(runs: list, where: str) -> tuple[list[dict], list[dict]]:
    """(the runs that can land, quarantine records of the others with ``where``, their position and reason)."""
    good: list[dict] = []
    bad: list[dict] = []
    for i, run in enumerate(runs):
        why = poisoned(run)
        if why is None:
            good.append(run)
        else:
            run_id = to_text(run.get("id")) if isinstance(run, dict) else None
            bad.append({"file": where, "line": i + 1, "run_id": run_id, "error": why, "raw": dump_run(run)})
    return good, bad


def dump_run(run: Any) -> str:
    """A run as JSON text (``raw``)."""
    try:
        return orjson.dumps(run, default=str).decode()
    except TypeError:  # e.g. an integer beyond 64 bits, which orjson refuses
        return json.dumps(run, default=str)
