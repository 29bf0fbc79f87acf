# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report on plain result dicts: verdicts, grouping, and every output format."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import report
from ansible_collections.cloudbackup.precheck.tests.support.report_files import validate_json, validate_junit

NOW = datetime.datetime(2024, 5, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)


def result(status="failed", check="host.oss_connectivity", target="oss.example:443", message=None,
           remediation="Open TCP 443.", impact=("backup", "restore"), code=None):
    return {
        "id": check, "code": "%s/%s" % (check, code or status), "title": "A check", "engine": check.split(".")[0], "target": target, "status": status,
        "impact": list(impact), "message": message or "%s is %s." % (target, status),
        "remediation": remediation if status in ("failed", "error", "warning") else "",
        "details": {}, "references": ["HBR:X"], "cause": "timeout" if status in ("failed", "error") else None,
        "duration_ms": 250,
    }


def fact(results, blocking=(), accepted=(), ready=None, run_id="run-1"):
    return {"cloudbackup_precheck": {
        "schema_version": 1, "run_id": run_id, "generated_at": "2024-05-01T11:59:00Z",
        "ready": (not blocking) if ready is None else ready,
        "summary": {}, "results": list(results), "blocking": list(blocking), "accepted": list(accepted),
        "policy": {"block_on": ["backup"], "warnings_block": False},
    }}


def collect(events):
    """events: (kind, host, payload...) tuples, fed in order."""
    collector = report.Collector()
    for kind, host, *payload in events:
        if kind == "ok":
            collector.task_ok(host, payload[0], payload[1])
        elif kind == "failed":
            collector.task_failed(host, payload[0], payload[1], *payload[2:])
        elif kind == "unreachable":
            collector.task_unreachable(host, payload[0], payload[1])
        elif kind == "skipped":
            collector.task_skipped(host)
    return collector


def build(events, **kwargs):
    rep = report.build_report(collect(events), now=NOW, **kwargs)
    validate_json(json.loads(report.render_json(rep)))
    return rep


def verdicts(rep):
    return dict((name, entry["verdict"]) for name, entry in rep["hosts"].items())


# -- verdicts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("statuses, expected", [
    (["passed", "warning", "failed", "error"], "error"),
    (["passed", "failed", "warning"], "failed"),
    (["passed", "warning", "skipped"], "warning"),
    (["passed", "skipped"], "passed"),
    (["skipped", "skipped"], "skipped"),
])
def test_without_fact_the_verdict_is_the_worst_status(statuses, expected):
    checks = [result(s, target="t%d" % i) for i, s in enumerate(statuses)]
    rep = build([("ok", "h", "Host checks", {"check_results": checks})])
    assert rep["hosts"]["h"]["verdict"] == expected
    assert rep["hosts"]["h"]["gated"] is False
    assert "no gate" in rep["hosts"]["h"]["reason"]


def test_fact_decides_and_its_results_are_not_counted_twice():
    checks = [result("passed"), result("warning", target="other")]
    rep = build([
        ("ok", "h", "Host checks", {"check_results": checks}),
        ("ok", "h", "Set fact", {"ansible_facts": fact(checks)}),
    ])
    host = rep["hosts"]["h"]
    assert host["verdict"] == "ready"
    assert host["gated"] is True
    assert host["run_id"] == "run-1"
    assert host["summary"]["total"] == 2
    assert rep["summary"]["total"] == 2


def test_blocked_fact_and_accepted_findings():
    failing = result("failed")
    accepted = dict(result("failed", target="legacy:443"), accepted_reason="decommissioned next week")
    gate_fact = fact([failing, result("failed", target="legacy:443")], blocking=[failing], accepted=[accepted])
    rep = build([("ok", "h", "Set fact", {"ansible_facts": gate_fact})])
    host = rep["hosts"]["h"]
    assert host["verdict"] == "blocked"
    assert "host.oss_connectivity" in host["reason"]
    # Results are stored once; blocking and accepted ones are named by their index.
    assert host["blocking"] == [0]
    assert host["accepted"] == [{"index": 1, "accepted_reason": "decommissioned next week"}]
    by_disposition = dict((g["disposition"], g) for g in rep["findings"])
    assert sorted(by_disposition) == ["accepted", "blocking"]
    assert [(o[0], rep.result(o[0], o[1])["target"], o[2]) for o in by_disposition["accepted"].occurrences] == [
        ("h", "legacy:443", "decommissioned next week")]


def test_the_last_fact_wins_and_an_inconsistent_fact_blocks():
    failing = result("failed")
    rep = build([
        ("ok", "h", "Set fact", {"ansible_facts": fact([failing], blocking=[failing])}),
        ("ok", "h", "Set fact again", {"ansible_facts": fact([result("passed")], run_id="run-2")}),
        ("ok", "g", "Set fact", {"ansible_facts": fact([failing], blocking=[failing], ready=True)}),
    ])
    assert verdicts(rep) == {"h": "ready", "g": "blocked"}
    assert rep["hosts"]["h"]["run_id"] == "run-2"


def test_a_failed_gate_after_the_fact_keeps_the_host_blocked():
    failing = result("failed")
    rep = build([
        ("ok", "h", "Set fact", {"ansible_facts": fact([failing], blocking=[failing])}),
        ("failed", "h", "Gate", {"msg": "1 blocking finding", "assertion": "..."}),
    ])
    assert verdicts(rep) == {"h": "blocked"}


def test_unreachable_hosts_are_not_evaluated_with_the_reason():
    rep = build([("unreachable", "h", "Gathering Facts", {"msg": "Failed to connect to the host via ssh",
                                                          "unreachable": True})])
    host = rep["hosts"]["h"]
    assert host["verdict"] == "not_evaluated"
    assert "Gathering Facts" in host["reason"] and "Failed to connect" in host["reason"]
    assert rep["summary"]["not_evaluated"] == 1


def test_a_host_failing_before_any_check_is_not_evaluated_and_the_reason_is_truncated():
    rep = build([("failed", "h", "Install driver", {"msg": "x" * 5000})])
    host = rep["hosts"]["h"]
    assert host["verdict"] == "not_evaluated"
    assert host["reason"].startswith("task 'Install driver' failed: xxx")
    assert len(host["reason"]) < 400


def test_a_failure_after_some_results_without_fact_is_not_evaluated():
    rep = build([
        ("ok", "h", "Host checks", {"check_results": [result("passed")]}),
        ("failed", "h", "SQL Server checks", {"msg": "Invalid arguments: port: must be 1-65535"}),
    ])
    host = rep["hosts"]["h"]
    assert host["verdict"] == "not_evaluated"
    assert "SQL Server checks" in host["reason"] and "after 1 check result" in host["reason"]
    assert host["summary"]["passed"] == 1


def test_an_ignored_failure_does_not_stop_the_evaluation():
    rep = build([
        ("failed", "h", "Optional probe", {"msg": "nope"}, True),
        ("ok", "h", "Host checks", {"check_results": [result("passed")]}),
    ])
    assert verdicts(rep) == {"h": "passed"}


def test_an_ignored_failure_without_results_explains_the_host():
    rep = build([("failed", "h", "Optional probe", {"msg": "nope"}, True)])
    assert rep["hosts"]["h"]["verdict"] == "not_evaluated"
    assert "Optional probe" in rep["hosts"]["h"]["reason"]


def test_a_failed_task_carrying_results_is_a_judged_check():
    rep = build([("failed", "h", "Host checks", {"check_results": [result("failed")], "failed_when_result": True})])
    assert verdicts(rep) == {"h": "failed"}


def test_skipped_and_silent_hosts_are_not_evaluated():
    collector = collect([("skipped", "s", "Host checks")])
    collector.seen("quiet")
    rep = report.build_report(collector, now=NOW)
    assert verdicts(rep) == {"s": "not_evaluated", "quiet": "not_evaluated"}
    assert "skipped" in rep["hosts"]["s"]["reason"]
    assert "no check results" in rep["hosts"]["quiet"]["reason"]


def test_no_log_hidden_output_is_explained():
    rep = build([("ok", "h", "Secret checks", {"censored": "the output has been hidden"})])
    assert "no_log" in rep["hosts"]["h"]["reason"]


def test_loop_results_are_collected_once_each():
    rep = build([("ok", "h", "Per instance", {"results": [
        {"check_results": [result("passed", target="i1")], "item": "i1"},
        {"check_results": [result("failed", target="i2")], "item": "i2"},
        {"skipped": True, "item": "i3"},
    ]})])
    assert rep["hosts"]["h"]["summary"]["total"] == 2
    assert verdicts(rep) == {"h": "failed"}


def test_unrelated_tasks_with_odd_results_keys_do_not_disturb_the_host():
    rep = build([
        ("ok", "h", "Some module", {"results": 3, "ansible_facts": {"other": 1}, "invocation": "odd"}),
        ("ok", "h", "Package", {"results": ["installed foo"]}),
        ("ok", "h", "Host checks", {"check_results": [result("passed")]}),
    ])
    assert verdicts(rep) == {"h": "passed"}


def test_an_invalid_status_counts_as_an_error():
    rep = build([("ok", "h", "Checks", {"check_results": [result("passed"), dict(result("passed"), status="meh"), "junk"]})])
    assert rep["hosts"]["h"]["summary"]["error"] == 1
    assert rep["hosts"]["h"]["summary"]["total"] == 2
    assert verdicts(rep) == {"h": "error"}


class Unreadable(dict):
    def get(self, key, default=None):
        raise RuntimeError("cannot read %s" % key)


def test_an_unreadable_result_makes_the_host_not_evaluated_instead_of_passed():
    rep = build([
        ("ok", "h", "Host checks", {"check_results": [result("passed")]}),
        ("ok", "h", "Broken", Unreadable()),
    ])
    assert rep["hosts"]["h"]["verdict"] == "not_evaluated"
    assert "Broken" in rep["hosts"]["h"]["reason"]


def test_secrets_echoed_by_a_module_are_masked():
    leaky = result("error", message="login failed for sa with password Hunter2secret")
    returned = {"check_results": [leaky], "invocation": {"module_args": {"login_password": "Hunter2secret"}}}
    rep = build([("ok", "h", "SQL", returned)])
    text = report.render_json(rep)
    assert "Hunter2secret" not in text
    assert "********" in rep["hosts"]["h"]["results"][0]["message"]


# -- grouping and the fleet model ----------------------------------------------------------------


def test_findings_are_grouped_by_code_across_targets_and_hosts():
    """The same problem on different targets and hosts, with messages naming each, is one group."""
    def simple(host, database):
        return result("failed", check="sqlserver.recovery_model", target="%s:1433/%s" % (host, database),
                      message="Database %s on %s is in SIMPLE recovery." % (database, host), code="simple_with_log_planned")
    rep = build([
        ("ok", "b", "SQL", {"check_results": [simple("b", "Sales"), simple("b", "HR"), result("passed", target="x")]}),
        ("ok", "a", "SQL", {"check_results": [simple("a", "Sales")]}),
        ("ok", "c", "SQL", {"check_results": [
            result("failed", check="sqlserver.recovery_model", target="c:1433/Web", code="bulk_logged")]}),
    ])
    codes = [(g["code"], g["targets"], g["hosts"]) for g in rep["findings"]]
    assert codes == [("sqlserver.recovery_model/simple_with_log_planned", 3, ["a", "b"]),
                     ("sqlserver.recovery_model/bulk_logged", 1, ["c"])]
    assert all(g["disposition"] == "no_gate" for g in rep["findings"])
    assert all(g["status"] != "passed" for g in rep["findings"])


def test_results_without_a_code_are_grouped_by_check_and_status():
    old = dict(result("failed", target="t1"))
    del old["code"]
    other = dict(old, target="t2", message="another message")
    rep = build([("ok", "h", "Checks", {"check_results": [old, other]})])
    (group,) = rep["findings"]
    assert (group["code"], group["targets"]) == ("host.oss_connectivity/failed", 2)
    assert rep["hosts"]["h"]["results"][0]["code"] == "host.oss_connectivity/failed"


def test_a_finding_blocking_on_one_host_and_accepted_on_another_makes_two_groups():
    """Accepted occurrences never appear under blocking: disposition is part of the group."""
    failing = result("failed")
    accepted = dict(failing, accepted_reason="known")
    rep = build([
        ("ok", "a", "Set fact", {"ansible_facts": fact([failing], blocking=[failing])}),
        ("ok", "b", "Set fact", {"ansible_facts": fact([failing], accepted=[accepted])}),
    ])
    assert [(g["disposition"], g["hosts"]) for g in rep["findings"]] == [("blocking", ["a"]), ("accepted", ["b"])]
    text = report.render_terminal(rep)
    blocking = text.split("BLOCKING FINDINGS")[1].split("ACCEPTED FINDINGS")[0]
    assert "b:" not in blocking and " b" not in blocking.replace("blocking on 1 host(s): a", "")
    assert "accepted on 1 host(s): b (known)" in text


def test_findings_are_ordered_by_disposition_then_severity():
    warn = result("warning", check="host.control_network", target="route")
    failing = result("failed")
    rep = build([
        ("ok", "a", "Set fact", {"ansible_facts": fact([warn, failing], blocking=[failing])}),
        ("ok", "b", "Checks", {"check_results": [result("error", target="e")]}),
    ])
    assert [(g["disposition"], g["status"]) for g in rep["findings"]] == [
        ("blocking", "failed"), ("no_gate", "error"), ("not_blocking", "warning")]


def test_the_run_id_is_the_facts_when_they_agree():
    agree = build([("ok", "a", "f", {"ansible_facts": fact([])}), ("ok", "b", "f", {"ansible_facts": fact([])}),
                   ("unreachable", "c", "t", {"msg": "down"})])
    assert agree["run_id"] == "run-1"
    differ = build([("ok", "a", "f", {"ansible_facts": fact([])}),
                    ("ok", "b", "f", {"ansible_facts": fact([], run_id="run-2")})])
    assert differ["run_id"] not in ("run-1", "run-2")


def test_json_structure():
    collector = collect([
        ("ok", "a", "Set fact", {"ansible_facts": fact([result("passed")])}),
        ("ok", "b", "Checks", {"check_results": [result("failed"), result("skipped", target="s")]}),
        ("unreachable", "c", "t", {"msg": "down"}),
    ])
    collector.playbooks.append("site.yml")
    text = report.render_json(report.build_report(collector, now=NOW))
    assert "\n" not in text.rstrip("\n"), "precheck.json is not pretty-printed"
    doc = validate_json(json.loads(text))
    assert set(doc) == {"schema_version", "result_schema_version", "run_id", "generated_at", "playbook",
                        "interrupted", "summary", "checks", "hosts", "findings"}
    assert (doc["schema_version"], doc["result_schema_version"], doc["interrupted"]) == (2, 2, False)
    assert doc["generated_at"] == "2024-05-01T12:00:00Z"
    assert doc["playbook"] == "site.yml"
    summary = doc["summary"]
    assert (summary["hosts"], summary["ready"], summary["blocked"], summary["not_evaluated"]) == (3, 1, 0, 1)
    assert (summary["passed"], summary["failed"], summary["skipped"], summary["total"]) == (1, 1, 1, 3)
    assert summary["verdicts"] == {"ready": 1, "failed": 1, "not_evaluated": 1}
    assert summary["findings"] == 2
    assert doc["checks"] == [{"id": "host.oss_connectivity", "title": "A check", "engine": "host",
                              "hosts": {"passed": 1, "warning": 0, "failed": 1, "error": 0, "skipped": 0}}]
    assert set(doc["hosts"]["b"]) == {"verdict", "reason", "gated", "summary", "results", "blocking", "accepted",
                                      "run_id", "policy"}
    assert doc["hosts"]["c"]["reason_group"] == "unreachable at task 't'"
    finding = doc["findings"][0]
    assert finding["hosts"] == ["b"] and finding["status"] == "failed" and finding["remediation"]
    assert finding["results"] == [{"host": "b", "index": 0}]
    assert doc["hosts"]["b"]["results"][0] == result("failed")


# -- renderings ----------------------------------------------------------------------------------


def mixed_report():
    failing = result("failed")
    accepted = dict(result("failed", target="legacy:443"), accepted_reason="retired in May")
    gated = [failing, result("failed", target="legacy:443"), result("passed", target="p"),
             result("warning", check="host.control_network", target="route 100.64.0.0/11")]
    return build([
        ("ok", "db1", "Set fact", {"ansible_facts": fact(gated, blocking=[failing], accepted=[accepted])}),
        ("ok", "web1", "Checks", {"check_results": [
            result("error", target="x:1", message="timed out"), result("skipped", target="s")]}),
        ("unreachable", "web2", "Gathering Facts", {"msg": "ssh: connect timed out"}),
    ])


def test_junit_cases_fail_exactly_when_their_finding_blocks():
    root = validate_junit(report.render_junit(mixed_report()))
    assert root.tag == "testsuites" and root.get("skipped") is None
    suites = dict((s.get("name"), s) for s in root.findall("testsuite"))
    assert sorted(suites) == ["db1", "web1", "web2"]
    db1 = suites["db1"]
    # db1 is gated: only its blocking finding fails; the accepted one and the warning are skipped.
    assert (db1.get("tests"), db1.get("failures"), db1.get("errors"), db1.get("skipped")) == ("4", "1", "0", "2")
    cases = dict(((c.get("classname"), c.get("name")), c) for c in db1.findall("testcase"))
    failure = cases[("db1.host.oss_connectivity", "oss.example:443")].find("failure")
    assert failure.get("message") == "oss.example:443 is failed." and failure.get("type") == "host.oss_connectivity/failed"
    assert "Open TCP 443." in failure.text
    accepted = cases[("db1.host.oss_connectivity", "legacy:443")]
    assert accepted.find("failure") is None
    assert accepted.find("skipped").get("message") == "accepted (retired in May): legacy:443 is failed."
    warning = cases[("db1.host.control_network", "route 100.64.0.0/11")]
    assert warning.find("failure") is None and warning.find("skipped").get("message").startswith("warning, does not block")
    passed = cases[("db1.host.oss_connectivity", "p")]
    assert list(passed) == []
    properties = dict((p.get("name"), p.get("value")) for p in db1.find("properties"))
    assert properties["verdict"] == "blocked"
    web1 = suites["web1"]  # no gate: the error fails its case
    assert (web1.get("tests"), web1.get("errors"), web1.get("skipped")) == ("2", "1", "1")
    web2 = suites["web2"]
    (case,) = web2.findall("testcase")
    assert "ssh: connect timed out" in case.find("error").get("message")
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("7", "1", "2")
    names = [(c.get("classname"), c.get("name")) for c in root.iter("testcase")]
    assert len(names) == len(set(names))


def test_junit_class_names_keep_hosts_apart():
    """The same check and target on two hosts are two distinct cases (Jenkins keys by class and name)."""
    rep = build([("ok", h, "Checks", {"check_results": [result("failed", target="localhost:1433/master")]})
                 for h in ("db1.example.com", "db2.example.com")])
    root = validate_junit(report.render_junit(rep))
    assert sorted(c.get("classname") for c in root.iter("testcase")) == [
        "db1_example_com.host.oss_connectivity", "db2_example_com.host.oss_connectivity"]


def test_junit_survives_characters_xml_cannot_carry():
    rep = build([("ok", "h", "Checks", {"check_results": [result("failed", message="bad \x00\x1b byte")]})])
    root = ET.fromstring(report.render_junit(rep).encode("utf-8"))
    assert root.find("testsuite/testcase/failure").get("message") == "bad ?? byte"


def test_markdown_content():
    text = report.render_markdown(mixed_report())
    assert "| db1 | blocked | 1 | 1 | 2 | 0 | 0 |" in text
    assert "| web2 | not evaluated | 0 | 0 | 0 | 0 | 0 |" in text
    blocking = text.split("## Blocking findings")[1].split("\n## ")[0]
    assert "### FAILED `host.oss_connectivity/failed`: 1 target(s) on 1 host(s)" in blocking
    assert "| db1 | `oss.example:443` | oss.example:443 is failed. | Open TCP 443. |" in blocking
    assert "legacy" not in blocking
    accepted = text.split("## Accepted findings")[1].split("\n## ")[0]
    assert "| db1 | `legacy:443` | legacy:443 is failed. | Open TCP 443. | retired in May |" in accepted
    assert "## Not evaluated" in text and "| unreachable at task 'Gathering Facts' | 1: web2 |" in text
    assert "## Findings on hosts without a gate" in text
    assert "## Checks" in text and "| `host.oss_connectivity` | A check | 2 |" in text


def test_markdown_escapes_table_cells():
    rep = build([("unreachable", "h", "t", {"msg": "a | b"})])
    assert "a \\| b" in report.render_markdown(rep)


def test_terminal_report():
    text = report.render_terminal(mixed_report(), files=["/out/precheck.json", "/out/precheck.html"])
    lines = text.splitlines()
    assert all(len(line) <= report.WIDTH for line in lines), [line for line in lines if len(line) > report.WIDTH]
    assert lines[2] == "3 host(s): 0 ready, 1 blocked, 1 not evaluated, 1 error (no gate)"
    checks = lines[lines.index(next(line for line in lines if line.startswith("CHECK"))):][:3]
    assert checks[1].split() == ["host.control_network", "1", "0", "1", "0", "0", "0"]
    assert checks[2].split() == ["host.oss_connectivity", "2", "0", "0", "1", "1", "0"]
    table = lines[lines.index(next(line for line in lines if line.startswith("HOST"))):][:4]
    assert table[1].split()[:2] == ["web2", "not"]
    assert table[2].split()[:2] == ["db1", "blocked"]
    assert table[3].split()[:2] == ["web1", "error"]
    blocking = text.split("BLOCKING FINDINGS")[1].split("\n\n")[0]
    assert "db1: FAILED host.oss_connectivity @ oss.example:443" in blocking and "legacy" not in blocking
    assert "Fix: Open TCP 443." in blocking
    assert "accepted on 1 host(s): db1 (retired in May)" in text
    assert "cloudbackup_precheck_accepted_findings:" in text
    assert "      - check: host.oss_connectivity\n        target: 'oss.example:443'\n" in text
    assert "cloudbackup_precheck_skip: [host.oss_connectivity]" in text
    assert "NOT EVALUATED" in text and "web2: unreachable at task 'Gathering Facts'" in text
    assert "/out/precheck.json" in text and "with filters: /out/precheck.html" in text
    assert "PASSED CHECKS" not in text
    passed = report.render_terminal(mixed_report(), show_passed=True)
    assert "PASSED host.oss_connectivity: 1 target(s) on 1 host(s)" in passed


def test_long_host_lists_are_shortened_in_the_terminal():
    rep = build([("ok", "h%02d" % i, "Checks", {"check_results": [result("failed", target="t%d" % i)]})
                 for i in range(30)])
    text = " ".join(report.render_terminal(rep).split())
    assert "no gate ran on 30 host(s): h00, h01" in text and "h07 and 22 more" in text
    assert "FAILED host.oss_connectivity/failed: 30 target(s) on 30 host(s)" in text
    # A small fleet shows every target in detail.
    assert all("h%02d: FAILED host.oss_connectivity @ t%d" % (i, i) in text for i in range(30))


def test_the_terminal_report_degrades_to_fit_its_line_budget():
    checks = [result("failed", check="host.c%02d" % c, target="t%d" % i, code="kind")
              for c in range(25) for i in range(4)]
    rep = build([("ok", "h%03d" % h, "Checks", {"check_results": checks}) for h in range(40)])
    for budget in (60, 120, 180):
        lines = report.render_terminal(rep, max_lines=budget).splitlines()
        assert len(lines) <= budget, (budget, len(lines))
    text = report.render_terminal(rep, max_lines=60)
    assert "more problem(s): see precheck.md or precheck.html" in text
    assert len(report.render_terminal(rep, list_hosts=True, max_lines=60).splitlines()) > 60  # asked for every host


def test_parse_formats():
    assert report.parse_formats(["JSON", " junit", "xml", "json", ""]) == (["json", "junit"], ["xml"])
    assert report.parse_formats("markdown,pdf") == (["markdown"], ["pdf"])


# -- files and failures --------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_atomic_write_leaves_no_partial_file(tmp_path, monkeypatch, step):
    path = tmp_path / "precheck.json"
    path.write_text("old report")

    def broken(*args):
        raise OSError("disk full")

    monkeypatch.setattr(report.os, step, broken)
    with pytest.raises(OSError):
        report.write_atomic(str(path), "new report")
    assert path.read_text() == "old report"
    assert os.listdir(str(tmp_path)) == ["precheck.json"]


def test_atomic_write_replaces_and_creates_readable_files(tmp_path):
    path = tmp_path / "precheck.md"
    report.write_atomic(str(path), "one")
    report.write_atomic(str(path), "two")
    assert path.read_text() == "two"
    assert os.listdir(str(tmp_path)) == ["precheck.md"]
    assert os.stat(str(path)).st_mode & 0o044


def test_write_reports_creates_the_directory(tmp_path):
    out = tmp_path / "a" / "b"
    written, failures = report.write_reports(mixed_report(), str(out), report.FORMATS)
    assert failures == []
    assert sorted(os.listdir(str(out))) == ["precheck-junit.xml", "precheck.html", "precheck.json", "precheck.md"]
    assert written[0] == str(out / "precheck.json")


class Sink:
    def __init__(self):
        self.shown, self.warnings = [], []

    def display(self, text):
        self.shown.append(text)

    def warn(self, text):
        self.warnings.append(text)


def test_a_rendering_crash_still_prints_the_verdicts_and_writes_the_other_formats(tmp_path, monkeypatch):
    def boom(rep):
        raise KeyError("oops")

    monkeypatch.setitem(report.RENDERERS, "markdown", boom)
    sink = Sink()
    report.publish(collect([("unreachable", "web2", "t", {"msg": "down"}),
                            ("ok", "db1", "Checks", {"check_results": [result("passed")]})]),
                   sink.display, sink.warn, output_dir=str(tmp_path), formats=report.FORMATS)
    assert sorted(os.listdir(str(tmp_path))) == ["precheck-junit.xml", "precheck.html", "precheck.json"]
    shown = "\n".join(sink.shown)
    assert "precheck verdict: web2: not evaluated (unreachable at task 't': down)" in shown
    assert "precheck verdict: db1: passed" in shown
    assert len(sink.warnings) == 1 and "markdown" in sink.warnings[0] and "oops" in sink.warnings[0]


def test_a_terminal_crash_still_prints_the_verdicts(monkeypatch):
    def boom(*args, **kwargs):
        raise ValueError("bad width")

    monkeypatch.setattr(report, "render_terminal", boom)
    sink = Sink()
    report.publish(collect([("ok", "h", "Checks", {"check_results": [result("failed")]})]), sink.display, sink.warn)
    assert sink.shown == ["precheck verdict: h: failed (no gate ran on this host: the verdict is its worst check status)"]
    assert "terminal" in sink.warnings[0]


def test_a_model_crash_still_prints_a_verdict_per_host(monkeypatch):
    def boom(*args, **kwargs):
        raise TypeError("model")

    monkeypatch.setattr(report, "build_report", boom)
    sink = Sink()
    report.publish(collect([("ok", "h", "Checks", {"check_results": [result("failed")]}),
                            ("unreachable", "u", "t", {"msg": "down"})]), sink.display, sink.warn)
    assert "precheck verdict: h: failed" in sink.shown[0]
    assert "precheck verdict: u: not evaluated" in sink.shown[0]
    assert "could not build the report" in sink.warnings[0]


def test_html_page_escapes_everything_and_shows_verdicts_and_fixes():
    collector = report.Collector()
    hostile = dict(result("failed"), message="<script>alert(1)</script> & co", remediation="ALTER DATABASE [a<b]",
                   target="it's \"[odd]\"")
    collector.task_ok("db<1>", "Checks", {"check_results": [hostile, result("passed", target="<p>")]})
    page = report.render_html(report.build_report(collector))
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page
    assert "db&lt;1&gt;" in page and "ALTER DATABASE [a&lt;b]" in page and "&lt;p&gt;" in page
    assert "it&#x27;s &quot;[odd]&quot;" in page
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count("<script>") == 1 and "src=" not in page and "http://" not in page and "https://" not in page


def test_html_host_ids_are_distinct_and_valid():
    from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import report_html
    names = ["db1", "db 1", "db~20~1", "db/1", "d\u00e9"]
    ids = [report_html.host_id(n) for n in names]
    assert len(set(ids)) == len(ids) and all(" " not in i for i in ids)


def test_a_finding_reported_by_two_tasks_of_one_host_names_the_host_once():
    collector = report.Collector()
    for task in ("Checks", "Checks again"):
        collector.task_ok("db1", task, {"check_results": [result("failed")]})
    (group,) = report.build_report(collector)["findings"]
    assert group["hosts"] == ["db1"] and group["targets"] == 1


def test_the_published_schema_goes_with_the_result_schema():
    """A new result schema version (results.py) needs a new version of docs/precheck-report.schema.json."""
    from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
    from ansible_collections.cloudbackup.precheck.tests.support import report_files
    with open(report_files.JSON_SCHEMA) as handle:
        schema = json.load(handle)
    assert schema["properties"]["result_schema_version"] == {"const": R.SCHEMA_VERSION}
    assert schema["properties"]["schema_version"] == {"const": report.REPORT_SCHEMA_VERSION}
    assert sorted(schema["$defs"]["result"]["properties"]) == sorted(R.RESULT_KEYS)
    assert schema["$defs"]["status"]["enum"] == list(R.STATUSES)
    assert schema["$defs"]["impact"]["enum"] == list(R.IMPACTS)


def test_an_invalid_document_is_refused_by_the_schema():
    from ansible_collections.cloudbackup.precheck.tests.support.report_files import json_errors
    doc = json.loads(report.render_json(mixed_report()))
    assert json_errors(doc) == []
    doc["hosts"]["db1"]["results"][0]["status"] = "fine"
    del doc["summary"]["ready"]
    errors = json_errors(doc)
    assert any("hosts/db1/results/0/status" in e for e in errors) and any("'ready' is a required" in e for e in errors)
