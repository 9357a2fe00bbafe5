"""Writes the schemathesis configuration of scripts/api-fuzz.sh for one running server.

Generated path parameters almost never name something that exists (a random UUID, slug or id),
so the operations on one initiative, report, candidate, conflict, run or source would only ever
answer 404 and never reach their logic. This asks the server (through the API, as an admin) for
a few real ones — and records one report so that PATCH /api/v1/reports/{id} has one — and binds
each such path parameter to a dictionary of them (plus the awkward strings below), used for a
share of the generated cases; the other cases keep generated values. Likewise for the few body
members whose valid values the document does not tell (token roles, statuses, coordinates):
without them almost every generated body is refused by validation and never reaches the
database.

Usage: FUZZ_TOKEN=<admin token> prepare.py BASE_URL OUTPUT.toml
"""

import json
import os
import sys
import urllib.error
import urllib.request

# Share of the generated cases that take a value from a dictionary instead of a generated one:
# path parameters and search words, body members (several must be valid at once for a body to
# pass), and any string, integer or number.
PATH_PROBABILITY = 0.5
BODY_PROBABILITY = 0.8
ANY_PROBABILITY = 0.1

# Values that have broken servers before: NUL (PostgreSQL refuses it in text), quotes,
# backslashes, percent signs and LIKE wildcards, a right-to-left mark, a byte-order mark; the
# bounds of 32- and 64-bit integers; extreme floating-point values.
AWKWARD_STRINGS = ["\u0000", "a\u0000b", "'", '"', "\\", "%", "%00", "_", "*", "..", "\u202e", "\ufeff", " ",
                   "-1", "0x10", "1e999"]
AWKWARD_INTEGERS = [0, -1, 2147483647, 2147483648, -2147483649, 9223372036854775807, -9223372036854775808]
AWKWARD_NUMBERS = [-0.0, 5e-324, 1.7976931348623157e308, -1.7976931348623157e308, 180.0000001, -90.0000001]

STATIC = f"""
# No cache of earlier runs' requests and failures (it would go to ./.schemathesis and replay
# them first): every run starts from the same state, and prints a curl command for each failure.
[cache]
enabled = false

# The API names a refused body member by its JSON pointer ("/name"); schemathesis's 4xx
# feedback takes that for a member called "/name" and adds it to later bodies, which are then
# all refused as having an unknown member.
[phases.fuzzing.error-feedback]
enabled = false

# The awkward values, mixed now and then into every generated string, integer and number.
[generation.dictionaries]
string = {{ dictionary = "awkward_strings", probability = {ANY_PROBABILITY} }}
integer = {{ dictionary = "awkward_integers", probability = {ANY_PROBABILITY} }}
number = {{ dictionary = "awkward_numbers", probability = {ANY_PROBABILITY} }}
"""


def call(base, token, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")
        raise SystemExit(f"prepare: {method} {path} answered {error.code}: {detail}") from None


def toml_value(value):
    # JSON strings and numbers are TOML ones, except for the escapes TOML lacks (\/ is never
    # produced by json.dumps) and non-ASCII, which json.dumps escapes as \uXXXX, as TOML does.
    return json.dumps(value)


def main():
    base, output = sys.argv[1].rstrip("/"), sys.argv[2]
    token = os.environ["FUZZ_TOKEN"]

    initiatives = call(base, token, "GET", "/api/v1/initiatives?limit=5")["items"]
    if not initiatives:
        raise SystemExit("prepare: the database has no published initiative (demo data missing?)")
    keys = [i["id"] for i in initiatives] + [i["slug"] for i in initiatives]
    sources = [s["id"] for s in call(base, token, "GET", "/api/v1/sources")["sources"]]
    runs = []
    for source in sources:
        runs += [r["id"] for r in call(base, token, "GET", f"/api/v1/sources/{source}/runs")["runs"]]
    duplicates = [d["id"] for d in call(base, token, "GET", "/api/v1/duplicates?limit=5")["duplicates"]]
    conflicts = [c["id"] for c in call(base, token, "GET", "/api/v1/import-conflicts")["conflicts"]][:5]
    report = call(
        base,
        token,
        "POST",
        f"/api/v1/initiatives/{initiatives[0]['id']}/reports",
        {"message": "Les horaires ont changé (rapport créé par api-fuzz)."},
    )["id"]

    dictionaries = {
        "awkward_strings": AWKWARD_STRINGS,
        "awkward_integers": AWKWARD_INTEGERS,
        "awkward_numbers": AWKWARD_NUMBERS,
        "initiative_keys": keys + AWKWARD_STRINGS,
        "source_ids": sources + AWKWARD_STRINGS,
        "run_ids": runs + AWKWARD_INTEGERS,
        "duplicate_ids": duplicates + AWKWARD_INTEGERS,
        "conflict_ids": conflicts + AWKWARD_INTEGERS,
        "report_ids": [report] + AWKWARD_INTEGERS,
        "roles": ["admin", "editor"],
        "statuses": ["active", "inactive", "closed"],
        "moderations": ["pending", "published", "rejected", "archived"],
        "lats": [43.6045, 48.8566, -33.8688, 0.0, 90.0],
        "lons": [1.444, 2.3522, 151.2093, 0.0, -180.0],
        "names": ["Repair café du quartier", "Jardin partagé", "x"],
        "dates": ["2026-05-01T10:00:00Z", "2026-05-01T12:00:00+02:00"],
        "words": ["jardin", "répar", "fab lab", "café"] + AWKWARD_STRINGS,
    }
    # For hooks.py: what the listings' `territory` and `category` may name (unknown ones are refused
    # with 400 by design, which no schema can say).
    territories = [t["code"] for t in call(base, token, "GET", "/api/v1/territories?limit=100")["territories"]]
    categories = []
    pending = call(base, token, "GET", "/api/v1/categories")["categories"]
    while pending:
        category = pending.pop()
        categories.append(category["slug"])
        pending += category.get("children", [])
    references = os.path.join(os.path.dirname(os.path.abspath(output)), "references.json")
    with open(references, "w", encoding="utf-8") as f:
        json.dump({"territories": territories, "categories": categories}, f)

    # (No binding of `names` to body.name: schemathesis judged those valid names invalid for the
    # suggestions' body and counted the cases as negative ones, then failed them for being accepted.)
    location = [("body.lat", "lats"), ("body.lon", "lons")]
    initiative_body = location + [("body.status", "statuses"), ("body.moderation", "moderations"),
                                  ("body.last_confirmed_at", "dates")]
    # path template -> [(parameter, dictionary)]
    bindings = {
        "/api/v1/initiatives": [("query.q", "words")] + initiative_body,
        "/api/v1/initiatives.geojson": [("query.q", "words")],
        "/api/v1/initiatives/{key}": [("path.key", "initiative_keys")] + initiative_body,
        "/api/v1/initiatives/{key}/revisions": [("path.key", "initiative_keys")],
        "/api/v1/initiatives/{key}/reports": [("path.key", "initiative_keys")],
        "/api/v1/initiatives/{key}/merge": [("path.key", "initiative_keys"), ("body.into", "initiative_keys")],
        "/api/v1/suggestions": location,
        "/api/v1/sources/{id}/runs": [("path.id", "source_ids")],
        "/api/v1/import-runs/{id}": [("path.id", "run_ids")],
        "/api/v1/duplicates/{id}": [("path.id", "duplicate_ids")],
        "/api/v1/import-conflicts/{id}": [("path.id", "conflict_ids")],
        "/api/v1/reports/{id}": [("path.id", "report_ids")],
        "/api/v1/tokens": [("body.role", "roles")],
        "/api/v1/tokens/{name}": [("path.name", "awkward_strings")],
    }

    # Statuses a schema-valid request may also get on an operation, beyond schemathesis's
    # 2xx, 3xx, 401, 403, 404, 409, 429 and 5xx, because they depend on what is stored, which no
    # schema can say. Each is documented on its operation.
    stored_state = {
        # If-Match naming another version of the initiative.
        "/api/v1/initiatives/{key}": ["412"],
        # If-Match; the old values no longer valid (a category since removed).
        "/api/v1/initiatives/{key}/revisions/{revision_id}/restore": ["412", "422"],
        # `into` is the initiative itself, a merged one, or an unpublished one.
        "/api/v1/initiatives/{key}/merge": ["422"],
        # `to` names no initiative, or the initiative itself, or the link exists.
        "/api/v1/initiatives/{key}/links": ["422"],
        # Scores of criteria that do not exist, or outside their scale.
        "/api/v1/initiatives/{key}/assessments": ["422"],
        # A mapping to preview that does not fit the source.
        "/api/v1/sources/{id}/runs": ["422"],
        # A link token that was never issued, or is used or expired.
        "/api/v1/session/password": ["422"],
    }
    default_statuses = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
    for path in stored_state:
        bindings.setdefault(path, [])

    lines = ["# Written by tests/fuzz/prepare.py for one run of scripts/api-fuzz.sh.", STATIC]
    for name, values in dictionaries.items():
        lines += [f"[dictionaries.{name}]", "values = [" + ", ".join(map(toml_value, values)) + "]", ""]
    for path, entries in bindings.items():
        parameters = []
        for parameter, name in entries:
            probability = BODY_PROBABILITY if parameter.startswith("body.") else PATH_PROBABILITY
            parameters.append(f'"{parameter}" = {{ dictionary = "{name}", probability = {probability} }}')
        lines += ["[[operations]]", f"include-path = {json.dumps(path)}"]
        if parameters:
            lines.append("parameters = { " + ", ".join(parameters) + " }")
        if path in stored_state:
            statuses = ", ".join(json.dumps(s) for s in default_statuses + stored_state[path])
            lines.append(f"checks = {{ positive_data_acceptance = {{ expected-statuses = [{statuses}] }} }}")
        lines.append("")
    with open(output, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print(f"prepare: real values for path parameters: {len(keys)} initiative keys, {len(sources)} sources, "
          f"{len(runs)} runs, {len(duplicates)} duplicate candidates, {len(conflicts)} conflicts, 1 report")


if __name__ == "__main__":
    main()
