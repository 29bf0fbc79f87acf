"""The API reference data (reference.yml): which operation a request is, whether its parameters are
documented, and whether a response body has only documented elements with values of their type."""
import os
import re
import xml.etree.ElementTree as ET

import yaml

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.yml")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
_INTEGER = re.compile(r"^-?\d+$")

with open(PATH) as _handle:
    REFERENCE = yaml.safe_load(_handle)
OPERATIONS = REFERENCE["operations"]


class Unsupported(Exception):
    """The request is no operation this server answers (501 NotImplemented)."""


class BadParameter(Exception):
    """A query parameter the operation does not document (400 InvalidArgument)."""

    def __init__(self, name, value, message):
        super(BadParameter, self).__init__(message)
        self.name = name
        self.value = value


def identify(method, bucket, key, query):
    """(operation name, its reference) for a request; `query` maps parameter -> value."""
    target = "object" if key else ("bucket" if bucket else "service")
    subresources = _subresources(target)
    candidates = []
    for name, operation in OPERATIONS.items():
        request = operation["request"]
        sub = request.get("subresource")
        if request["target"] == target and (sub in query if sub else not subresources.intersection(query)):
            candidates.append((name, operation))
    if not candidates:
        raise Unsupported("no implemented operation matches %s %s with %s" % (method, target, sorted(query)))
    # Two operations share the ?inventory sub-resource: the one whose required parameters are given wins.
    candidates.sort(key=lambda c: -sum(1 for p in c[1]["request"].get("required", ()) if p in query))
    name, operation = candidates[0]
    request = operation["request"]
    sub = request.get("subresource")
    if method != request["method"]:
        raise Unsupported("%s is not allowed on %s (the test server is read-only)" % (method, name))
    if sub and request.get("subresource_value") is not None and query[sub] != request["subresource_value"]:
        raise BadParameter(sub, query[sub], "%s must be %s" % (sub, request["subresource_value"]))
    allowed = set(request["parameters"]) | ({sub} if sub else set())
    for parameter, value in query.items():
        if parameter not in allowed:
            raise BadParameter(parameter, value, "%s does not take the parameter %s" % (name, parameter))
    for parameter in request.get("required", ()):
        if parameter not in query:
            raise BadParameter(parameter, "", "%s requires the parameter %s" % (name, parameter))
    return name, operation


def _subresources(target):
    return set(op["request"]["subresource"] for op in OPERATIONS.values()
               if op["request"]["target"] == target and op["request"].get("subresource"))


def _check_leaf(path, kind, text):
    text = text or ""
    if isinstance(kind, list):
        if text not in kind:
            return ["%s: %r is not one of %s" % (path, text, kind)]
    elif kind == "integer" and not _INTEGER.match(text):
        return ["%s: %r is not an integer" % (path, text)]
    elif kind == "boolean" and text not in ("true", "false"):
        return ["%s: %r is not true or false" % (path, text)]
    elif kind == "time" and not _TIME.match(text):
        return ["%s: %r is not an ISO 8601 UTC time with milliseconds" % (path, text)]
    return []


def _check_element(element, schema, path):
    if not isinstance(schema, dict):
        if len(element):
            return ["%s: a leaf has child elements" % path]
        return _check_leaf(path, schema, element.text)
    problems = []
    allowed = dict((name.rstrip("[]"), (name.endswith("[]"), sub)) for name, sub in schema.items())
    seen = {}
    for child in element:
        where = "%s/%s" % (path, child.tag)
        if child.tag not in allowed:
            problems.append("%s: not a documented element" % where)
            continue
        repeats, sub = allowed[child.tag]
        seen[child.tag] = seen.get(child.tag, 0) + 1
        if seen[child.tag] > 1 and not repeats:
            problems.append("%s: repeated, but documented once" % where)
        problems.extend(_check_element(child, sub, where))
    return problems


def check_body(schema, body):
    """Problems of an XML body against a documented tree (empty list: conforms)."""
    root = ET.fromstring(body)
    (name, sub), = schema.items()
    if root.tag != name:
        return ["root element %s, documented %s" % (root.tag, name)]
    return _check_element(root, sub, name)


def check_response(operation, body):
    return check_body(OPERATIONS[operation]["response"], body)


def check_error(body):
    return check_body(REFERENCE["error"]["response"], body)
