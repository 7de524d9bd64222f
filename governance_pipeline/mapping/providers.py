"""Provider names in one vocabulary: the OpenTelemetry GenAI ``gen_ai.provider.name`` well-known values.

Producers name the same provider many ways: the current semconv (``gcp.gemini``, ``azure.ai.openai``), its
deprecated ``gen_ai.system`` values (``gemini``, ``az.ai.openai``, ``xai``), Traceloop's capitalised ones
(``Anthropic``), the Vercel AI SDK's ``ai.model.provider`` (``openai.chat``, ``openai.responses``,
``google.generative-ai``), OpenInference's ``llm.provider`` (``google``, ``azure``, ``aws``) and LangSmith's
``ls_provider`` (``google_genai``, ``azure_openai``, ``bedrock``). ``normalize_provider`` maps each to the
well-known value; an unknown name is kept, lower-cased. Frameworks that are not model providers
(``langchain``, the default ``gen_ai.system`` of LangSmith's spans) give None, so the next attribute is tried.
The raw value always stays in the event's ``raw_payload``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from governance_pipeline.mapping.coerce import to_text

# https://opentelemetry.io/docs/specs/semconv/registry/attributes/gen-ai/ (gen_ai.provider.name)
WELL_KNOWN = frozenset(
    {
        "anthropic",
        "aws.bedrock",
        "azure.ai.inference",
        "azure.ai.openai",
        "cohere",
        "deepseek",
        "gcp.gemini",
        "gcp.gen_ai",
        "gcp.vertex_ai",
        "groq",
        "ibm.watsonx.ai",
        "mistral_ai",
        "openai",
        "perplexity",
        "x_ai",
    }
)

_ALIASES: dict[str, str] = {
    # deprecated gen_ai.system values
    "az.ai.openai": "azure.ai.openai",
    "az.ai.inference": "azure.ai.inference",
    "gemini": "gcp.gemini",
    "vertex_ai": "gcp.vertex_ai",
    "xai": "x_ai",
    # OpenInference llm.provider / llm.system, Traceloop, LangSmith ls_provider, the Vercel AI SDK
    "azure": "azure.ai.openai",
    "azure_openai": "azure.ai.openai",
    "azure-openai": "azure.ai.openai",
    "azureopenai": "azure.ai.openai",
    "azure_ai": "azure.ai.inference",
    "azure_ai_inference": "azure.ai.inference",
    "aws": "aws.bedrock",
    "bedrock": "aws.bedrock",
    "amazon_bedrock": "aws.bedrock",
    "amazon-bedrock": "aws.bedrock",
    "bedrock_converse": "aws.bedrock",
    "google": "gcp.gen_ai",
    "google_genai": "gcp.gemini",
    "google-genai": "gcp.gemini",
    "google.generative-ai": "gcp.gemini",
    "google_generative_ai": "gcp.gemini",
    "googleai": "gcp.gemini",
    "google_vertexai": "gcp.vertex_ai",
    "google.vertex": "gcp.vertex_ai",
    "vertexai": "gcp.vertex_ai",
    "vertex": "gcp.vertex_ai",
    "mistral": "mistral_ai",
    "mistralai": "mistral_ai",
    "watsonx": "ibm.watsonx.ai",
    "ibm": "ibm.watsonx.ai",
    "openai_compatible": "openai",
}

FRAMEWORKS = frozenset({"langchain", "langgraph", "llamaindex", "llama_index", "crewai", "haystack", "dspy"})
"""Names some producers put in ``gen_ai.system`` that say which framework traced the span, not who served it."""

# The Vercel AI SDK names a provider and its API: ``openai.chat``, ``anthropic.messages``, ``azure-openai.chat``.
_API_SUFFIXES = (
    ".chat",
    ".responses",
    ".completion",
    ".completions",
    ".embedding",
    ".embeddings",
    ".messages",
    ".image",
    ".transcription",
    ".speech",
)


# Our names -> the provider ids of the ``genai-prices`` library, where they differ (enrich/cost.py).
_PRICES_IDS = {
    "gcp.gemini": "google",
    "gcp.gen_ai": "google",
    "gcp.vertex_ai": "google",
    "azure.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "aws.bedrock": "aws",
    "x_ai": "x-ai",
    "mistral_ai": "mistral",
}


def prices_provider_id(provider: str) -> str:
    """The ``genai-prices`` provider id for one of our provider names (unchanged where they agree)."""
    return _PRICES_IDS.get(provider, provider)


def normalize_provider(value: Any) -> str | None:
    """The well-known provider name for ``value``; unknown names lower-cased; None for none or a framework."""
    text = to_text(value)
    if not text:
        return None
    name = text.strip().lower().replace(" ", "_")
    if not name or name in FRAMEWORKS:
        return None
    if name in WELL_KNOWN:
        return name
    if name in _ALIASES:
        return _ALIASES[name]
    for suffix in _API_SUFFIXES:
        if name.endswith(suffix):
            return normalize_provider(name[: -len(suffix)])
    head = name.split(".", 1)[0]
    if head != name and (head in WELL_KNOWN or head in _ALIASES):
        return _ALIASES.get(head, head)
    return name


def first_provider(attrs: Mapping[str, Any], keys: Iterable[str]) -> str | None:
    """The first of ``keys`` whose value names a provider (frameworks and empty values are skipped)."""
    for key in keys:
        if key in attrs and (name := normalize_provider(attrs[key])) is not None:
            return name
    return None
