"""The ``http_polling`` config: the pull-config JSON shape verbatim, plus params, body, cursorParam,
hasMoreJsonPath and a few auth/retry knobs. Templates, JSONPaths and the cron are checked and compiled here,
once, when the sources file loads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, PrivateAttr, field_validator, model_validator

from governance_pipeline.adapters.common import EventMappingConfig
from governance_pipeline.adapters.http_polling import templates as tpl
from governance_pipeline.config.cron import Cron
from governance_pipeline.config.models import StrictModel
from governance_pipeline.http.retry import RetryConfig
from governance_pipeline.mapping.jsonpath import compile_path, compile_path_all, plain_steps, validate_path

TemplateStr = Annotated[str, AfterValidator(tpl.check)]
JsonPathStr = Annotated[str, AfterValidator(validate_path)]
AuthMode = Literal["bearer", "basic", "api_key", "oauth2_client_credentials", "none"]

# credential keys each authMode reads when the headers do not already carry the credential
AUTH_KEYS: dict[str, tuple[str, ...]] = {
    "bearer": ("token",),
    "basic": ("username", "password"),
    "api_key": ("apiKey",),
    "oauth2_client_credentials": ("clientId", "clientSecret"),
    "none": (),
}


class Compiled:
    """Templates and JSONPaths of one config, parsed once."""

    def __init__(self, c: HttpPollingConfig):
        self.url = tpl.parse(c.url)
        self.headers = {k: tpl.parse(v) for k, v in c.headers.items()}
        self.params = {k: tpl.parse(v) for k, v in c.params.items()}
        self.body = tpl.JsonTemplate.compile(c.body) if c.body is not None else None
        self.token_url = tpl.parse(c.tokenUrl) if c.tokenUrl else None
        self.events: Callable[[Any], list] = compile_path_all(c.eventsJsonPath)
        self.cursor: Callable[[Any], Any] | None = compile_path(c.cursorJsonPath) if c.cursorJsonPath else None
        self.has_more: Callable[[Any], Any] | None = compile_path(c.hasMoreJsonPath) if c.hasMoreJsonPath else None
        # The same three paths as object keys, when each is a plain path of keys (None where one is not).
        steps = [plain_steps(p) if p else [] for p in (c.eventsJsonPath, c.cursorJsonPath, c.hasMoreJsonPath)]
        keys_only = all(s is not None and all(type(k) is str for k in s) for s in steps)
        self.key_paths: tuple[list[str], list[str] | None, list[str] | None] | None = (
            (
                _keys(steps[0]),
                _keys(steps[1]) if c.cursorJsonPath else None,
                _keys(steps[2]) if c.hasMoreJsonPath else None,
            )
            if keys_only
            else None
        )
        names: set[str] = set(self.url.names)
        for t in (*self.headers.values(), *self.params.values()):
            names.update(t.names)
        if self.body is not None:
            names |= self.body.names()
        self.names = names
        self.cursor_in_template = "cursor" in names
        self.has_window = "window.start" in names or "window.end" in names
        lowered = {k.lower() for k in c.headers}
        self.header_has_auth = ("authorization" in lowered) or (
            c.apiKeyHeader.lower() in lowered and c.authMode == "api_key"
        )


def _keys(steps: Sequence[str | int] | None) -> list[str]:
    """Steps already checked to be object keys."""
    return [str(s) for s in steps or ()]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class HttpPollingConfig(StrictModel):
    adapter: Literal["http_polling"] | None = None
    url: TemplateStr = Field(min_length=1)
    method: Literal["GET", "POST"] = "GET"
    headers: dict[str, TemplateStr] = Field(default_factory=dict)
    params: dict[str, TemplateStr] = Field(default_factory=dict)
    body: Any = None
    authMode: AuthMode = "none"
    apiKeyHeader: str = Field(default="X-API-Key", min_length=1)
    tokenUrl: TemplateStr | None = None
    scope: str | None = None
    credentialRef: str | None = None
    cursorJsonPath: JsonPathStr | None = None
    cursorParam: str = Field(default="cursor", min_length=1)
    eventsJsonPath: JsonPathStr
    hasMoreJsonPath: JsonPathStr | None = None
    schedule: Cron | None = None
    eventMapping: EventMappingConfig
    retry: RetryConfig = Field(default_factory=RetryConfig)
    _compiled: Compiled | None = PrivateAttr(default=None)

    @field_validator("headers", "params", mode="before")
    @classmethod
    def _scalars(cls, v: Any) -> Any:
        # YAML reads `anthropic-version: 2023-06-01` as a date and `limit: 100` as an int: send them as text
        if isinstance(v, dict):
            return {k: x if isinstance(x, (str, dict, list)) or x is None else _text(x) for k, x in v.items()}
        return v

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.upper() if isinstance(v, str) else v

    @field_validator("body")
    @classmethod
    def _body(cls, v: Any) -> Any:
        for path, text in tpl.walk_json(v):
            try:
                tpl.parse(text)
            except tpl.TemplateError as exc:
                raise ValueError(
                    f"{exc} (at body{'.' + path if path and not path.startswith('[') else path})"
                ) from None
        return v

    @model_validator(mode="after")
    def _cross(self) -> HttpPollingConfig:
        if self.body is not None and self.method != "POST":
            raise ValueError("body is only sent with method POST")
        if self.authMode == "oauth2_client_credentials" and not self.tokenUrl:
            raise ValueError("authMode oauth2_client_credentials needs tokenUrl")
        return self

    def model_post_init(self, __context: Any) -> None:
        self._compiled = Compiled(self)

    @property
    def compiled(self) -> Compiled:
        assert self._compiled is not None
        return self._compiled

    def credential_keys(self) -> dict[str, str]:
        """Credential keys this config reads -> the key path that reads them (for load-time checks)."""
        c = self.compiled
        out: dict[str, str] = {}
        fields = [
            ("url", c.url),
            *((f"headers.{k}", t) for k, t in c.headers.items()),
            *((f"params.{k}", t) for k, t in c.params.items()),
        ]
        if c.token_url is not None:
            fields.append(("tokenUrl", c.token_url))
        for where, t in fields:
            for name in t.names:
                if name.startswith("credentials."):
                    out.setdefault(name.split(".", 1)[1], where)
        if c.body is not None:
            for name in c.body.names():
                if name.startswith("credentials."):
                    out.setdefault(name.split(".", 1)[1], "body")
        if not c.header_has_auth or self.authMode == "oauth2_client_credentials":
            for key in AUTH_KEYS[self.authMode]:
                out.setdefault(key, "authMode")
        return out
