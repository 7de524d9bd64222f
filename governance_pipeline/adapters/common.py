"""Config pieces shared by adapters: the ``eventMapping`` model, compiled at load."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, PrivateAttr, create_model, field_validator

from governance_pipeline.config.models import StrictModel
from governance_pipeline.lake.schema import MAPPABLE_FIELDS
from governance_pipeline.mapping.event_mapping import EventMapping
from governance_pipeline.mapping.jsonpath import validate_path


class _EventMappingBase(StrictModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    _compiled: EventMapping | None = PrivateAttr(default=None)

    @field_validator("*")
    @classmethod
    def _path(cls, v: Any) -> Any:
        return validate_path(v) if v is not None else v

    def model_post_init(self, __context: Any) -> None:
        self._compiled = EventMapping({k: getattr(self, k) for k in self.model_fields_set})

    @property
    def compiled(self) -> EventMapping:
        assert self._compiled is not None
        return self._compiled


EventMappingConfig = create_model(  # type: ignore[call-overload]  # fields built from MAPPABLE_FIELDS
    "EventMappingConfig",
    __base__=_EventMappingBase,
    **dict.fromkeys(MAPPABLE_FIELDS, (str | None, None)),
)
