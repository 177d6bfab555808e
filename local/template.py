"""Reading `template.yaml`: SAM expansion, then the parts the runtime acts on.

aws-sam-translator (what `sam validate` runs) expands the SAM shorthand, so routes, schedules, rules and
event source mappings come out as plain CloudFormation, exactly as AWS would deploy them. Nothing here is
registered twice: the runtime only reads what the expansion declares.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

_LOCAL_BUCKET = "local"
_INTEGRATION_FUNCTION = re.compile(r"\$\{([A-Za-z0-9]+)\.Arn\}")
# With AutoPublishAlias the integration invokes the alias: `${<Function>Alias<name>}`.
_INTEGRATION_ALIAS = re.compile(r"\$\{([A-Za-z0-9]+)\}/invocations")
_HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
_ANY_METHOD = "x-amazon-apigateway-any-method"


class TemplateError(ValueError):
    """The template asks for something the embedded runtime cannot do."""


@dataclass(frozen=True)
class FunctionDef:
    logical_id: str
    properties: dict[str, Any]
    code_dir: Path
    handler: str
    layer_dirs: tuple[Path, ...]

    @property
    def timeout(self) -> int:
        return int(self.properties.get("Timeout", 3))

    @property
    def memory(self) -> int:
        return int(self.properties.get("MemorySize", 128))

    @property
    def environment(self) -> dict[str, Any]:
        return dict(self.properties.get("Environment", {}).get("Variables", {}))


@dataclass(frozen=True)
class RouteDef:
    """One HttpApi route: `method` is upper case or ANY; `path` is an OpenAPI path or `$default`."""

    method: str
    path: str
    function: str
    authorizer: str | None = None
    scopes: tuple[str, ...] = ()

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True)
class HttpApiDef:
    logical_id: str
    routes: tuple[RouteDef, ...]
    # name -> the OpenAPI `x-amazon-apigateway-authorizer` object (still unresolved)
    authorizers: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Template:
    path: Path
    resources: dict[str, dict[str, Any]]
    parameters: dict[str, Any]
    functions: dict[str, FunctionDef]
    apis: list[HttpApiDef]
    conditions: dict[str, bool] = field(default_factory=dict)

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Properties of every resource of `resource_type`, by logical id, in template order."""
        return {
            logical_id: resource.get("Properties", {})
            for logical_id, resource in self.resources.items()
            if resource.get("Type") == resource_type
        }


def load(path: Path, region: str, parameters: dict[str, Any] | None = None) -> Template:
    """Expand the SAM template at `path` and pick out what the runtime serves. `parameters` override the
    defaults of those the template declares (the runtime sets a demo ReplyDomain)."""
    raw = yaml_parse(path.read_text(encoding="utf-8"))
    _point_code_at_local_bucket(raw, path.parent)
    previous_region = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region  # the translator reads the region from here
    try:
        expanded = transform(raw, {}, _NoManagedPolicies())
    finally:
        if previous_region is not None:
            os.environ["AWS_DEFAULT_REGION"] = previous_region
    defaults = {
        name: spec.get("Default")
        for name, spec in expanded.get("Parameters", {}).items()
        if isinstance(spec, dict)
    }
    overrides = {name: value for name, value in (parameters or {}).items() if name in defaults}
    parameters = {**defaults, **overrides}
    conditions = _conditions(expanded.get("Conditions", {}), parameters)
    # A resource whose condition is false with the parameters' values does not exist here either.
    resources: dict[str, dict[str, Any]] = {
        logical_id: resource
        for logical_id, resource in expanded.get("Resources", {}).items()
        if conditions.get(resource.get("Condition", ""), True)
    }
    base = path.parent
    layers = {
        logical_id: _local_path(base, props.get("Content"), logical_id)
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::Lambda::LayerVersion"
        for props in [resource.get("Properties", {})]
    }
    functions = {
        logical_id: _function(logical_id, resource.get("Properties", {}), base, layers)
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::Lambda::Function"
    }
    # Aliases (AutoPublishAlias) run their function's code: the runtime has no versions.
    aliases = {
        logical_id: resource["Properties"]["FunctionName"]["Ref"]
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::Lambda::Alias"
        and isinstance(resource.get("Properties", {}).get("FunctionName"), dict)
        and "Ref" in resource["Properties"]["FunctionName"]
    }
    apis = [
        _http_api(logical_id, resource.get("Properties", {}), aliases)
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::ApiGatewayV2::Api"
    ]
    return Template(path, resources, parameters, functions, apis, conditions)


def _conditions(declared: dict[str, Any], parameters: dict[str, Any]) -> dict[str, bool]:
    """Every condition of the template, evaluated with the parameters' defaults."""
    values: dict[str, bool] = {}

    def value(expression: Any) -> Any:
        if not isinstance(expression, dict) or len(expression) != 1:
            return expression
        (key, argument), *_ = expression.items()
        if key == "Ref":
            if argument not in parameters:
                raise TemplateError(f"a condition refers to {argument}, which is not a parameter")
            return parameters[argument]
        if key == "Condition":
            return condition(argument)
        if key == "Fn::Equals":
            left, right = (value(item) for item in argument)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not value(argument[0])
        if key == "Fn::And":
            return all(value(item) for item in argument)
        if key == "Fn::Or":
            return any(value(item) for item in argument)
        raise TemplateError(f"{key} in a condition is not supported by the embedded runtime")

    def condition(name: str) -> bool:
        if name not in values:
            if name not in declared:
                raise TemplateError(f"no condition named {name}")
            values[name] = bool(value(declared[name]))
        return values[name]

    for name in declared:
        condition(name)
    return values


class _NoManagedPolicies:
    """The translator asks for IAM managed policy ARNs; locally there are none to look up."""

    def load(self) -> dict[str, str]:
        return {}


def _point_code_at_local_bucket(raw: dict[str, Any], base: Path) -> None:
    """The translator wants S3 URIs for code; the key keeps the local path so it can be read back.

    Keys are relative to the template's directory (the translator drops a leading slash).
    """
    sections = [resource.get("Properties", {}) for resource in raw.get("Resources", {}).values()]
    sections += [raw.get("Globals", {}).get("Function", {})]
    for properties in sections:
        for key in ("CodeUri", "ContentUri"):
            value = properties.get(key)
            if isinstance(value, str) and not value.startswith("s3://"):
                relative = os.path.relpath(base / value, base).replace(os.sep, "/")
                properties[key] = f"s3://{_LOCAL_BUCKET}/{relative}"


def _local_path(base: Path, location: Any, logical_id: str) -> Path:
    if not isinstance(location, dict) or location.get("S3Bucket") != _LOCAL_BUCKET:
        raise TemplateError(f"{logical_id}: only local code paths (CodeUri/ContentUri) can run locally")
    return (base / location["S3Key"]).resolve()


def _function(
    logical_id: str, properties: dict[str, Any], base: Path, layers: dict[str, Path]
) -> FunctionDef:
    layer_dirs = []
    for layer in properties.get("Layers", []):
        # Layers given as ARNs (the public Powertools layer) come from the local virtualenv instead.
        if isinstance(layer, dict) and layer.get("Ref") in layers:
            layer_dirs.append(layers[layer["Ref"]])
    return FunctionDef(
        logical_id=logical_id,
        properties=properties,
        code_dir=_local_path(base, properties.get("Code"), logical_id),
        handler=str(properties.get("Handler", "")),
        layer_dirs=tuple(layer_dirs),
    )


def _http_api(logical_id: str, properties: dict[str, Any], aliases: dict[str, str]) -> HttpApiDef:
    body = properties.get("Body") or {}
    routes = []
    for path, operations in body.get("paths", {}).items():
        for key, operation in operations.items():
            if key == _ANY_METHOD:
                method = "ANY"
            elif key in _HTTP_METHODS:
                method = key.upper()
            else:
                continue
            function = _integration_function(operation.get("x-amazon-apigateway-integration", {}), aliases)
            if function is None:
                continue
            authorizer, scopes = _security(operation.get("security"))
            routes.append(RouteDef(method, path, function, authorizer, scopes))
    schemes = body.get("components", {}).get("securitySchemes", {})
    authorizers = {
        name: copy.deepcopy(scheme["x-amazon-apigateway-authorizer"])
        for name, scheme in schemes.items()
        if "x-amazon-apigateway-authorizer" in scheme
    }
    return HttpApiDef(logical_id, tuple(routes), authorizers)


def _integration_function(integration: dict[str, Any], aliases: dict[str, str]) -> str | None:
    uri = integration.get("uri")
    text = uri.get("Fn::Sub") if isinstance(uri, dict) else uri
    if isinstance(text, list):
        text = text[0]
    match = _INTEGRATION_FUNCTION.search(text or "")
    if match:
        return match.group(1)
    alias = _INTEGRATION_ALIAS.search(text or "")
    return aliases.get(alias.group(1)) if alias else None


def _security(requirements: Any) -> tuple[str | None, tuple[str, ...]]:
    for requirement in requirements or []:
        for name, scopes in requirement.items():
            if name != "NONE":
                return name, tuple(scopes or ())
    return None, ()
