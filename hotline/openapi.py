"""The OpenAPI 3.1 document, generated from the route table and the pydantic shapes."""
from __future__ import annotations

import re

from hotline.endpoints import NONBLANK_PATTERN, TEXT_PATTERN, Endpoint

# Printable characters once surrounding whitespace is trimmed (tickets.views.idempotency_key).
_UNPRINTABLE = "\\x00-\\x1f\\x7f-\\xa0\\xad\\u2028\\u2029\\u200b-\\u200f\\u2060-\\u206f\\ufeff"
KEY_PATTERN = f"^\\s*[^\\s{_UNPRINTABLE}]([^{_UNPRINTABLE}]*[^\\s{_UNPRINTABLE}])?\\s*$"

ERROR_SCHEMA = {
    "type": "object",
    "required": ["message", "details"],
    "properties": {
        "message": {"type": "string"},
        "details": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}}}},
    },
}


def _schema(model, components: dict, request: bool = False) -> dict:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    if request:
        describe_text(schema)
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _inline(schema, defs: dict):
    """A parameter schema with its $refs replaced by their definitions (parameters stand alone)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if ref:
            return _inline(defs[ref.rsplit("/", 1)[-1]], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "title"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


def describe_text(schema) -> None:
    """State the service's text rule (endpoints.clean_text) on every free-text string of a request schema."""
    if isinstance(schema, list):
        for item in schema:
            describe_text(item)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not any(k in schema for k in ("pattern", "enum", "const", "format")):
        schema["pattern"] = NONBLANK_PATTERN if schema.get("minLength", 0) >= 1 else TEXT_PATTERN
    for value in schema.values():
        describe_text(value)


def _query_schema(prop: dict, defs: dict) -> dict:
    """A query parameter's type as the model validates it; an absent parameter stands for null."""
    prop = _inline(prop, defs)
    options = [o for o in prop.pop("anyOf", []) if o.get("type") != "null"]
    if len(options) == 1:
        prop = {**options[0], **prop}
    elif options:
        prop["anyOf"] = options
    if prop.get("default", 0) is None:
        del prop["default"]
    prop.pop("description", None)
    describe_text(prop)
    return prop


def query_parameters(model) -> list[dict]:
    """The query model's fields under the names clients send (aliases such as `from`), typed."""
    schema = model.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
    defs, required = schema.get("$defs", {}), set(schema.get("required", []))
    return [{"name": name, "in": "query", "required": name in required, "schema": _query_schema(prop, defs),
             "description": prop.get("description", "")} for name, prop in schema.get("properties", {}).items()]


def _parameters(ep: Endpoint) -> list[dict]:
    params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
              for n in re.findall(r"{(\w+)}", ep.path)]
    if ep.query is not None:
        params.extend(query_parameters(ep.query))
    if ep.method == "POST" and ep.path == "/api/v1/tickets":
        params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                       "schema": {"type": "string", "minLength": 1, "maxLength": 128,
                                  "pattern": KEY_PATTERN},
                       "description": "幂等键：1 到 128 个可打印字符（首尾空白不计），同一键的重试返回原工单"})
    return params


def _operation(ep: Endpoint, components: dict) -> dict:
    if ep.media_type == "application/json":
        success_schema = _schema(ep.response, components) if ep.response else {"type": "object"}
    else:
        success_schema = {"type": "string"}
    responses: dict = {str(ep.status): {"description": "成功", "content": {ep.media_type: {"schema": success_schema}}}}
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    if ep.media_type == "text/html":  # pages explain their errors as pages
        error_content["text/html"] = {"schema": {"type": "string"}}
    error = {"description": "错误", "content": error_content}
    codes = ["400", "404", "413", "422", "429", "503"] + (["401", "403"] if ep.roles is not None else [])
    if ep.method == "POST":
        codes.append("409")  # the ticket's current state does not allow the action (or a repeat)
    if ep.body is not None or ep.reader is not None:
        codes.append("415")  # a body declared as anything but JSON; an upload of a type not taken
    responses.update({c: error for c in codes})
    for code, extra in ep.extra_responses.items():
        responses[str(code)] = {**error, **extra, "content": extra.get("content", error["content"])}
    op = {"summary": ep.summary, "operationId": ep.name, "tags": [ep.tag],
          "parameters": _parameters(ep), "responses": responses}
    if ep.roles is not None:
        op["security"] = [{"bearer": []}]
        op["x-roles"] = sorted(r.value for r in ep.roles)
    if ep.reader is not None:  # a file upload: the body is the file (its type is read from its content)
        op["requestBody"] = {"required": True, "content": {"application/octet-stream": {
            "schema": {"type": "string", "format": "binary"}}}}
    if ep.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": _schema(ep.body, components, request=True)}}}
    return op


def build_document(endpoints: list[Endpoint]) -> dict:
    """Every endpoint of the service, with request/response schemas and roles."""
    components: dict = {"Error": ERROR_SCHEMA}
    paths: dict = {}
    for ep in endpoints:
        paths.setdefault(ep.path, {})[ep.method.lower()] = _operation(ep, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "hotline 12345 政务服务便民热线", "version": "1.0.0"},
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
