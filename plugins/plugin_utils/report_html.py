# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""precheck.html: a fleet dashboard in one self-contained file, rendered from the Jinja2 template
report_templates/precheck.html.j2 and the same report model as every other format.

The page is plain semantic HTML (tables, headings, details): readable with JavaScript off and under a
strict Content-Security-Policy that blocks its inline style and script. The script only adds
filters, search, sorting and copy buttons. Nothing is fetched.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html
import os

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ansible_collections.cloudbackup.precheck.plugins.plugin_utils.report_model import (
    ACCEPTED, BLOCKING, DISPOSITION_LABELS, DISPOSITIONS, NO_GATE, NOT_BLOCKING, STATUS_COLUMNS,
    STATUS_RANK, VERDICT_RANK, verdict_label)

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "report_templates")
# Up to this many hosts the matrix has a row per host; beyond, a row per host profile (the same
# verdict and the same worst status of every check), so that it stays readable at a glance.
MATRIX_HOSTS = 500
MATRIX_ROWS = 500
GROUP_ROWS = 1000
OPEN_HOSTS = 20
SECTION_TITLES = {BLOCKING: "Blocking findings", NO_GATE: "Findings on hosts without a gate",
                  ACCEPTED: "Accepted findings", NOT_BLOCKING: "Findings that do not block"}
_environment = None


def escape_output(value):
    """Every `{{ }}` of the template passes here (Environment finalize): HTML-escaped text. Used
    instead of autoescape, whose Markup objects cost more than the rest of the page at fleet scale."""
    text = value if isinstance(value, str) else str(value)
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return html.escape(text, quote=True)
    return text


def _env():
    global _environment  # pylint: disable=global-statement
    if _environment is None:
        _environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False, finalize=escape_output,
                                   trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined)
    return _environment


def host_id(name):
    """The element id (and link) of a host's view: any character but [A-Za-z0-9_.:-] escaped, so
    that every name gives a distinct, valid fragment."""
    return "host-" + "".join(c if c.isascii() and (c.isalnum() or c in "_.:-") else "~%x~" % ord(c) for c in name)


STATUS_LETTERS = {"passed": "P", "warning": "W", "failed": "F", "error": "E", "skipped": "S"}
DISPOSITION_LETTERS = {BLOCKING: "b", ACCEPTED: "a", NOT_BLOCKING: "n", NO_GATE: "g", "": ""}


def _tokens(kinds, column_of):
    """What a host (or matrix row) can be filtered on, one token per kind of result it has:
    <check column><status letter><disposition letter>, e.g. `7Fb` (the script decodes them)."""
    return " ".join(sorted("%d%s%s" % (column_of[c], STATUS_LETTERS[s], DISPOSITION_LETTERS[d]) for c, s, d in kinds))


def _targets_text(targets):
    """Targets that share a prefix before their last `/` (an instance's databases) written once:
    `SQL1 (db1:1433)/{Sales, HR}`."""
    if len(targets) == 1:
        return targets[0]
    by_prefix = {}
    for target in targets:
        head, _sep, tail = target.rpartition("/")
        by_prefix.setdefault(head, []).append(tail)
    parts = []
    for head, tails in by_prefix.items():
        if head and len(tails) > 1:
            parts.append("%s/{%s}" % (head, ", ".join(tails)))
        else:
            parts.extend("%s/%s" % (head, tail) if head else tail for tail in tails)
    return ", ".join(parts)


def _host_view(report, name, tokens):
    entry = report["hosts"][name]
    dispositions = report.dispositions[name]
    findings, passed = [], {}
    for index, result in enumerate(entry["results"]):
        if result["status"] == "passed":
            passed.setdefault(result.get("id"), []).append(result["target"])
        else:
            disposition, reason = dispositions[index]
            findings.append((result, DISPOSITION_LABELS[disposition], reason))
    # The cause first: what failed before what was therefore not run.
    findings.sort(key=lambda f: (f[0].get("cause") == "dependency", STATUS_RANK[f[0]["status"]], str(f[0].get("id"))))
    # Passed results as one line per set of targets with the checks that passed on all of them:
    # every result is named, at a size a fleet can afford.
    by_targets = {}
    for check_id, targets in sorted(passed.items()):
        by_targets.setdefault(tuple(targets), []).append(check_id)
    passed_lines = [(", ".join(checks), len(checks) * len(targets), _targets_text(targets))
                    for targets, checks in by_targets.items()]
    return {"name": name, "id": host_id(name), "entry": entry, "verdict_label": verdict_label(entry["verdict"]),
            "tokens": tokens[name], "findings": findings, "passed": passed_lines}


class HostViews:
    """Every host's view, made while the template renders it, so that the page of a fleet is never
    held whole in memory."""

    def __init__(self, report, tokens):
        self.report = report
        self.tokens = tokens

    def __len__(self):
        return len(self.report.sorted_hosts)

    def __iter__(self):
        for name in self.report.sorted_hosts:
            yield _host_view(self.report, name, self.tokens)


def _matrix(report, columns, tokens):
    """Rows of the hosts-by-checks matrix: one per host, or per host profile on a large fleet."""
    hosts = report["hosts"]
    per_host = len(hosts) <= MATRIX_HOSTS
    rows = {}
    for name in report.sorted_hosts:
        worst = report.worst[name]
        cells = tuple(worst.get(check_id, "") for check_id in columns)
        key = name if per_host else (hosts[name]["verdict"], cells)
        row = rows.get(key)
        if row is None:
            row = rows[key] = {"hosts": [], "verdict": hosts[name]["verdict"], "cells": cells, "kinds": set()}
        row["hosts"].append(name)
        row["kinds"].update(tokens[name].split())
    ordered = sorted(rows.values(), key=lambda r: (VERDICT_RANK.get(r["verdict"], 0), -len(r["hosts"]), r["hosts"][0]))
    shown = ordered[:MATRIX_ROWS]
    for row in shown:
        row["tokens"] = " ".join(sorted(row.pop("kinds")))
        row["ids"] = [(h, host_id(h)) for h in row["hosts"][:5]]
        row["verdict_label"] = verdict_label(row["verdict"])
        row["cells"] = [(status, STATUS_LETTERS.get(status, "")) for status in row["cells"]]
    return per_host, shown, len(ordered)


def _group_view(report, group, index):
    rows = [(host, host_id(host), report.result(host, result_index)["target"], reason)
            for host, result_index, reason in group.occurrences[:GROUP_ROWS]]
    first = report.result(*group.occurrences[0][:2])
    return {"g": group, "id": "finding-%d" % index, "order": index, "rows": rows, "more": len(group.occurrences) - len(rows),
            "label": DISPOSITION_LABELS[group["disposition"]], "example": first,
            "open": len(group.occurrences) <= 20}


def view(report):
    columns = [check["id"] for check in report.checks]
    column_of = dict((check_id, index) for index, check_id in enumerate(columns))
    tokens = dict((name, _tokens(report.kinds[name], column_of)) for name in report.sorted_hosts)
    per_host, matrix, matrix_total = _matrix(report, columns, tokens)
    summary = report["summary"]
    headline = [("hosts", "hosts", summary["hosts"]), ("ready", "ready", summary["ready"]),
                ("blocked", "blocked", summary["blocked"]), ("not_evaluated", "not evaluated", summary["not_evaluated"])]
    headline += [(v, "%s (no gate)" % v, n) for v, n in sorted(summary["verdicts"].items())
                 if v not in ("ready", "blocked", "not_evaluated")]
    groups = [_group_view(report, group, index) for index, group in enumerate(report.findings)]
    sections = [(d, SECTION_TITLES[d], [g for g in groups if g["g"]["disposition"] == d and g["g"]["status"] != "skipped"])
                for d in DISPOSITIONS]
    hosts = report["hosts"]
    return {
        "report": report, "headline": headline, "checks": report.checks, "columns": columns,
        "statuses": STATUS_COLUMNS, "per_host": per_host, "matrix": matrix, "matrix_total": matrix_total,
        "sections": [s for s in sections if s[2]],
        "skipped": [g for g in groups if g["g"]["status"] == "skipped"],
        "not_evaluated": [(reason, [(h, host_id(h), hosts[h]["reason"]) for h in members])
                          for reason, members in report.not_evaluated],
        "hosts": HostViews(report, tokens),
        "open_hosts": len(hosts) <= OPEN_HOSTS,
        "engines": sorted(set(e for engines in report.engines.values() for e in engines if e)),
        "dispositions": [(d, DISPOSITION_LABELS[d]) for d in (BLOCKING, ACCEPTED, NOT_BLOCKING, NO_GATE)],
        "verdicts": sorted(set(entry["verdict"] for entry in hosts.values()), key=lambda v: VERDICT_RANK.get(v, 0)),
        "verdict_label": verdict_label, "status_letters": STATUS_LETTERS, "disposition_letters": DISPOSITION_LETTERS,
    }


def iter_html(report):
    """The page in chunks, as Jinja2 renders it."""
    return _env().get_template("precheck.html.j2").generate(**view(report))


def render_html(report):
    return "".join(iter_html(report))
