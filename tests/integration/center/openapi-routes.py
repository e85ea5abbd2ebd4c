#!/usr/bin/env python3
"""docs/openapi.yaml against the center's route tables: the file must parse
as YAML, every route of every route table in src/center/*.c (method, path
and auth level) must be there with the same role (x-vigil-role), and the
file must describe no route the center does not serve. When the
openapi-spec-validator package is installed, the document is also checked
against the OpenAPI 3.0 schema.

Route tables are read from the C source with a regular expression: entries
look like { "GET", "/api/v1/hosts/{}", HTTP_AUTH_VIEWER, ... }."""

import glob
import os
import re
import sys

ROLE = {"HTTP_AUTH_NONE": "none", "HTTP_AUTH_AGENT": "agent",
        "HTTP_AUTH_VIEWER": "viewer", "HTTP_AUTH_ADMIN": "admin"}
ROUTE = re.compile(r'\{\s*"(GET|POST|PUT|PATCH|DELETE)",\s*"(/[^"]*)",\s*(HTTP_AUTH_[A-Z]+)')
METHODS = ("get", "post", "put", "patch", "delete")


def main():
    src = os.environ.get("VIGIL_SOURCE") or os.path.join(os.path.dirname(__file__), "..", "..",
                                                         "..")
    try:
        import yaml
    except ImportError:
        # A python3 of its own (pyenv, a venv) may lack PyYAML where
        # Debian's python3-yaml is installed: run under Debian's python.
        if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
            os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
        print("FAIL: PyYAML (python3-yaml) is needed to read docs/openapi.yaml")
        return 1
    failures = []
    with open(os.path.join(src, "docs", "openapi.yaml")) as f:
        doc = yaml.safe_load(f)
    if not isinstance(doc, dict) or not str(doc.get("openapi", "")).startswith("3.0"):
        print("FAIL: docs/openapi.yaml is not an OpenAPI 3.0 document")
        return 1

    routes = {}
    for path in sorted(glob.glob(os.path.join(src, "src", "center", "*.c"))):
        with open(path) as f:
            text = f.read()
        for m in ROUTE.finditer(text):
            key = (m.group(1).lower(), m.group(2))
            if key in routes:
                failures.append("%s %s is declared twice" % key)
            routes[key] = (ROLE.get(m.group(3), m.group(3)), os.path.basename(path))
    if len(routes) < 20:
        failures.append("only %d routes found in src/center/*.c: is the pattern stale?"
                        % len(routes))

    documented = {}
    for p, item in (doc.get("paths") or {}).items():
        norm = re.sub(r"\{[^}]*\}", "{}", p)
        for method, op in item.items():
            if method in METHODS:
                documented[(method, norm)] = (op or {}).get("x-vigil-role")

    for key, (role, where) in sorted(routes.items()):
        if key not in documented:
            failures.append("%s %s (%s) is not in docs/openapi.yaml" % (key[0].upper(), key[1],
                                                                         where))
        elif documented[key] != role:
            failures.append("%s %s: x-vigil-role is %s, the route table says %s"
                            % (key[0].upper(), key[1], documented[key], role))
    for key in sorted(documented):
        if key not in routes:
            failures.append("docs/openapi.yaml has %s %s, which no route table serves"
                            % (key[0].upper(), key[1]))

    try:
        from openapi_spec_validator import validate
    except ImportError:
        validate = None
        print("note: openapi-spec-validator is not installed; schema check skipped")
    if validate:
        try:
            validate(doc)
        except Exception as e:  # noqa: BLE001 - any validation error is a failure
            failures.append("not valid OpenAPI: %s" % str(e).splitlines()[0])

    for f in failures:
        print("FAIL: " + f)
    print("%d routes in the route tables, %d operations in docs/openapi.yaml, %d problems"
          % (len(routes), len(documented), len(failures)))
    return 1 if failures else 0


sys.exit(main())
