# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""precheck-junit.xml: one test suite per host, one test case per result, valid against the JUnit
schema Jenkins uses (tests/support/junit-jenkins.xsd).

A case fails exactly when its finding blocks the gate (or, on a host without the role's fact, when it
failed or could not run). Accepted and non-blocking findings are `<skipped>` with their status and
reason in the message, so CI shows them without failing the build. Class names are
`<host>.<check id>` (dots in the host name become `_`), so that Jenkins' package/class/case tree reads
host.engine / check / target and no two hosts' cases collide.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.cloudbackup.precheck.plugins.plugin_utils.report_model import (
    ACCEPTED, BLOCKING, NO_GATE, NOT_EVALUATED)

# Characters XML 1.0 cannot carry; a driver message may contain them.
_XML_INVALID = re.compile(u"[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_XML_SPECIAL = re.compile(u"[&<>\"\u0009\u000a\u000d]|[^\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTR = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
# Durations repeat (milliseconds): formatted once each.
_SECONDS = {}
_TEXT_SPECIAL = re.compile(u"[&<>]|[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _attr_char(match):
    char = match.group(0)
    return _ATTR.get(char, "?")


def _plain(text):
    # The common case, decided without a regular expression: printable and nothing to escape.
    return text.isprintable() and "&" not in text and "<" not in text and ">" not in text and '"' not in text


def attr(value):
    text = value if isinstance(value, str) else str(value if value is not None else "")
    return text if _plain(text) else _XML_SPECIAL.sub(_attr_char, text)


def text(value):
    content = value if isinstance(value, str) else str(value if value is not None else "")
    return content if _plain(content) else _TEXT_SPECIAL.sub(_attr_char, content)


def class_prefix(host):
    return host.replace(".", "_")


def _detail(result, disposition, reason):
    lines = ["%s: %s" % (result["status"], result.get("message") or "")]
    accepted = "; accepted because: %s" % reason if reason else ""
    lines.append("code: %s; disposition: %s%s" % (result["code"], disposition, accepted))
    if result.get("remediation"):
        lines.append("Remediation: %s" % result["remediation"])
    return "\n".join(lines)


def _kind(status, disposition):
    """How a finding shows in JUnit: failing exactly when it blocks (or, without a gate, when it
    failed or could not run), skipped otherwise."""
    if disposition in (BLOCKING, NO_GATE) and status in ("failed", "error"):
        return "failure" if status == "failed" else "error"
    return "skipped"


def _finding_case(head, result, disposition, reason):
    status = result["status"]
    detail = text(_detail(result, disposition, reason))
    message = attr(result.get("message"))
    element = _kind(status, disposition)
    if element != "skipped":
        return ('%s>\n  <%s type="%s" message="%s">%s</%s>\n</testcase>\n' % (
            head, element, attr(result["code"]), message, detail, element))
    label = "accepted (%s)" % reason if disposition == ACCEPTED and reason else (
        "accepted" if disposition == ACCEPTED else "%s, does not block" % status)
    return ('%s>\n  <skipped type="%s" message="%s: %s"/>\n  <system-out>%s</system-out>\n</testcase>\n' % (
        head, attr(result["code"]), attr(label), message, detail))


def _counts(report, name):
    """(tests, failures, errors, skipped, milliseconds) of a host's suite, without rendering it."""
    entry = report["hosts"][name]
    results = entry["results"]
    counts = {"failure": 0, "error": 0, "skipped": 0}
    for index, (disposition, _reason) in report.dispositions[name].items():
        counts[_kind(results[index]["status"], disposition)] += 1
    extra = 1 if entry["verdict"] == NOT_EVALUATED else 0
    milliseconds = sum(r.get("duration_ms") or 0 for r in results)
    return len(results) + extra, counts["failure"], counts["error"] + extra, counts["skipped"], milliseconds


def _suite(report, name, classnames, counts):
    entry = report["hosts"][name]
    prefix = attr(class_prefix(name))
    findings = report.dispositions[name]
    cases, seen = [], set()
    for index, result in enumerate(entry["results"]):
        duration_ms = result.get("duration_ms") or 0
        check_id = result.get("id")
        classname = classnames.get(check_id)
        if classname is None:
            classname = classnames[check_id] = attr(check_id)
        case_name = result["target"]
        if (check_id, case_name) in seen:
            # The same check and target twice on a host (two tasks): still two distinct cases.
            number = 2
            while (check_id, "%s (%d)" % (case_name, number)) in seen:
                number += 1
            case_name = "%s (%d)" % (case_name, number)
        seen.add((check_id, case_name))
        seconds = _SECONDS.get(duration_ms)
        if seconds is None:
            seconds = "%.3f" % (duration_ms / 1000.0)
            if len(_SECONDS) < 100000:
                _SECONDS[duration_ms] = seconds
        head = '<testcase classname="%s.%s" name="%s" time="%s"' % (
            prefix, classname, case_name if _plain(case_name) else attr(case_name), seconds)
        finding = findings.get(index)
        cases.append(head + "/>\n" if finding is None else _finding_case(head, result, *finding))
    if entry["verdict"] == NOT_EVALUATED:
        cases.append('<testcase classname="%s.cloudbackup_precheck" name="host evaluated" time="0.000">\n'
                     '  <error type="not_evaluated" message="%s">%s</error>\n</testcase>\n' % (
                         prefix, attr("not evaluated: %s" % entry["reason"]), text(entry["reason"])))
    properties = "".join('  <property name="%s" value="%s"/>\n' % (key, attr(value)) for key, value in (
        ("verdict", entry["verdict"]), ("reason", entry["reason"]), ("run_id", entry.get("run_id") or "")))
    tests, failures, errors, skipped, milliseconds = counts
    head = ('<testsuite name="%s" hostname="%s" tests="%d" failures="%d" errors="%d" skipped="%d" time="%.3f" '
            'timestamp="%s">\n<properties>\n%s</properties>\n' % (
                attr(name), attr(name), tests, failures, errors, skipped, milliseconds / 1000.0,
                attr(report["generated_at"]), properties))
    return head + "".join(cases) + "</testsuite>\n"


def _interrupted_suite(report):
    return ('<testsuite name="cloudbackup.precheck" tests="1" failures="0" errors="1" skipped="0" time="0.000">\n'
            '<testcase classname="cloudbackup_precheck.run" name="run completed" time="0.000">\n'
            '  <error type="interrupted" message="%s"/>\n</testcase>\n</testsuite>\n' % attr(
                "the run was interrupted: %s" % report.headline()))


def iter_junit(report):
    """The file in chunks of one suite each; the totals of the root element are counted first,
    so that the suites are never all held at once."""
    names = sorted(report["hosts"])
    counts = dict((name, _counts(report, name)) for name in names)
    interrupted = 1 if report["interrupted"] else 0
    totals = [sum(c[i] for c in counts.values()) for i in range(5)]
    yield ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="cloudbackup.precheck" tests="%d" failures="%d" '
           'errors="%d" time="%.3f">\n' % (totals[0] + interrupted, totals[1], totals[2] + interrupted,
                                           totals[4] / 1000.0))
    classnames = {}
    for name in names:
        yield _suite(report, name, classnames, counts[name])
    if interrupted:
        yield _interrupted_suite(report)
    yield "</testsuites>\n"


def render_junit(report):
    return "".join(iter_junit(report))
