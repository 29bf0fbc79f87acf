# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""precheck.json, written host by host: compact (no pretty-printing), every result stored once,
the layout of docs/precheck-report.schema.json."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.cloudbackup.precheck.plugins.plugin_utils.report_model import group_results_json

HEAD_KEYS = ("schema_version", "result_schema_version", "run_id", "generated_at", "playbook", "interrupted",
             "merged_from", "summary", "checks")


def _encoder():
    # default=str: a stray non-JSON value in a result must not cost the whole file.
    return json.JSONEncoder(separators=(",", ":"), check_circular=False, default=str)


def iter_json(report):
    """The document in chunks of one host each, so that a fleet's file is never one string."""
    encode = _encoder().encode
    head = dict((key, report[key]) for key in HEAD_KEYS if key in report)
    yield encode(head)[:-1] + ',"hosts":{'
    separator = ""
    for name, entry in report["hosts"].items():
        yield separator + encode(name) + ":" + encode(entry)
        separator = ","
    yield '},"findings":['
    separator = ""
    for group in report.findings:
        yield separator + encode(dict(group, results=group_results_json(group)))
        separator = ","
    yield "]}\n"


def render_json(report):
    return "".join(iter_json(report))
