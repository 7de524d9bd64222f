"""The ``http_polling`` config: the pull-config JSON shape verbatim, plus params, body, cursorParam,
hasMoreJsonPath and a few auth/retry knobs, or instead of the flat paging/auth keys the ``paginator`` and ``auth``
objects keyed by ``type``. Templates, JSONPaths and the cron are checked and compiled here, once, when the
sources file loads; the flat keys are converted to ``paginator``/``auth`` on load."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, Union

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


PAGING_KEYS = ("cursorJsonPath", "cursorParam", "hasMoreJsonPath")
AUTH_FLAT_KEYS = ("authMode", "apiKeyHeader", "tokenUrl", "scope")


class CursorPaging(StrictModel):
    """A ``Link: rel=next`` header wins; else the value at ``cursorPath``: an absolute URL there is followed as
    the next page, anything else is sent as ``cursorParam`` (or fills ``${{cursor}}``). The committed cursor
    follows docs/http_polling.md "Cursor guarantee". Without ``cursorPath`` only the Link header pages."""

    type: Literal["cursor"]
    cursorPath: JsonPathStr | None = None
    cursorParam: str = Field(default="cursor", min_length=1)
    hasMorePath: JsonPathStr | None = None


class LinkHeaderPaging(StrictModel):
    """The ``Link: <...>; rel="next"`` URL (the cursor rules of ``cursor`` paging, with no body cursor)."""

    type: Literal["link_header"]


class JsonLinkPaging(StrictModel):
    """A next-page URL at ``nextUrlPath`` (the cursor rules of ``cursor`` paging; the URL is the cursor)."""

    type: Literal["json_link"]
    nextUrlPath: JsonPathStr


class OffsetPaging(StrictModel):
    """``offsetParam``/``limitParam``; stops on a short or empty page or at the number at ``totalPath``."""

    type: Literal["offset"]
    limit: int = Field(ge=1)
    offsetParam: str = Field(default="offset", min_length=1)
    limitParam: str = Field(default="limit", min_length=1)
    totalPath: JsonPathStr | None = None


class PageNumberPaging(StrictModel):
    """``pageParam`` counting from ``basePage``; stops on an empty page or after ``totalPagesPath`` pages."""

    type: Literal["page_number"]
    pageParam: str = Field(default="page", min_length=1)
    basePage: int = Field(default=1, ge=0)
    totalPagesPath: JsonPathStr | None = None


class SinglePaging(StrictModel):
    type: Literal["single_page"]


PaginatorConfig = Annotated[
    Union[CursorPaging, LinkHeaderPaging, JsonLinkPaging, OffsetPaging, PageNumberPaging, SinglePaging],  # noqa: UP007
    Field(discriminator="type"),
]


class BearerAuth(StrictModel):
    type: Literal["bearer"]


class BasicAuth(StrictModel):
    type: Literal["basic"]


class ApiKeyAuth(StrictModel):
    type: Literal["api_key"]
    header: str = Field(default="X-API-Key", min_length=1)


class OAuth2Auth(StrictModel):
    type: Literal["oauth2_client_credentials"]
    tokenUrl: TemplateStr
    scope: str | None = None


class NoAuth(StrictModel):
    type: Literal["none"]


AuthConfig = Annotated[
    Union[BearerAuth, BasicAuth, ApiKeyAuth, OAuth2Auth, NoAuth],  # noqa: UP007
    Field(discriminator="type"),
]


class Compiled:
    """Templates and JSONPaths of one config, parsed once."""

    def __init__(self, c: HttpPollingConfig):
        self.url = tpl.parse(c.url)
        self.headers = {k: tpl.parse(v) for k, v in c.headers.items()}
        self.params = {k: tpl.parse(v) for k, v in c.params.items()}
        self.body = tpl.JsonTemplate.compile(c.body) if c.body is not None else None
        self.token_url = tpl.parse(c.token_url) if c.token_url else None
        self.events: Callable[[Any], list] = compile_path_all(c.eventsJsonPath)
        # body values the paginator reads, by name, at their JSON paths
        paging = c.paging
        value_paths: dict[str, str | None] = {}
        if isinstance(paging, CursorPaging):
            value_paths = {"next": paging.cursorPath, "has_more": paging.hasMorePath}
        elif isinstance(paging, JsonLinkPaging):
            value_paths = {"next": paging.nextUrlPath}
        elif isinstance(paging, OffsetPaging):
            value_paths = {"total": paging.totalPath}
        elif isinstance(paging, PageNumberPaging):
            value_paths = {"total_pages": paging.totalPagesPath}
        paths = {name: p for name, p in value_paths.items() if p}
        self.values: dict[str, Callable[[Any], Any]] = {name: compile_path(p) for name, p in paths.items()}
        self.cursor: Callable[[Any], Any] | None = self.values.get("next")
        self.has_more: Callable[[Any], Any] | None = self.values.get("has_more")
        # The same paths as object keys, when each is a plain path of keys (None where one is not).
        events_steps = plain_steps(c.eventsJsonPath)
        steps = {name: plain_steps(p) for name, p in paths.items()}
        keys_only = all(s is not None and all(type(k) is str for k in s) for s in (events_steps, *steps.values()))
        self.key_paths: tuple[list[str], dict[str, list[str]]] | None = (
            (_keys(events_steps), {name: _keys(s) for name, s in steps.items()}) if keys_only else None
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
            c.api_key_header.lower() in lowered and c.auth_mode == "api_key"
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
    maxPages: int = Field(default=100_000, ge=1)  # per run; a server inventing cursors forever ends here
    maxRunSeconds: float = Field(default=6 * 3600.0, gt=0)  # time budget of one run's paging
    paginator: PaginatorConfig | None = None
    auth: AuthConfig | None = None
    _compiled: Compiled | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _one_way(cls, data: Any) -> Any:
        """The flat paging/auth keys and the ``paginator``/``auth`` objects are two spellings: not both."""
        if isinstance(data, dict):
            for new, flat in (("paginator", PAGING_KEYS), ("auth", AUTH_FLAT_KEYS)):
                both = [k for k in flat if k in data]
                if new in data and both:
                    raise ValueError(f"give either {new} or {', '.join(both)}, not both")
        return data

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

    # The flat keys and the typed ``paginator``/``auth`` objects are two spellings of one setting (``_one_way``
    # refuses both): what the engine and ``auth.py`` read is derived from whichever was written.

    @property
    def paging(
        self,
    ) -> CursorPaging | LinkHeaderPaging | JsonLinkPaging | OffsetPaging | PageNumberPaging | SinglePaging:
        if self.paginator is not None:
            return self.paginator
        return CursorPaging(
            type="cursor",
            cursorPath=self.cursorJsonPath,
            cursorParam=self.cursorParam,
            hasMorePath=self.hasMoreJsonPath,
        )

    @property
    def auth_mode(self) -> AuthMode:
        return self.auth.type if self.auth is not None else self.authMode

    @property
    def api_key_header(self) -> str:
        return self.auth.header if isinstance(self.auth, ApiKeyAuth) else self.apiKeyHeader

    @property
    def token_url(self) -> str | None:
        return self.auth.tokenUrl if isinstance(self.auth, OAuth2Auth) else self.tokenUrl

    @property
    def oauth_scope(self) -> str | None:
        return self.auth.scope if isinstance(self.auth, OAuth2Auth) else self.scope

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
        if not c.header_has_auth or self.auth_mode == "oauth2_client_credentials":
            for key in AUTH_KEYS[self.auth_mode]:
                out.setdefault(key, "auth" if self.auth is not None else "authMode")
        return out
