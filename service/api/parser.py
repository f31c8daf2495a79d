"""Request parsing for every view: orjson for bodies, 415 for non-JSON bodies, 413 for
streamed bodies past the cap, a structural check of the raw bytes before parsing (a body of
millions of tiny arrays is refused before it costs a gigabyte), and JSON's non-standard
``NaN``/``Infinity`` tokens and out-of-range integers turned into values the schemas reject by
field."""

from __future__ import annotations

import json

import marshmallow as ma
import orjson
from flask import Request, current_app
from webargs import core
from webargs.fields import DelimitedList
from webargs.flaskparser import FlaskParser, abort, is_json_request
from werkzeug.exceptions import RequestEntityTooLarge


def _parse_int(text: str):
    """Integers past int64 become floats (±inf past float64), which every numeric field
    refuses by name: never a Python int too large for float() deeper in."""
    return int(text) if len(text) <= 18 else float(text)


def _load(data: bytes):
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as strict_error:
        # Python's parser reads NaN, ±Infinity, 1e400 and 400-digit integers: loading them
        # as floats lets the schema name the field that holds them (422) instead of a bare 400.
        try:
            return json.loads(data, parse_constant=float, parse_int=_parse_int)
        except (ValueError, RecursionError):
            raise strict_error from None


def check_structure(data: bytes, limits) -> None:
    """Refuse, before parsing, a body with more arrays/objects or values than any request
    within the caps can hold (counted on the raw bytes: brackets, braces and commas)."""
    containers = data.count(b"[") + data.count(b"{")
    if containers > limits.max_body_containers:
        abort(
            422,
            messages={
                "body": [
                    f"holds {containers} arrays and objects, over max_body_containers={limits.max_body_containers}"
                ]
            },
        )
    values = data.count(b",") + containers + 1
    if values > limits.max_body_values:
        abort(422, messages={"body": [f"holds about {values} values, over max_body_values={limits.max_body_values}"]})


def is_list_parameter(field: ma.fields.Field) -> bool:
    """A query parameter that holds a list (webargs' DelimitedList, or a field that says so)."""
    return isinstance(field, DelimitedList) or getattr(field, "list_parameter", False)


def one_value_per_key(args, schema: ma.Schema) -> dict:
    """The query string as the schema reads it, one rule for every key: a list parameter takes
    repeated keys (``k=a&k=b``, what generated clients send), one comma-separated value
    (``k=a,b``) or both; any other key given twice is a 422 naming it, never a silent pick."""
    fields = {f.data_key or name: f for name, f in schema.fields.items()}
    out = {}
    for key in args:
        values = args.getlist(key)
        if len(values) > 1:
            field = fields.get(key)
            if field is None or not is_list_parameter(field):
                abort(422, messages={key: ["Give this query parameter once (it is not a list)."]})
            out[key] = ",".join(values)
        else:
            out[key] = values[0]
    return out


def without_nulls(data, schema: ma.Schema):
    """A JSON body with an explicit ``null`` on a field that does not take null dropped, as
    if the field were absent (strict LLM tool calls send null for every optional field they do
    not use); nested objects too. A required field sent as null is then reported missing."""
    if not isinstance(data, dict):
        return data
    fields = {f.data_key or name: f for name, f in schema.fields.items()}
    out = {}
    for key, value in data.items():
        field = fields.get(key)
        if value is None and field is not None and not field.allow_none:
            continue
        if isinstance(field, ma.fields.Nested) and isinstance(field.schema, ma.Schema):
            value = without_nulls(value, field.schema)
        out[key] = value
    return out


class Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 422
    # An unknown query key is a typo worth reporting (422), as an unknown body field is.
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE}

    def load_querystring(self, req: Request, schema: ma.Schema):
        return one_value_per_key(req.args, schema)

    def load_json(self, req: Request, schema: ma.Schema):
        return without_nulls(super().load_json(req, schema), schema)

    def _raw_load_json(self, req: Request):
        data = req.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
        cap = current_app.config["MAX_CONTENT_LENGTH"]
        if req.content_length is None and cap is not None and len(data) >= cap:
            raise RequestEntityTooLarge()  # a streamed (chunked) body is cut at the cap, not refused
        if not is_json_request(req):
            if data:
                abort(
                    415,
                    messages={"Content-Type": [f"must be application/json, got '{req.mimetype or 'none'}'"]},
                )
            return core.missing
        if not data:
            return core.missing
        check_structure(data, current_app.config["LIMITS"])
        return _load(data)

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        abort(400, messages={"body": [f"invalid JSON: {error}"]})


PARSER = Parser()
