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
"""

import itertools
import os

import schemathesis

PROTECTED_TOKEN = os.environ.get("FUZZ_TOKEN_NAME", "")
_addresses = itertools.count(1)
_preconditions = itertools.count()


@schemathesis.hook
def before_call(context, case, kwargs):
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
