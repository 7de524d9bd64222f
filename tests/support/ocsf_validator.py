"""A strict OCSF event validator over the uncompiled schema source files (a test tool, not a runtime dependency).

It does by hand what the schema compilers do (see ``tests/fixtures/ocsf/README.md``): ``extends`` chains, ``$include``d
profiles (their attributes exist only when the profile is listed in ``metadata.profiles``), dictionary entries
deep-merged with local overrides, enum unions, primitive types with their regex/range/max_len, and the
``at_least_one`` / ``just_one`` constraints. ``validate(event)`` returns a list of error strings (empty: valid).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

VERSIONS = ("1.3.0", "1.8.0")  # the committed schema subsets (Security Lake's newest accepted, the marts')


def _schema_dir(version: str = "1.8.0") -> Path:
    """A committed OCSF API Activity subset (``tests/fixtures/ocsf/README.md`` says what and whence)."""
    return Path(__file__).resolve().parents[1] / "fixtures" / "ocsf" / version


_PLACEHOLDER_ENUMS = {"class_uid", "category_uid", "type_uid"}


def _merge_attr(base: dict, local: dict) -> dict:
    out = dict(base)
    for key, value in local.items():
        if key == "enum" and isinstance(out.get("enum"), dict):
            out["enum"] = {**out["enum"], **value}
        else:
            out[key] = value
    return out


class Schema:
    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else _schema_dir()
        # event classes by name (API Activity is events/application/api.json in 1.3.0, api_activity.json later)
        self.event_files = {
            json.loads(f.read_text())["name"]: str(f.relative_to(self.root))
            for f in (self.root / "events").rglob("*.json")
        }
        self.version = json.loads((self.root / "version.json").read_text())["version"]
        dictionary = json.loads((self.root / "dictionary.json").read_text())
        self.dictionary = dictionary["attributes"]
        self.types = dictionary["types"]["attributes"]
        self.categories = json.loads((self.root / "categories.json").read_text())["attributes"]
        self._items: dict[str, dict] = {}

    def _load(self, rel: str) -> dict:
        return json.loads((self.root / rel).read_text())

    def _attributes(self, raw: dict) -> dict[str, dict]:
        """Own attributes of one source file: included profiles first, then local entries on top."""
        attrs: dict[str, dict] = {}
        includes = raw.get("attributes", {}).get("$include", [])
        for inc in [includes] if isinstance(includes, str) else includes:
            prof = self._load(inc)
            notes = prof.get("annotations", {})
            for name, entry in prof.get("attributes", {}).items():
                # a profile's attributes exist only with the profile; a plain include (1.3.0's includes/) always
                attrs[name] = {**notes, **entry, "profile": prof["name"]} if "name" in prof else {**notes, **entry}
        for name, entry in raw.get("attributes", {}).items():
            if name != "$include":
                attrs[name] = _merge_attr(attrs.get(name, {}), entry)
        return attrs

    def item(self, name: str, is_event: bool = False) -> dict:
        """The resolved class or object: ``attributes`` (effective definitions), ``constraints``, ``category``."""
        key = ("event:" if is_event else "object:") + name
        if key in self._items:
            return self._items[key]
        raw = self._load(self.event_files[name] if is_event else f"objects/{name}.json")
        own = self._attributes(raw)
        if raw.get("extends"):
            parent = self.item(raw["extends"], is_event)
            attrs = {n: dict(d) for n, d in parent["local"].items()}
            for n, d in own.items():
                attrs[n] = _merge_attr(attrs.get(n, {}), d)
            constraints = raw.get("constraints", parent["constraints"])
            category = raw.get("category", parent["category"])
        else:
            attrs, constraints, category = own, raw.get("constraints", {}), raw.get("category")
        effective = {n: _merge_attr(self.dictionary.get(n, {}), d) for n, d in attrs.items()}
        resolved = {
            "local": attrs,
            "attributes": effective,
            "constraints": constraints or {},
            "category": category,
            "uid": raw.get("uid"),
        }
        self._items[key] = resolved
        return resolved


@lru_cache(maxsize=len(VERSIONS))
def default_schema(version: str = "1.8.0") -> Schema:
    return Schema(_schema_dir(version))


class _Checker:
    def __init__(self, schema: Schema, profiles: set[str]):
        self.schema = schema
        self.profiles = profiles
        self.errors: list[str] = []

    def err(self, path: str, msg: str) -> None:
        self.errors.append(f"{path or '<event>'}: {msg}")

    def check_object(self, value, item: dict, path: str) -> None:
        if not isinstance(value, dict):
            self.err(path, f"expected an object, got {type(value).__name__}")
            return
        attrs = item["attributes"]
        active = {n: d for n, d in attrs.items() if d.get("profile") is None or d["profile"] in self.profiles}
        for name, v in value.items():
            if name not in attrs:
                self.err(f"{path}.{name}".lstrip("."), "attribute_unknown")
            elif name not in active:
                self.err(
                    f"{path}.{name}".lstrip("."),
                    f"attribute_unknown (profile '{attrs[name]['profile']}' not in metadata.profiles)",
                )
            else:
                self.check_value(v, active[name], f"{path}.{name}".lstrip("."), name)
        for name, d in active.items():
            if d.get("requirement") == "required" and name not in value:
                self.err(f"{path}.{name}".lstrip("."), "required attribute missing")
        cons = item["constraints"]
        if "at_least_one" in cons and not any(k in value for k in cons["at_least_one"]):
            self.err(path, f"constraint at_least_one {cons['at_least_one']} not met")
        if "just_one" in cons and sum(k in value for k in cons["just_one"]) != 1:
            self.err(path, f"constraint just_one {cons['just_one']} not met")

    def check_value(self, value, d: dict, path: str, name: str) -> None:
        if value is None:
            self.err(path, "null value")
            return
        if d.get("is_array"):
            if not isinstance(value, list):
                self.err(path, "expected an array")
                return
            for i, v in enumerate(value):
                self.check_scalar_or_object(v, d, f"{path}[{i}]", name)
            return
        self.check_scalar_or_object(value, d, path, name)

    def check_scalar_or_object(self, value, d: dict, path: str, name: str) -> None:
        typ = d.get("type", "")
        if typ == "object":
            if not isinstance(value, dict):
                self.err(path, "expected an object")
        elif typ.endswith("_t"):
            self.check_primitive(value, typ, path)
            if "enum" in d and name not in _PLACEHOLDER_ENUMS and str(value) not in d["enum"]:
                self.err(path, f"value {value!r} not in enum {sorted(d['enum'])}")
        elif typ:
            self.check_object(value, self.schema.item(typ), path)
        else:
            self.err(path, "attribute has no type in the dictionary")

    def check_primitive(self, value, typ: str, path: str) -> None:
        chain = []
        t = typ
        while t and t not in chain:
            chain.append(t)
            t = self.schema.types.get(t, {}).get("type")
        base = chain[-1]
        ok = {
            "string_t": lambda v: isinstance(v, str),
            "integer_t": lambda v: isinstance(v, int) and not isinstance(v, bool) and -(2**31) <= v < 2**31,
            "long_t": lambda v: isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63,
            "float_t": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "boolean_t": lambda v: isinstance(v, bool),
            "json_t": lambda v: True,
        }.get(base)
        if ok is None:
            self.err(path, f"unknown primitive type {base}")
            return
        if not ok(value):
            self.err(path, f"expected {typ} ({base}), got {value!r}")
            return
        for t in chain:
            spec = self.schema.types.get(t, {})
            if "regex" in spec and isinstance(value, str) and not re.search(spec["regex"], value):
                self.err(path, f"{value!r} does not match the {t} pattern")
            if "max_len" in spec and isinstance(value, str) and len(value) > spec["max_len"]:
                self.err(path, f"longer than {spec['max_len']} ({t})")
            if "range" in spec and not (spec["range"][0] <= value <= spec["range"][1]):
                self.err(path, f"{value} outside {spec['range']} ({t})")
            if "values" in spec and value not in spec["values"]:
                self.err(path, f"{value!r} not one of {spec['values']} ({t})")


def _version_tuple(v: str) -> tuple:
    return tuple(int(x) if x.isdigit() else 0 for x in re.split(r"[.\-]", v)[:3])


def validate(event, class_name: str = "api_activity", schema: Schema | None = None) -> list[str]:
    """Every problem found in one OCSF event (a dict or JSON text) of the given class; empty when valid."""
    schema = schema or default_schema()
    if isinstance(event, (str, bytes)):
        try:
            event = json.loads(event)
        except ValueError as exc:
            return [f"<event>: not valid JSON: {exc}"]
    if not isinstance(event, dict):
        return ["<event>: expected a JSON object"]
    cls = schema.item(class_name, is_event=True)
    meta = event.get("metadata") if isinstance(event.get("metadata"), dict) else {}
    profiles = meta.get("profiles") or []
    checker = _Checker(schema, {p for p in profiles if isinstance(p, str)})
    known_profiles = {p.stem for p in (schema.root / "profiles").glob("*.json")}
    for p in profiles:
        if p not in known_profiles:
            checker.err("metadata.profiles", f"unknown profile {p!r}")
    checker.check_object(event, cls, "")
    category_uid = schema.categories[cls["category"]]["uid"]
    class_uid = category_uid * 1000 + cls["uid"]
    if event.get("category_uid") != category_uid:
        checker.err("category_uid", f"expected {category_uid}")
    if event.get("class_uid") != class_uid:
        checker.err("class_uid", f"expected {class_uid}")
    activity = event.get("activity_id")
    if isinstance(activity, int) and event.get("type_uid") != class_uid * 100 + activity:
        checker.err("type_uid", f"expected {class_uid * 100 + activity} (class_uid * 100 + activity_id)")
    version = meta.get("version")
    if isinstance(version, str) and _version_tuple(version) > _version_tuple(schema.version):
        checker.err("metadata.version", f"{version} is later than the schema {schema.version}")
    return checker.errors
