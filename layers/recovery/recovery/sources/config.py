"""Sources as configuration: `config/sources.yaml` entries (and admin API bodies) validated into
`SourceSpec`, and resolved into a `Connector` (the preset applied, the source's overrides merged).

A source with neither a preset nor a mapping is an intake-only source (it posts to `/v1/feedback` with
its API key) and has no connector. Errors name the bad key: `sources/2/mapping/score/type: ...`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from recovery.domain.classify import Thresholds
from recovery.sources.mapping import MappingSpec
from recovery.sources.presets import PRESETS
from recovery.sources.signatures import Scheme, parse_scheme

if TYPE_CHECKING:
    from recovery.sources.fetch import FetchStep

SOURCE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"


class ConfigError(ValueError):
    """A source's configuration is invalid; the message starts with the path of the bad key."""

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(f"{pointer}: {reason}" if pointer else reason)
        self.pointer = pointer
        self.reason = reason


class PageSpec(BaseModel):
    """The hosted page's settings (`/s/{id}`): the rating it asks for (NPS 0-10 unless set)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    score_type: Literal["nps", "csat", "stars"] = "nps"


class SourceSpec(BaseModel):
    """One source as configured. `signature` and `mapping` are kept as written (merged over the
    preset's and validated by `resolve`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=SOURCE_ID_PATTERN)
    name: str = Field(min_length=1, max_length=100)
    preset: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    signature: dict[str, Any] | None = None
    mapping: dict[str, Any] | None = None
    thresholds: Thresholds = Field(default_factory=Thresholds)
    page: PageSpec | None = None

    @property
    def page_settings(self) -> dict[str, Any] | None:
        """The hosted page's settings as the source item stores them, or None for the defaults."""
        return self.page.model_dump(mode="json") if self.page is not None else None

    @property
    def has_hook(self) -> bool:
        """Whether the source receives webhooks at `/v1/hooks/{id}` (it configures any of them)."""
        return bool(self.preset or self.mapping or self.signature or self.options)


@dataclass(frozen=True)
class Connector:
    """A resolved source: everything the hook route needs to verify and map a delivery."""

    source_id: str
    name: str
    preset: str | None
    signature: Scheme
    mapping: MappingSpec
    thresholds: Thresholds
    fetch: FetchStep | None = None  # the vendor-API fetch step (presets whose webhooks carry ids only)


def parse_sources(document: Any) -> list[SourceSpec]:
    """Validate a whole sources document (a list of sources), resolving every hook source so a bad
    signature or mapping is caught at load time. Raises `ConfigError` naming the key."""
    if document is None:
        return []
    if not isinstance(document, list):
        raise ConfigError("sources", "expected a list of sources")
    specs: list[SourceSpec] = []
    seen: set[str] = set()
    for index, entry in enumerate(document):
        spec = parse_source(entry, f"sources/{index}")
        if spec.id in seen:
            raise ConfigError(f"sources/{index}/id", f"{spec.id!r} is used twice")
        seen.add(spec.id)
        specs.append(spec)
    return specs


def parse_source(entry: Any, pointer: str = "source") -> SourceSpec:
    """One source (an admin API body, or one list entry), validated and, if it has a hook, resolved."""
    try:
        spec = SourceSpec.model_validate(entry)
    except ValidationError as error:
        raise _config_error(pointer, error) from None
    if spec.has_hook:
        resolve(spec, pointer)
    return spec


def resolve(spec: SourceSpec, pointer: str = "source") -> Connector:
    """The connector for `spec`: the preset's signature and mapping with the source's own keys merged
    over them (nested keys merge; a key set to null removes the preset's value)."""
    signature: dict[str, Any] | None = None
    mapping: dict[str, Any] | None = None
    fetch: FetchStep | None = None
    if spec.preset is not None:
        preset = PRESETS.get(spec.preset)
        if preset is None:
            known = ", ".join(sorted(PRESETS))
            raise ConfigError(f"{pointer}/preset", f"unknown preset {spec.preset!r} (known: {known})")
        try:
            built = preset.configure(dict(spec.options))
        except ValidationError as error:
            raise _config_error(f"{pointer}/options", error) from None
        except ValueError as error:
            where = getattr(error, "pointer", "options")
            raise ConfigError(f"{pointer}/{where}", str(getattr(error, "reason", error))) from None
        signature, mapping, fetch = built.signature, built.mapping, built.fetch
    elif spec.options:
        raise ConfigError(f"{pointer}/options", "options are for presets; this source has none")
    if spec.signature is not None:
        signature = merge(signature or {}, spec.signature)
    if spec.mapping is not None:
        mapping = merge(mapping or {}, spec.mapping)
    if signature is None:
        raise ConfigError(f"{pointer}/signature", "required: a hook source must be signed or use a URL token")
    if mapping is None:
        raise ConfigError(f"{pointer}/mapping", "required when there is no preset")
    try:
        scheme = parse_scheme(signature)
    except ValidationError as error:
        raise _config_error(f"{pointer}/signature", error) from None
    try:
        rules = MappingSpec.model_validate(mapping)
    except ValidationError as error:
        raise _config_error(f"{pointer}/mapping", error) from None
    return Connector(spec.id, spec.name, spec.preset, scheme, rules, spec.thresholds, fetch)


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` over `base`, recursively for nested mappings; a null in `override` removes the key."""
    merged = dict(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping) and key not in _REPLACED:
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# A value map or event table given by the source replaces the preset's whole table: merging them
# would keep words the team meant to drop.
_REPLACED = frozenset({"map", "events"})


def _config_error(pointer: str, error: ValidationError) -> ConfigError:
    first = error.errors()[0]
    parts = [str(part) for part in first["loc"]]
    message = str(first["msg"]).removeprefix("Value error, ")
    return ConfigError("/".join([pointer, *parts]), message)
