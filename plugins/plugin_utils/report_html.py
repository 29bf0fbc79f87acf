# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTML report: one self-contained page (no script, no external resource) for people who
open a CI artifact in a browser. It renders the same report model as the other formats."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from html import escape

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}
td.n{text-align:right}.ready{color:#17692b}.blocked,.failed,.error{color:#a4161a}.warning{color:#8a5a00}
.not_evaluated{color:#555;font-style:italic}section{border-left:4px solid #ccc;padding:.2em 1em;margin:1em 0}
section.blocking{border-color:#a4161a}section.accepted{border-color:#8a5a00}code{background:#f4f4f4}
"""


def _cell(value, css=None):
    return '<td%s>%s</td>' % (' class="%s"' % css if css else "", escape(str(value)))


def _host_rows(report, sorted_hosts, label):
    rows = []
    for name, entry in sorted_hosts(report):
        counts = entry["summary"]
        rows.append("<tr>%s%s%s</tr>" % (
            _cell(name), _cell(label(entry["verdict"]), entry["verdict"]),
            "".join('<td class="n">%d</td>' % counts[s] for s in ("passed", "warning", "failed", "error", "skipped"))))
    return rows


def _finding(group, titles):
    parts = ['<section class="%s"><h3><span class="%s">%s</span> <code>%s</code> on <code>%s</code></h3>' % (
        escape(group["disposition"]), escape(group["status"]), escape(group["status"].upper()),
        escape(group["id"]), escape(str(group["target"]))),
        "<p>%s</p>" % escape(group["message"])]
    if group.get("remediation"):
        parts.append("<p><b>Fix:</b> %s</p>" % escape(group["remediation"]))
    if group.get("references"):
        parts.append("<p>References: %s</p>" % ", ".join("<code>%s</code>" % escape(r) for r in group["references"]))
    parts.append("<p>%s: %s</p>" % (escape(titles[group["disposition"]]), escape(", ".join(group["hosts"]))))
    return "".join(parts) + "</section>"


def render_html(report, sorted_hosts, label, sections):
    """`sorted_hosts`, `label` and `sections` come from the report module, so that the page orders
    and names things exactly as the terminal report does."""
    titles = dict(sections)
    body = ["<h1>Backup precheck report</h1>",
            "<p>Run <code>%s</code> at %s%s</p>" % (
                escape(str(report["run_id"])), escape(report["generated_at"]),
                ", playbook <code>%s</code>" % escape(report["playbook"]) if report["playbook"] else ""),
            "<table><tr><th>Host</th><th>Verdict</th><th>Passed</th><th>Warning</th><th>Failed</th>"
            "<th>Error</th><th>Skipped</th></tr>"]
    body += _host_rows(report, sorted_hosts, label) + ["</table>"]
    for disposition, title in sections:
        groups = [g for g in report["findings"] if g["disposition"] == disposition and g["status"] != "skipped"]
        if groups:
            body.append("<h2>%s (%d)</h2>" % (escape(title), len(groups)))
            body += [_finding(group, titles) for group in groups]
    not_evaluated = [(n, e) for n, e in sorted_hosts(report) if e["verdict"] == "not_evaluated"]
    if not_evaluated:
        body.append("<h2>Not evaluated (never counted as passed)</h2><table><tr><th>Host</th><th>Reason</th></tr>")
        body += ["<tr>%s%s</tr>" % (_cell(n), _cell(e["reason"])) for n, e in not_evaluated] + ["</table>"]
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Backup precheck report</title>'
            "<style>%s</style></head><body>\n%s\n</body></html>\n" % (_STYLE, "\n".join(body)))
