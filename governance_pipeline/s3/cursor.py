"""The key cursor of an S3 drop: the lexicographic-max key, plus an overlap that catches late files.

Text form (what the pipeline commits): ``{"v": 1, "max": <greatest key ingested>, "seen": {<key>: <etag>}}``
where ``seen`` holds the ``overlap`` greatest keys ingested. Each run lists from the smallest key in ``seen``
(the *floor*) and takes every key above it that is not in ``seen`` (or whose ETag changed). So a file written
late under a key smaller than ``max`` is still ingested as long as it sorts above the floor. A plain string
(the seed's original cursor, just the max key) is read as ``{"max": <it>, "seen": {}}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from governance_pipeline.s3.listing import ObjectInfo

DEFAULT_OVERLAP = 200
ETAG_CHARS = 16  # enough to tell versions apart; keeps the cursor small


@dataclass
class KeyCursor:
    overlap: int = DEFAULT_OVERLAP
    max_key: str | None = None
    seen: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str | None, overlap: int = DEFAULT_OVERLAP) -> KeyCursor:
        if not text:
            return cls(overlap)
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict) or data.get("v") != 1:
            return cls(overlap, max_key=text)  # a bare key: the seed's lexicographic-max cursor
        seen = {str(k): str(v) for k, v in (data.get("seen") or {}).items()}
        return cls(overlap, max_key=data.get("max"), seen=seen)

    def dump(self) -> str:
        self._trim()
        return json.dumps({"v": 1, "max": self.max_key, "seen": dict(sorted(self.seen.items()))}, separators=(",", ":"))

    @property
    def floor(self) -> str | None:
        """List after this key; every ingested key above it is in ``seen``."""
        if self.seen:
            return min(self.seen)
        return self.max_key

    def is_new(self, obj: ObjectInfo) -> bool:
        floor = self.floor
        if floor is not None and obj.key <= floor and obj.key not in self.seen:
            return False
        return self.seen.get(obj.key) != obj.etag[:ETAG_CHARS]

    def record(self, key: str, etag: str) -> None:
        self.seen[key] = etag[:ETAG_CHARS]
        if self.max_key is None or key > self.max_key:
            self.max_key = key
        if len(self.seen) > 2 * self.overlap:
            self._trim()

    def _trim(self) -> None:
        # Dropping the smallest keys raises the floor and keeps the invariant: every ingested key above the
        # floor is still in ``seen``.
        if len(self.seen) > self.overlap:
            for key in sorted(self.seen)[: len(self.seen) - self.overlap]:
                del self.seen[key]
