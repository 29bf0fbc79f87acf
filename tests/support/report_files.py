# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of the report files every test that writes them uses: precheck.json against the
published JSON Schema (docs/precheck-report.schema.json), precheck-junit.xml against the JUnit schema
Jenkins uses (tests/support/junit-jenkins.xsd)."""

import functools
import json
import os

import jsonschema
from lxml import etree

from checkout import ROOT

JSON_SCHEMA = os.path.join(ROOT, "docs", "precheck-report.schema.json")
JUNIT_XSD = os.path.join(ROOT, "tests", "support", "junit-jenkins.xsd")


@functools.lru_cache(maxsize=None)
def _json_validator():
    with open(JSON_SCHEMA) as handle:
        schema = json.load(handle)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@functools.lru_cache(maxsize=None)
def _junit_schema():
    return etree.XMLSchema(etree.parse(JUNIT_XSD))


def json_errors(document):
    """Every way the document breaks the published schema, as readable lines (empty: valid)."""
    return ["%s: %s" % ("/".join(str(p) for p in error.absolute_path), error.message)
            for error in _json_validator().iter_errors(document)]


def validate_json(document):
    errors = json_errors(document)
    assert not errors, "precheck.json breaks docs/precheck-report.schema.json:\n" + "\n".join(errors[:20])
    return document


def load_json(path):
    with open(path) as handle:
        return validate_json(json.load(handle))


def junit_errors(xml_bytes):
    schema = _junit_schema()
    document = etree.fromstring(xml_bytes)
    return [] if schema.validate(document) else [str(error) for error in schema.error_log]


def validate_junit(xml_text):
    data = xml_text.encode("utf-8") if isinstance(xml_text, str) else xml_text
    errors = junit_errors(data)
    assert not errors, "precheck-junit.xml breaks the Jenkins JUnit schema:\n" + "\n".join(errors[:20])
    return etree.fromstring(data)


def validate_dir(directory):
    """Validate whatever report files a directory holds; returns the parsed JSON (or None)."""
    document = None
    json_path = os.path.join(str(directory), "precheck.json")
    if os.path.exists(json_path):
        document = load_json(json_path)
    junit_path = os.path.join(str(directory), "precheck-junit.xml")
    if os.path.exists(junit_path):
        with open(junit_path, "rb") as handle:
            validate_junit(handle.read())
    return document
