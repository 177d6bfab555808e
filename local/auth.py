"""The HttpApi's JWT authorizers, enforced locally the way API Gateway enforces them.

A route that names a JWT authorizer in template.yaml is checked before its function runs, with the
authorizer's own issuer and audience (intrinsics resolved to this runtime's pool and client):
- the token comes from the identity source header, alone or after `Bearer `;
- its signature is RS256 by the runtime's own signing key, named by `kid` (`SigningKey`, below);
- `iss` equals the issuer; `aud` (ID tokens) or `client_id` (access tokens) is one of the audiences;
- `exp` is in the future and `nbf`/`iat` are not, by the real wall clock: moto stamps tokens with real
  time and API Gateway checks them by real time, so moving the virtual clock days ahead must not end a
  session that signed in a minute ago.
Any failure is 401 `{"message":"Unauthorized"}`; a route's scopes the token lacks are 403. A passed
request carries `requestContext.authorizer.jwt` as API Gateway's payload 2.0 does: every claim value a
string, arrays flattened to "[a b]", objects as JSON text, null claims left out; `scopes` is null
unless the route declares scopes. Tokens are never logged.

moto's Cognito signs every pool's tokens with one fixed key whose private half ships with moto
(`cognitoidp/resources/jwks-private.json`), so anyone could sign a token it accepts, admin group
included. The runtime therefore signs with a key pair of its own instead: generated for each state
directory and kept there (`signing-key.pem`, mode 0600), or generated afresh for each run without
`--state`. moto's Cognito is made to sign with it (`sign_cognito_tokens_with`), and the authorizers
trust it alone, never moto's key.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeyParameters, KeySet, RSAKey

from local.http_api import Authorizer, Forbidden, Unauthorized
from local.refs import Names, resolve
from local.server import allow_all
from local.template import HttpApiDef, RouteDef, TemplateError

log = logging.getLogger(__name__)

ALGORITHMS = ("RS256",)
_HEADER_SOURCE = "$request.header."
_BEARER = "bearer"
# Which claim names the audience, by Cognito's token_use; a token without token_use may use either.
_AUDIENCE_CLAIM = {"id": "aud", "access": "client_id"}


KEY_FILE = "signing-key.pem"


def _key_parameters() -> KeyParameters:
    return {"alg": "RS256", "use": "sig"}


@dataclass(frozen=True)
class SigningKey:
    """The RSA key pair the runtime's tokens are signed with; its `kid` is the key's thumbprint."""

    private: RSAKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(RSAKey.generate_key(2048, parameters=_key_parameters(), private=True, auto_kid=True))

    @classmethod
    def from_pem(cls, pem: bytes) -> SigningKey:
        key = RSAKey.import_key(pem, parameters=_key_parameters())
        if not key.is_private:
            raise ValueError("not a private key")
        key.ensure_kid()
        return cls(key)

    @classmethod
    def for_state(cls, directory: Path | None) -> SigningKey:
        """The state directory's key, made on first use; a fresh one for a run without a state."""
        if directory is None:
            return cls.generate()
        path = directory / KEY_FILE
        if not path.exists():
            key = cls.generate()
            _write_private(path, key.private.as_pem(private=True))
            log.info("new token signing key in %s", path)
            return key
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("%s could be read by others (mode %o); made 0600", path, mode)
            path.chmod(0o600)
        try:
            return cls.from_pem(path.read_bytes())
        except (ValueError, TypeError, JoseError) as error:
            raise ValueError(
                f"{path} is not an RSA private key ({error}); remove it to make a new one "
                "(tokens signed with the old one stop working)"
            ) from None

    @property
    def kid(self) -> str:
        return str(self.private.kid)

    def public(self) -> dict[str, Any]:
        """The public half as a JWK."""
        return dict(self.private.as_dict(private=False))

    def key_set(self) -> KeySet:
        """What the authorizers trust: this key's public half, and nothing else."""
        return KeySet([RSAKey.import_key(self.public())])

    def sign(self, header: dict[str, Any], claims: dict[str, Any]) -> str:
        return jwt.encode({**header, "alg": "RS256", "kid": self.kid}, claims, self.private)


def _write_private(path: Path, data: bytes) -> None:
    """Write a secret whole (temporary file, fsync, rename, fsync of the directory), mode 0600 throughout."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    descriptor = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class _CognitoSigner:
    """Stands in for joserfc's `jwt` module inside moto's Cognito models, whose one use of it is
    signing a token (`create_jwt`): the header's kid and moto's own key are replaced by ours."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key

    def encode(self, header: dict[str, Any], claims: dict[str, Any], *_: Any, **__: Any) -> str:
        return self.key.sign(header, claims)


def sign_cognito_tokens_with(key: SigningKey) -> None:
    """Make moto's Cognito sign every token with `key`, and its server's `jwks.json` publish it."""
    from moto.cognitoidp import models, responses

    models.jwt = _CognitoSigner(key)  # type: ignore[assignment]
    responses.CognitoIdpJsonWebKeyResponse.json_web_key = json.dumps({"keys": [key.public()]}).encode()


@dataclass(frozen=True)
class JwtAuthorizer:
    name: str
    issuer: str
    audience: frozenset[str]
    header: str  # the identity source's header, lower case as in the event
    keys: KeySet
    wall_clock: Callable[[], float] = field(default=time.time)

    @classmethod
    def from_definition(
        cls, name: str, definition: dict[str, Any], keys: KeySet, wall_clock: Callable[[], float] = time.time
    ) -> JwtAuthorizer:
        """From a resolved `x-amazon-apigateway-authorizer` object of type jwt."""
        configuration = definition.get("jwtConfiguration") or {}
        issuer = configuration.get("issuer")
        audience = configuration.get("audience") or []
        if not isinstance(issuer, str) or not issuer:
            raise TemplateError(f"{name}: a JWT authorizer needs jwtConfiguration.issuer")
        if isinstance(audience, str):
            audience = [audience]
        if not audience:
            raise TemplateError(f"{name}: a JWT authorizer needs at least one jwtConfiguration.audience")
        return cls(name, issuer, frozenset(map(str, audience)), _header(name, definition), keys, wall_clock)

    def __call__(self, route: RouteDef, event: dict[str, Any]) -> dict[str, Any]:
        try:
            claims = self.verify(_token((event.get("headers") or {}).get(self.header)))
        except Unauthorized as refusal:
            log.info("%s refused %s: %s", self.name, route.route_key, refusal)
            raise
        granted = _scopes(claims)
        if route.scopes and not set(route.scopes) & set(granted):
            log.info("%s refused %s: the token has none of the route's scopes", self.name, route.route_key)
            raise Forbidden("insufficient scope")
        return {"jwt": {"claims": claim_strings(claims), "scopes": granted if route.scopes else None}}

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims if it passes every check; Unauthorized (with a reason) if not."""
        try:
            decoded = jwt.decode(token, self.keys, algorithms=ALGORITHMS)
        except (JoseError, ValueError, TypeError) as error:
            raise Unauthorized(f"the token does not verify ({type(error).__name__})") from None
        if not decoded.header.get("kid"):
            raise Unauthorized("the token names no signing key")
        claims = decoded.claims
        if claims.get("iss") != self.issuer:
            raise Unauthorized("the token is from another issuer")
        if not self.audience & _audiences(claims):
            raise Unauthorized("the token is for another audience")
        self._check_times(claims)
        return claims

    def _check_times(self, claims: dict[str, Any]) -> None:
        now = self.wall_clock()
        expires = claims.get("exp")
        if not _is_time(expires):
            raise Unauthorized("the token has no expiry")
        if expires <= now:
            raise Unauthorized("the token has expired")
        for name in ("nbf", "iat"):
            value = claims.get(name)
            if value is not None and (not _is_time(value) or value > now):
                raise Unauthorized(f"the token's {name} is in the future")


def build_authorizers(apis: Iterable[HttpApiDef], names: Names, keys: KeySet) -> dict[str, Authorizer]:
    """One check per authorizer the template declares, trusting `keys` only; types the runtime does
    not know stay open."""
    authorizers: dict[str, Authorizer] = {}
    for api in apis:
        for name, definition in api.authorizers.items():
            kind = str(definition.get("type", "")).lower()
            if kind != "jwt":
                log.warning("%s: %s authorizers are not enforced locally; its routes are open", name, kind)
                authorizers[name] = allow_all
                continue
            resolved = resolve(definition, names)
            authorizer = JwtAuthorizer.from_definition(name, resolved, keys)
            if not authorizer.issuer.startswith("https://cognito-idp."):
                log.warning("%s: only the local Cognito's tokens verify, not %s's", name, authorizer.issuer)
            authorizers[name] = authorizer
    return authorizers


def claim_strings(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as API Gateway hands them to a payload 2.0 function."""
    return {name: _text(value) for name, value in claims.items() if value is not None}


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_text(item) for item in value if item is not None) + "]"
    return json.dumps(value, separators=(",", ":"))  # numbers as written; objects as JSON text


def _header(name: str, definition: dict[str, Any]) -> str:
    source = definition.get("identitySource", "$request.header.Authorization")
    sources = [source] if isinstance(source, str) else list(source)
    if len(sources) != 1 or not str(sources[0]).startswith(_HEADER_SOURCE):
        raise TemplateError(f"{name}: a JWT authorizer reads one request header ({_HEADER_SOURCE}<name>)")
    return str(sources[0]).removeprefix(_HEADER_SOURCE).lower()


def _token(value: str | None) -> str:
    """The token alone, or after `Bearer ` (any case); anything else is no token."""
    words = (value or "").split()
    if words and words[0].lower() == _BEARER:
        words = words[1:]
    if len(words) != 1:
        raise Unauthorized("no token")
    return words[0]


def _audiences(claims: dict[str, Any]) -> set[str]:
    token_use = claims.get("token_use")
    if token_use is None:
        names: tuple[str, ...] = ("aud", "client_id")
    elif token_use in _AUDIENCE_CLAIM:
        names = (_AUDIENCE_CLAIM[token_use],)
    else:
        raise Unauthorized("the token is neither an ID token nor an access token")
    found: set[str] = set()
    for name in names:
        value = claims.get(name)
        found.update(value if isinstance(value, list) else [value] if isinstance(value, str) else [])
    return {str(item) for item in found}


def _scopes(claims: dict[str, Any]) -> list[str]:
    """`scope` (space-separated) or `scp` (a list or a space-separated string), as API Gateway reads them."""
    value = claims.get("scope", claims.get("scp"))
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(item) for item in value]
    return []


def _is_time(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
