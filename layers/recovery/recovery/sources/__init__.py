"""Survey-tool connectors: a source is configuration (a signature scheme and a mapping), and presets
fill that configuration in for known tools. Pure code, no AWS: the hook route, storage and the delivery
log build on it.

- `config`: `SourceSpec`, `parse_sources`, `resolve` -> `Connector`
- `signatures`: `verify` and `sign` for HMAC schemes and URL tokens
- `mapping`: `read_body`, `document`, `apply` -> `Mapped`, `MappingError`
- `presets`: `PRESETS`
"""
