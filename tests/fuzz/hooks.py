"""Schemathesis hooks of scripts/api-fuzz.sh (loaded through SCHEMATHESIS_HOOKS).

Two adjustments, both so that the run stays meaningful to its end; every operation is still
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
"""

import itertools
import os
import re

import schemathesis

PROTECTED_TOKEN = os.environ.get("FUZZ_TOKEN_NAME", "")
_addresses = itertools.count(1)
_preconditions = itertools.count()
# Characters a field value may not hold (RFC 9110, 5.5).
_NOT_IN_FIELD_VALUES = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _field_values(values):
    return {
        k: _NOT_IN_FIELD_VALUES.sub("", v) if isinstance(v, str) else v for k, v in (values or {}).items()
    }


@schemathesis.hook
def before_call(context, case, kwargs):
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
