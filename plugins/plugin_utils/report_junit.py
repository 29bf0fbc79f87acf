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


def _finding_case(head, result, disposition, reason):
    """A case with a finding: failing when it blocks, skipped (status and reason shown) when not."""
    status = result["status"]
    detail = text(_detail(result, disposition, reason))
    message = attr(result.get("message"))
    if disposition in (BLOCKING, NO_GATE) and status in ("failed", "error"):
        element = "failure" if status == "failed" else "error"
        return ('%s>\n  <%s type="%s" message="%s">%s</%s>\n</testcase>\n' % (
            head, element, attr(result["code"]), message, detail, element)), element
    label = "accepted (%s)" % reason if disposition == ACCEPTED and reason else (
        "accepted" if disposition == ACCEPTED else "%s, does not block" % status)
    return ('%s>\n  <skipped type="%s" message="%s: %s"/>\n  <system-out>%s</system-out>\n</testcase>\n' % (
        head, attr(result["code"]), attr(label), message, detail)), "skipped"


def _suite(report, name, classnames):
    entry = report["hosts"][name]
    prefix = attr(class_prefix(name))
    findings = report.dispositions[name]
    cases, counts, seen = [], {"failure": 0, "error": 0, "skipped": 0}, set()
    total_ms = 0
    for index, result in enumerate(entry["results"]):
        duration_ms = result.get("duration_ms") or 0
        total_ms += duration_ms
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
        if finding is None:
            cases.append(head + "/>\n")
            continue
        xml, kind = _finding_case(head, result, *finding)
        cases.append(xml)
        counts[kind] += 1
    if entry["verdict"] == NOT_EVALUATED:
        cases.append('<testcase classname="%s.cloudbackup_precheck" name="host evaluated" time="0.000">\n'
                     '  <error type="not_evaluated" message="%s">%s</error>\n</testcase>\n' % (
                         prefix, attr("not evaluated: %s" % entry["reason"]), text(entry["reason"])))
        counts["error"] += 1
    tests = len(cases)
    properties = "".join('  <property name="%s" value="%s"/>\n' % (key, attr(value)) for key, value in (
        ("verdict", entry["verdict"]), ("reason", entry["reason"]), ("run_id", entry.get("run_id") or "")))
    head = ('<testsuite name="%s" hostname="%s" tests="%d" failures="%d" errors="%d" skipped="%d" time="%.3f" '
            'timestamp="%s">\n<properties>\n%s</properties>\n' % (
                attr(name), attr(name), tests, counts["failure"], counts["error"], counts["skipped"],
                total_ms / 1000.0, attr(report["generated_at"]), properties))
    return head + "".join(cases) + "</testsuite>\n", tests, counts, total_ms


def _interrupted_suite(report):
    return ('<testsuite name="cloudbackup.precheck" tests="1" failures="0" errors="1" skipped="0" time="0.000">\n'
            '<testcase classname="cloudbackup_precheck.run" name="run completed" time="0.000">\n'
            '  <error type="interrupted" message="%s"/>\n</testcase>\n</testsuite>\n' % attr(
                "the run was interrupted: %s" % report.headline()))


def iter_junit(report):
    """The file in chunks (one suite each), with the totals in the root element computed first."""
    suites, tests, failures, errors, total_ms = [], 0, 0, 0, 0
    classnames = {}
    for name in sorted(report["hosts"]):
        suite, count, counts, ms = _suite(report, name, classnames)
        suites.append(suite)
        tests += count
        failures += counts["failure"]
        errors += counts["error"]
        total_ms += ms
    if report["interrupted"]:
        suites.append(_interrupted_suite(report))
        tests += 1
        errors += 1
    yield ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="cloudbackup.precheck" tests="%d" failures="%d" '
           'errors="%d" time="%.3f">\n' % (tests, failures, errors, total_ms / 1000.0))
    yield from suites
    yield "</testsuites>\n"


def render_junit(report):
    return "".join(iter_junit(report))
