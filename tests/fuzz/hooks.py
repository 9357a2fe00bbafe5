"""Schemathesis hooks of scripts/api-fuzz.sh (loaded through SCHEMATHESIS_HOOKS).

Adjustments, all so that the run stays meaningful to its end; every operation is still
exercised:

- DELETE /api/v1/tokens/{name} must not revoke the run's own admin token. Schemathesis reuses
  values seen in responses (GET /api/v1/tokens lists the names), so it would find that name;
  every other name is sent as generated.
- POST /api/v1/suggestions and /api/v1/initiatives/{key}/reports admit 10 valid submissions per
  client address per 10 minutes, then answer 429. The server runs with --trust-forwarded and
  each request says it comes from another address, so that valid submissions keep reaching the
  database instead of stopping at the rate limit.
- PATCH and DELETE /api/v1/initiatives/{key} take an optional If-Match, which schemathesis fills
  with generated text nearly always, so nearly every case stopped at 412. Every other such case
  is sent without it, so the change itself is tried.
- prepare.py mixes awkward strings (NUL among them) into every generated string, cookies and
  headers included, past schemathesis's own header filter. A NUL or other control character in
  a header is not HTTP (RFC 9110, 5.5): the server's HTTP parser refuses the message with an
  empty 400 before any route sees it. Such characters are taken out of cookies and headers;
  query strings, paths and bodies keep them.
- Some requests the schema allows are refused (400 or 422) for reasons no JSON schema can say: a
  territory or category that is well formed but unknown, a bbox whose minLat is above its maxLat,
  an opaque paging cursor the server never issued, `radius` without `near`, a criterion's body
  naming another slug than its path, a scale with min not below max, a mapping to preview
  without dry_run=true, a tile's x or y past 2^z; in an initiative's body, opening hours outside
  OpenStreetMap's syntax, a confirmation date in the future, a ring that is not closed or crosses
  itself, a category that does not exist. In the cases meant to be valid (schemathesis's positive ones) these are
  made valid: real codes and slugs (from references.json, written by prepare.py), the latitudes
  in order, no cursor, no radius, the path's slug, no scale, dry_run=true, x and y modulo 2^z,
  hours and a date that are valid, a square ring, known categories. Negative cases are
  sent as generated.
- Hypothesis describes its strategies' lambdas by reading their source with `ast.parse`; on
  CPython 3.11 that parse can fail inside a deep call stack with "SystemError: AST constructor
  recursion depth mismatch" (a CPython bug, not a finding), which stopped the whole run. Such a
  description falls back to a placeholder; it only names a strategy in reports.
"""

import base64
import binascii
import itertools
import json
import os
import random
import re

import schemathesis
from hypothesis.internal import lambda_sources

_describe_lambda = lambda_sources._lambda_description


def _described_lambda(f, *args, **kwargs):
    try:
        return _describe_lambda(f, *args, **kwargs)
    except SystemError:
        return "lambda: <source not read>"


lambda_sources._lambda_description = _described_lambda

PROTECTED_TOKEN = os.environ.get("FUZZ_TOKEN_NAME", "")
_addresses = itertools.count(1)
_preconditions = itertools.count()
# Characters a field value may not hold (RFC 9110, 5.5).
_NOT_IN_FIELD_VALUES = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _field_values(values):
    return {
        k: _NOT_IN_FIELD_VALUES.sub("", v) if isinstance(v, str) else v for k, v in (values or {}).items()
    }


_REFERENCES = {}
if os.environ.get("FUZZ_REFERENCES"):
    with open(os.environ["FUZZ_REFERENCES"], encoding="utf-8") as f:
        _REFERENCES = json.load(f)
_choices = random.Random(1)


def _issued_cursor(raw):
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    return re.fullmatch(r"[0-9]+\.[0-9]+", text) is not None


def _whole(value):
    """A whole number, as a number or as its digits."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and value.isascii() and value.isdigit())


_SQUARE = [[1.43, 43.61], [1.44, 43.61], [1.44, 43.62], [1.43, 43.62], [1.43, 43.61]]


def _valid_initiative_members(members):
    """An initiative body's members with what no schema can say made valid: opening hours in
    OpenStreetMap's syntax, a confirmation date not in the future, rings closed and simple,
    categories that exist."""
    if not isinstance(members, dict):
        return
    hours = members.get("opening_hours")
    if isinstance(hours, str) and hours.strip():
        members["opening_hours"] = "Mo-Fr 09:00-18:00"
    if isinstance(members.get("last_confirmed_at"), str):
        members["last_confirmed_at"] = "2026-01-15T10:00:00Z"
    geometry = members.get("geometry")
    if isinstance(geometry, dict) and geometry.get("type") == "Point" and geometry.get("coordinates") == [0, 0]:
        geometry["coordinates"] = [1.444, 43.6045]
    if members.get("lat") == 0 and members.get("lon") == 0:
        members["lat"] = 43.6045
    if isinstance(geometry, dict) and geometry.get("type") == "Polygon":
        geometry["coordinates"] = [_SQUARE]
    if isinstance(geometry, dict) and geometry.get("type") == "MultiPolygon":
        geometry["coordinates"] = [[_SQUARE]]
    categories = _REFERENCES.get("categories")
    if categories and isinstance(members.get("categories"), list):
        members["categories"] = [c for c in members["categories"] if isinstance(c, str) and c.strip() in categories]


def _made_valid(case):
    """The positive case with what no schema can say made valid (see the module's docstring)."""
    query = case.query if isinstance(case.query, dict) else None
    if query:
        bbox = query.get("bbox")
        if isinstance(bbox, str) and bbox.count(",") == 3:
            v = bbox.split(",")
            if float(v[1]) > float(v[3]):
                v[1], v[3] = v[3], v[1]
                query["bbox"] = ",".join(v)
        if isinstance(query.get("cursor"), str) and not _issued_cursor(query["cursor"]):
            del query["cursor"]
        if "radius" in query and "near" not in query:
            del query["radius"]
        territories = _REFERENCES.get("territories")
        if territories and isinstance(query.get("territory"), str) and query["territory"] not in territories:
            query["territory"] = _choices.choice(territories)
        categories = _REFERENCES.get("categories")
        if categories and isinstance(query.get("category"), str) and query["category"]:
            known = [c for c in query["category"].split(",") if c in categories]
            query["category"] = ",".join(known or [_choices.choice(categories)])
    body = case.body if isinstance(case.body, dict) else None
    if body is not None and case.path.startswith("/api/v1/evaluation/criteria"):
        if case.method.upper() == "PUT" and "slug" in body:
            body["slug"] = (case.path_parameters or {}).get("slug")
        scale = body.get("scale")
        if isinstance(scale, dict) and not scale.get("min", 0) < scale.get("max", 1):
            body["scale"] = None
    tile = case.path_parameters or {}
    if (
        case.path.startswith("/api/v1/tiles/")
        and all(_whole(tile.get(k)) for k in "zxy")
        and int(tile["z"]) <= 22
    ):
        # The coverage phase sends path parameters as the strings of the wire, the others as
        # numbers: the value keeps its kind.
        side = 2 ** int(tile["z"])
        for k in "xy":
            tile[k] = type(tile[k])(int(tile[k]) % side)
    if case.method.upper() == "POST" and case.path == "/api/v1/sources/{id}/runs" and body:
        case.query = dict(query or {}, dry_run="true")


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.meta is not None and case.meta.generation.mode.is_positive:
        _made_valid(case)
    # In every mode: the coverage phase labels some cases negative that are valid to the schema
    # once it revalidates them after this hook (which it does after any edit here), so what no
    # schema can say of an initiative's body is made valid whatever the label.
    if isinstance(case.body, dict) and case.path in ("/api/v1/initiatives", "/api/v1/initiatives/{key}", "/api/v1/suggestions"):
        _valid_initiative_members(case.body)
        _valid_initiative_members(case.body.get("properties"))
        # Bodies of JSON-like media types other than application/json (geo+json, merge-patch+json)
        # are already serialised in the request's arguments: serialise the made-valid body again.
        if isinstance(kwargs, dict) and isinstance(case.body, (dict, list)):
            if "json" in kwargs:
                kwargs["json"] = case.body
            elif isinstance(kwargs.get("data"), (bytes, str)):
                kwargs["data"] = json.dumps(case.body).encode()
    if case.cookies:
        case.cookies = _field_values(case.cookies)
    if case.headers:
        case.headers = _field_values(case.headers)
    if (
        PROTECTED_TOKEN
        and case.method.upper() == "DELETE"
        and case.path == "/api/v1/tokens/{name}"
        and (case.path_parameters or {}).get("name") == PROTECTED_TOKEN
    ):
        case.path_parameters["name"] = PROTECTED_TOKEN + "-other"
    if case.method.upper() == "POST" and case.path in (
        "/api/v1/suggestions",
        "/api/v1/initiatives/{key}/reports",
    ):
        n = next(_addresses)
        headers = dict(case.headers or {})
        # A loopback address as a header value: the server only counts it.
        headers["X-Forwarded-For"] = f"127.1.{(n >> 8) & 0xFF}.{n & 0xFF}"
        case.headers = headers
    if (
        case.method.upper() in ("PATCH", "DELETE")
        and case.path == "/api/v1/initiatives/{key}"
        and next(_preconditions) % 2 == 0
    ):
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "if-match"}
        case.headers = headers
