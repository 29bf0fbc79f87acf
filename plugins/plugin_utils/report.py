# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report: collect task results per host, decide each host's verdict, group findings,
and render the terminal text, precheck.json, JUnit XML and Markdown.

Everything here works on plain dicts, so that it is testable without Ansible's executor; the
callback `cloudbackup.precheck.precheck_report` only feeds events in and prints what comes out.
The JSON document built by `build_report()` is the one model every other format renders.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re
import tempfile
import textwrap
import uuid
import xml.etree.ElementTree as ET

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import report_html

# The layout of precheck.json; the result dicts inside it follow R.SCHEMA_VERSION.
REPORT_SCHEMA_VERSION = 1

RESULT_KEY = "check_results"
FACT_NAME = "cloudbackup_precheck"

FORMATS = ("json", "junit", "markdown", "html")
FILE_NAMES = {"json": "precheck.json", "junit": "precheck-junit.xml", "markdown": "precheck.md",
              "html": "precheck.html"}

READY = "ready"
BLOCKED = "blocked"
NOT_EVALUATED = "not_evaluated"
# Worst first, for sorting hosts; the middle ones are a host without a gate (its worst status).
VERDICT_ORDER = (NOT_EVALUATED, BLOCKED, "error", "failed", "warning", "skipped", "passed", READY)

# How a finding weighs on a host: decided by the gate (fact), or not decided at all (no fact).
BLOCKING = "blocking"
NO_GATE = "no_gate"
ACCEPTED = "accepted"
NOT_BLOCKING = "not_blocking"
DISPOSITION_ORDER = (BLOCKING, NO_GATE, ACCEPTED, NOT_BLOCKING)
DISPOSITION_LABELS = {BLOCKING: "blocking", NO_GATE: "no gate ran", ACCEPTED: "accepted", NOT_BLOCKING: "not blocking"}

WIDTH = 100
REASON_LIMIT = 300
HOSTS_SHOWN = 12

# Module arguments whose values must never reach a report, even if a module echoed them.
_SECRET_ARG = re.compile(r"pass|secret|token|credential|private_key|api_key", re.IGNORECASE)
# Shorter values would mask ordinary words all over the report; they are no real secret anyway.
_SECRET_MIN_LENGTH = 4
_MASK = "********"
# Characters XML 1.0 cannot carry; a driver message may contain them.
_XML_INVALID = re.compile(u"[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# ---------------------------------------------------------------------------------------------
# Collecting


class HostRecord:
    """What the run told us about one host."""

    def __init__(self, name):
        self.name = name
        self.results = []
        self.fact = None
        self.stop = None          # why the host stopped before its precheck completed
        self.last_failure = None  # the latest failed task, to explain a host without results
        self.note = None          # e.g. a task whose output no_log hid
        self.completed_tasks = 0
        self.skipped_tasks = 0


class Collector:
    """Turns task events into per-host records. Never raises: a result it cannot read makes the
    host `not evaluated` instead of silently dropping checks (which could make it look passed)."""

    def __init__(self):
        self.hosts = {}
        self.playbooks = []

    def host(self, name):
        if name not in self.hosts:
            self.hosts[name] = HostRecord(name)
        return self.hosts[name]

    def task_ok(self, host, task_name, result):
        self._guarded(host, task_name, result, self._ok)

    def task_failed(self, host, task_name, result, ignore_errors=False):
        self._guarded(host, task_name, result, self._failed, ignore_errors)

    def task_unreachable(self, host, task_name, result):
        self._guarded(host, task_name, result, self._unreachable)

    def task_skipped(self, host):
        self.host(host).skipped_tasks += 1

    def seen(self, host):
        self.host(host)

    def _guarded(self, host, task_name, result, handler, *args):
        record = self.host(host)
        try:
            handler(record, task_name, result, *args)
        except Exception as exc:  # pylint: disable=broad-except
            record.stop = "the report could not read the result of task '%s' (%s: %s)" % (
                task_name, type(exc).__name__, exc)

    def _ok(self, record, task_name, result):
        record.completed_tasks += 1
        if not _ingest(record, result) and result.get("censored"):
            record.note = "task '%s' hid its output (no_log), so its check results cannot be read" % task_name

    def _failed(self, record, task_name, result, ignore_errors):
        record.completed_tasks += 1
        if _ingest(record, result):
            # A failed task that returned results (e.g. failed_when on them) is a judged check.
            return
        reason = "task '%s' failed: %s" % (task_name, _one_line(
            result.get("msg") or result.get("censored") or _item_msg(result)))
        record.last_failure = reason
        if not ignore_errors:
            record.stop = reason

    def _unreachable(self, record, task_name, result):
        record.stop = "unreachable at task '%s': %s" % (task_name, _one_line(result.get("msg")))


def _ingest(record, result):
    """Add the check results and the fact of one task result (and of its loop items) to the
    record; True if it carried any."""
    found = False
    for part in [result] + _loop_items(result):
        checks = part.get(RESULT_KEY)
        if isinstance(checks, list):
            record.results.extend(_scrub(normalize_results(checks), _secrets_of(part)))
            found = True
        facts = part.get("ansible_facts")
        fact = facts.get(FACT_NAME) if isinstance(facts, dict) else None
        if isinstance(fact, dict):
            record.fact = _scrub(fact, _secrets_of(part))
            found = True
    return found


def _loop_items(result):
    # Any module may return its own `results` key: only a list of dicts is a loop.
    items = result.get("results")
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _item_msg(result):
    for item in _loop_items(result):
        if item.get("failed") and item.get("msg"):
            return item["msg"]
    return "no message"


def _secrets_of(part):
    """Values of the module's secret arguments: read only to mask them, never stored."""
    invocation = part.get("invocation")
    args = invocation.get("module_args") if isinstance(invocation, dict) else None
    return [value for key, value in (args.items() if isinstance(args, dict) else ())
            if _SECRET_ARG.search(str(key)) and isinstance(value, str) and len(value) >= _SECRET_MIN_LENGTH]


def _scrub(value, secrets):
    if not secrets:
        return value
    if isinstance(value, dict):
        return dict((key, _scrub(item, secrets)) for key, item in value.items())
    if isinstance(value, list):
        return [_scrub(item, secrets) for item in value]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, _MASK)
    return value


def normalize_results(value):
    """Result dicts only; a status outside the schema counts as an error, so that a module bug
    can neither crash the report nor pass a host."""
    normalized = []
    for result in value if isinstance(value, list) else []:
        if not isinstance(result, dict):
            continue
        result = dict(result)
        if result.get("status") not in R.STATUSES:
            result["message"] = "Result with invalid status %r: %s" % (result.get("status"), result.get("message"))
            result["status"] = "error"
            result["cause"] = "internal"
        normalized.append(result)
    return normalized


def _one_line(value, limit=REASON_LIMIT):
    text = " ".join(str(value if value is not None else "no message").split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


# ---------------------------------------------------------------------------------------------
# Verdicts and the report model (the precheck.json document)


def _key(result):
    return (result.get("id"), str(result.get("target")), result.get("status"), result.get("message"))


def evaluate_host(record):
    """The host's entry of precheck.json. With the role's fact, the gate has decided (the fact
    holds the same results the modules returned, so the collected ones are not counted again)."""
    if record.fact is not None:
        entry = _gated_entry(record.fact)
    else:
        verdict, reason = _ungated_verdict(record)
        entry = {"verdict": verdict, "reason": reason, "gated": False, "results": record.results,
                 "blocking": [], "accepted": [], "run_id": None, "policy": None}
    entry["summary"] = R.summarize(entry["results"])
    return entry


def _gated_entry(fact):
    blocking = normalize_results(fact.get("blocking"))
    accepted = normalize_results(fact.get("accepted"))
    # Anything but an explicit, consistent "ready" blocks: a malformed fact must not pass a host.
    ready = fact.get("ready") is True and not blocking
    if ready:
        reason = "%d accepted finding(s)" % len(accepted) if accepted else ""
    elif blocking:
        reason = "%d blocking finding(s): %s" % (
            len(blocking), ", ".join(sorted(set(str(result.get("id")) for result in blocking))))
    else:
        reason = "the gate did not declare the host ready"
    return {"verdict": READY if ready else BLOCKED, "reason": reason, "gated": True,
            "results": normalize_results(fact.get("results")), "blocking": blocking, "accepted": accepted,
            "run_id": fact.get("run_id"), "policy": fact.get("policy")}


def _ungated_verdict(record):
    if record.stop:
        if record.results:
            return NOT_EVALUATED, "%s (after %d check result(s): the precheck did not complete)" % (
                record.stop, len(record.results))
        return NOT_EVALUATED, record.stop
    if record.results:
        return R.worst_status(record.results), "no gate ran on this host: the verdict is its worst check status"
    if record.last_failure or record.note:
        return NOT_EVALUATED, record.last_failure or record.note
    if record.skipped_tasks and not record.completed_tasks:
        return NOT_EVALUATED, "every task was skipped on this host: no check ran"
    return NOT_EVALUATED, "no check results were reported for this host"


def build_report(collector, now=None):
    """The precheck.json document."""
    hosts = dict((name, evaluate_host(record)) for name, record in collector.hosts.items())
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "result_schema_version": R.SCHEMA_VERSION,
        "run_id": _run_id(hosts),
        "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "playbook": ", ".join(collector.playbooks),
        "summary": _fleet_summary(hosts),
        "hosts": hosts,
        "findings": group_results(hosts, [s for s in R.STATUSES if s != "passed"]),
    }


def _run_id(hosts):
    """The facts' run id when every host with a fact agrees; otherwise a fresh one, because the
    report then mixes runs and must not claim to be either of them."""
    run_ids = set(entry["run_id"] for entry in hosts.values() if entry["run_id"])
    return run_ids.pop() if len(run_ids) == 1 else str(uuid.uuid4())


def _fleet_summary(hosts):
    verdicts = {}
    for entry in hosts.values():
        verdicts[entry["verdict"]] = verdicts.get(entry["verdict"], 0) + 1
    summary = R.summarize([result for entry in hosts.values() for result in entry["results"]])
    summary.update({
        "hosts": len(hosts),
        "ready": verdicts.get(READY, 0),
        "blocked": verdicts.get(BLOCKED, 0),
        "not_evaluated": verdicts.get(NOT_EVALUATED, 0),
        "verdicts": verdicts,
    })
    return summary


def _dispositions(entry):
    """How each result weighs on its host: keyed like the results, so the fact's copies match."""
    if not entry["gated"]:
        return None
    table = dict((_key(result), (ACCEPTED, result.get("accepted_reason", ""))) for result in entry["accepted"])
    table.update((_key(result), (BLOCKING, "")) for result in entry["blocking"])
    return table


def group_results(hosts, statuses):
    """Identical results (check, target, status, message) across hosts as one entry naming the
    hosts, worst disposition first, then worst status."""
    groups = {}
    for name in sorted(hosts):
        entry = hosts[name]
        table = _dispositions(entry)
        for result in entry["results"]:
            if result["status"] not in statuses:
                continue
            disposition, reason = (NO_GATE, "") if table is None else table.get(_key(result), (NOT_BLOCKING, ""))
            group = groups.setdefault(_key(result), _new_group(result))
            if name in group["hosts"]:
                continue  # the same finding from two tasks of one host is one finding of that host
            group["hosts"].append(name)
            group["by_disposition"][disposition].append({"host": name, "reason": reason} if disposition == ACCEPTED
                                                        else name)
    for group in groups.values():
        group["disposition"] = next(d for d in DISPOSITION_ORDER if group["by_disposition"][d])
    return sorted(groups.values(), key=lambda g: (DISPOSITION_ORDER.index(g["disposition"]),
                                                  R.SEVERITY_ORDER.index(g["status"]), str(g["id"]), g["target"]))


def _new_group(result):
    group = dict((key, result.get(key)) for key in (
        "id", "title", "engine", "status", "impact", "message", "remediation", "references", "cause"))
    group["target"] = str(result.get("target"))
    group["hosts"] = []
    group["by_disposition"] = dict((disposition, []) for disposition in DISPOSITION_ORDER)
    return group


# ---------------------------------------------------------------------------------------------
# Terminal


SECTIONS = (
    (BLOCKING, "BLOCKING FINDINGS (the gate stops these hosts)"),
    (NO_GATE, "FINDINGS ON HOSTS WITHOUT A GATE (no fact from the role: judge them yourself)"),
    (ACCEPTED, "ACCEPTED FINDINGS (would block, accepted by configuration)"),
    (NOT_BLOCKING, "FINDINGS THAT DO NOT BLOCK"),
)


def verdict_label(verdict):
    return verdict.replace("_", " ")


def _sorted_hosts(report):
    return sorted(report["hosts"].items(), key=lambda item: (VERDICT_ORDER.index(item[1]["verdict"]), item[0]))


def _wrap(text, indent="    "):
    return textwrap.fill(" ".join(str(text).split()), width=WIDTH, initial_indent=indent,
                         subsequent_indent=indent + "  ", break_long_words=True, break_on_hyphens=False)


def _names(names):
    shown = ", ".join(names[:HOSTS_SHOWN])
    return shown + (" and %d more" % (len(names) - HOSTS_SHOWN) if len(names) > HOSTS_SHOWN else "")


def headline(report):
    summary = report["summary"]
    parts = ["%d ready" % summary["ready"], "%d blocked" % summary["blocked"],
             "%d not evaluated" % summary["not_evaluated"]]
    others = sorted((v, n) for v, n in summary["verdicts"].items() if v not in (READY, BLOCKED, NOT_EVALUATED))
    parts += ["%d %s (no gate)" % (n, v) for v, n in others]
    return "%d host(s): %s" % (summary["hosts"], ", ".join(parts))


def render_host_table(report):
    hosts = _sorted_hosts(report)
    width = min(max([len("HOST")] + [len(name) for name in report["hosts"]]), 40)
    row = "%-{0}s  %-13s  %6s %7s %6s %5s %7s".format(width)
    lines = [row % ("HOST", "VERDICT", "PASSED", "WARNING", "FAILED", "ERROR", "SKIPPED")]
    for name, entry in hosts:
        counts = entry["summary"]
        lines.append(row % (name, verdict_label(entry["verdict"]), counts["passed"], counts["warning"],
                            counts["failed"], counts["error"], counts["skipped"]))
    return lines


def _render_group(group):
    lines = ["%s  %s  @ %s" % (group["status"].upper(), group["id"], group["target"]),
             _wrap(group["message"])]
    if group.get("remediation"):
        lines.append(_wrap("Fix: %s" % group["remediation"]))
    by = group["by_disposition"]
    for disposition in DISPOSITION_ORDER:
        entries = by[disposition]
        if not entries:
            continue
        if disposition == ACCEPTED:
            names = ["%s (%s)" % (e["host"], e["reason"]) if e["reason"] else e["host"] for e in entries]
        else:
            names = entries
        lines.append(_wrap("%s on %d host(s): %s" % (DISPOSITION_LABELS[disposition], len(entries), _names(names))))
    return lines


def _render_compact(group):
    return _wrap("%s %s @ %s: %s (%d host(s): %s)" % (
        group["status"].upper(), group["id"], group["target"], group["message"], len(group["hosts"]),
        _names(group["hosts"])), indent="")


def _yaml_quote(value):
    return "'%s'" % str(value).replace("'", "''")


def _hint(findings):
    actionable = [g for g in findings if g["disposition"] in (BLOCKING, NO_GATE) and g["status"] != "skipped"]
    if not actionable:
        return []
    example = actionable[0]
    return [
        "To accept a finding in the role's gate (it stays in the report, marked accepted), set:",
        "    cloudbackup_precheck_accepted_findings:",
        "      - {check: %s, target: %s, reason: '...'}" % (example["id"], _yaml_quote(example["target"])),
        "To skip a check entirely:",
        "    cloudbackup_precheck_skip: [%s]" % example["id"],
    ]


def render_findings(findings):
    lines = []
    for disposition, title in SECTIONS:
        groups = [g for g in findings if g["disposition"] == disposition and g["status"] != "skipped"]
        if groups:
            lines += ["", "%s: %d" % (title, len(groups))]
            for group in groups:
                lines += _render_group(group)
    skipped = [g for g in findings if g["status"] == "skipped"]
    if skipped:
        lines += ["", "SKIPPED CHECKS: %d" % len(skipped)] + [_render_compact(g) for g in skipped]
    hint = _hint(findings)
    return lines + ([""] + hint if hint else [])


def render_terminal(report, files=(), show_passed=False):
    """The fleet report printed at the end of the play, readable in 100 columns."""
    title = " cloudbackup.precheck report "
    lines = [title.center(WIDTH, "="),
             "Run %s at %s%s" % (report["run_id"], report["generated_at"],
                                 ", playbook %s" % report["playbook"] if report["playbook"] else ""),
             headline(report), ""]
    lines += render_host_table(report)
    lines += render_findings(report["findings"])
    if show_passed:
        passed = group_results(report["hosts"], ["passed"])
        if passed:
            lines += ["", "PASSED CHECKS: %d" % len(passed)] + [_render_compact(g) for g in passed]
    not_evaluated = [(name, e) for name, e in _sorted_hosts(report) if e["verdict"] == NOT_EVALUATED]
    if not_evaluated:
        lines += ["", "NOT EVALUATED (never counted as passed): %d" % len(not_evaluated)]
        lines += [_wrap("%s: %s" % (name, entry["reason"]), indent="") for name, entry in not_evaluated]
    if files:
        lines += ["", "Report files:"] + ["    %s" % path for path in files]
    return "\n".join(lines + ["=" * WIDTH])


def render_verdicts(report):
    """One line per host: what is printed when a richer format failed, so no bug hides a verdict."""
    return "\n".join("precheck verdict: %s: %s%s" % (name, verdict_label(entry["verdict"]),
                                                     " (%s)" % entry["reason"] if entry["reason"] else "")
                     for name, entry in _sorted_hosts(report))


def render_fallback_verdicts(collector):
    """Verdicts when even the report model could not be built: host by host, so one bad host
    costs only its own line."""
    lines = []
    for name in sorted(collector.hosts):
        try:
            entry = evaluate_host(collector.hosts[name])
            verdict = "%s (%s)" % (verdict_label(entry["verdict"]), entry["reason"])
        except Exception as exc:  # pylint: disable=broad-except
            verdict = "unknown: the report failed on this host (%s: %s)" % (type(exc).__name__, exc)
        lines.append("precheck verdict: %s: %s" % (name, verdict))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Files


def render_json(report):
    # default=str: a stray non-JSON value in a result must not cost the whole file.
    return json.dumps(report, indent=2, sort_keys=True, default=str) + "\n"


def _xml_text(value):
    return _XML_INVALID.sub("?", str(value if value is not None else ""))


def _testcase(suite, classname, name, duration_ms=None):
    case = ET.SubElement(suite, "testcase", classname=_xml_text(classname), name=_xml_text(name))
    if duration_ms is not None:
        case.set("time", "%.3f" % ((duration_ms or 0) / 1000.0))
    return case


def _junit_result(suite, result, accepted_reasons):
    case = _testcase(suite, result.get("id"), result.get("target"), result.get("duration_ms"))
    status, message = result["status"], _xml_text(result.get("message"))
    text = message
    if result.get("remediation"):
        text += "\nRemediation: %s" % _xml_text(result["remediation"])
    if _key(result) in accepted_reasons:
        text += "\nAccepted on this host: %s" % _xml_text(accepted_reasons[_key(result)])
    if status == "failed":
        ET.SubElement(case, "failure", message=message, type=_xml_text(result.get("cause") or "failed")).text = text
    elif status == "error":
        ET.SubElement(case, "error", message=message, type=_xml_text(result.get("cause") or "error")).text = text
    elif status == "skipped":
        ET.SubElement(case, "skipped", message=message)
    elif status == "warning":
        ET.SubElement(case, "system-out").text = "warning: " + text
    return status


def _junit_suite(parent, name, entry):
    suite = ET.SubElement(parent, "testsuite", name=_xml_text(name))
    accepted = dict((_key(r), r.get("accepted_reason", "")) for r in entry["accepted"])
    statuses = [_junit_result(suite, result, accepted) for result in entry["results"]]
    if entry["verdict"] == NOT_EVALUATED:
        case = _testcase(suite, "cloudbackup.precheck", "host evaluated")
        ET.SubElement(case, "error", message=_xml_text("not evaluated: %s" % entry["reason"]),
                      type="not_evaluated").text = _xml_text(entry["reason"])
        statuses.append("error")
    counts = {"tests": len(statuses), "failures": statuses.count("failed"), "errors": statuses.count("error"),
              "skipped": statuses.count("skipped"),
              "time": sum((r.get("duration_ms") or 0) for r in entry["results"]) / 1000.0}
    for attribute in ("tests", "failures", "errors", "skipped"):
        suite.set(attribute, str(counts[attribute]))
    suite.set("time", "%.3f" % counts["time"])
    return counts


def render_junit(report):
    """One testsuite per host, one testcase per result (a check and a target)."""
    root = ET.Element("testsuites", name="cloudbackup.precheck")
    totals = dict((attribute, 0) for attribute in ("tests", "failures", "errors", "skipped", "time"))
    for name in sorted(report["hosts"]):
        for attribute, value in _junit_suite(root, name, report["hosts"][name]).items():
            totals[attribute] += value
    for attribute in ("tests", "failures", "errors", "skipped"):
        root.set(attribute, str(totals[attribute]))
    root.set("time", "%.3f" % totals["time"])
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _md(value):
    """Text safe inside a Markdown table cell or list item."""
    return " ".join(str(value if value is not None else "").split()).replace("|", "\\|")


def _md_code(value):
    text = _md(value)
    return "`%s`" % text if "`" not in text else text


def _md_group(group):
    lines = ["### %s %s on %s" % (group["status"].upper(), _md_code(group["id"]), _md_code(group["target"])),
             "", "- Message: %s" % _md(group["message"])]
    if group.get("remediation"):
        lines.append("- Remediation: %s" % _md(group["remediation"]))
    if group.get("references"):
        lines.append("- References: %s" % ", ".join(_md_code(ref) for ref in group["references"]))
    by = group["by_disposition"]
    for disposition in DISPOSITION_ORDER:
        if disposition == ACCEPTED and by[ACCEPTED]:
            lines.append("- Accepted on: %s" % "; ".join(
                "%s (%s)" % (_md(e["host"]), _md(e["reason"]) or "no reason given") for e in by[ACCEPTED]))
        elif by[disposition]:
            lines.append("- %s on: %s" % (DISPOSITION_LABELS[disposition].capitalize(),
                                          ", ".join(_md(h) for h in by[disposition])))
    return lines


def render_markdown(report):
    """What a person pastes into a ticket."""
    lines = ["# Backup precheck report", "",
             "Run %s at %s%s." % (_md_code(report["run_id"]), report["generated_at"],
                                  ", playbook %s" % _md_code(report["playbook"]) if report["playbook"] else ""),
             "", "**%s**" % headline(report), "",
             "| Host | Verdict | Passed | Warning | Failed | Error | Skipped |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for name, entry in _sorted_hosts(report):
        counts = entry["summary"]
        lines.append("| %s | %s | %d | %d | %d | %d | %d |" % (
            _md(name), verdict_label(entry["verdict"]), counts["passed"], counts["warning"], counts["failed"],
            counts["error"], counts["skipped"]))
    for disposition, title in (
            (BLOCKING, "Blocking findings"), (NO_GATE, "Findings on hosts without a gate"),
            (ACCEPTED, "Accepted findings"), (NOT_BLOCKING, "Findings that do not block")):
        groups = [g for g in report["findings"] if g["disposition"] == disposition and g["status"] != "skipped"]
        if groups:
            lines += ["", "## %s" % title]
            for group in groups:
                lines += [""] + _md_group(group)
    not_evaluated = [(name, e) for name, e in _sorted_hosts(report) if e["verdict"] == NOT_EVALUATED]
    if not_evaluated:
        lines += ["", "## Not evaluated", "", "| Host | Reason |", "|---|---|"]
        lines += ["| %s | %s |" % (_md(name), _md(entry["reason"])) for name, entry in not_evaluated]
    return "\n".join(lines) + "\n"


def render_html(report):
    return report_html.render_html(report, _sorted_hosts, verdict_label, SECTIONS)


RENDERERS = {"json": render_json, "junit": render_junit, "markdown": render_markdown, "html": render_html}


def _file_mode():
    # mkstemp creates 0600; a report is meant to be read by others, as the umask allows.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path, text):
    """Write through a temporary file in the same directory and rename it over `path`, so that a
    reader (or a crash) never sees half a report; the temporary file is removed on failure."""
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _file_mode())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def write_reports(report, output_dir, formats):
    """Each format on its own: one failing costs only that file. Returns (paths, failures)."""
    written, failures = [], []
    for fmt in formats:
        try:
            text = RENDERERS[fmt](report)
            if not os.path.isdir(output_dir):
                os.makedirs(output_dir)
            path = os.path.join(output_dir, FILE_NAMES[fmt])
            write_atomic(path, text)
            written.append(path)
        except Exception as exc:  # pylint: disable=broad-except
            failures.append((fmt, exc))
    return written, failures


def parse_formats(value):
    """(known formats in order, unknown names): unknown names are reported, not fatal, because a
    callback that fails to load would hide every verdict."""
    names = value.split(",") if isinstance(value, str) else list(value or [])
    known, unknown = [], []
    for name in (str(n).strip().lower() for n in names):
        if not name:
            continue
        target = known if name in FORMATS else unknown
        if name not in target:
            target.append(name)
    return known, unknown


def publish(collector, display, warn, output_dir=None, formats=FORMATS, show_passed=False):
    """Build the report, write the files, print the terminal report. Whatever fails, the verdicts
    are printed: a failure costs its own format only, and a warning names it."""
    try:
        report = build_report(collector)
    except Exception as exc:  # pylint: disable=broad-except
        warn("precheck_report: could not build the report (%s: %s); the verdicts follow." % (type(exc).__name__, exc))
        display(render_fallback_verdicts(collector))
        return None
    written, failures = write_reports(report, output_dir, formats) if output_dir else ([], [])
    try:
        display(render_terminal(report, written, show_passed))
    except Exception as exc:  # pylint: disable=broad-except
        failures.append(("terminal", exc))
    if failures:
        display(render_verdicts(report))
        for fmt, exc in failures:
            warn("precheck_report: the %s report failed (%s: %s); the other formats are unaffected."
                 % (fmt, type(exc).__name__, exc))
    return report
