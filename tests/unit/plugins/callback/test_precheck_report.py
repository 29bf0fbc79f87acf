# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The callback class driven with fake task results, as Ansible's executor would drive it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import report
from ansible_collections.cloudbackup.precheck.tests.support import report_callback
from ansible_collections.cloudbackup.precheck.tests.support.fleet import Named
from ansible_collections.cloudbackup.precheck.tests.support.report_files import validate_dir

# The task result class of the ansible-core being imitated: set by the make_callback fixture.
FakeResult = None

PASSWORD = "S3cr3t-Pa55word"


class LegacyResult:
    """A task result as ansible-core 2.16 to 2.18 pass it: only the underscored attributes."""

    def __init__(self, host, task, result):
        self._host = Named(host)
        self._task = Named(task)
        self._result = result
        self.task_name = task


class PublicResult:
    """A task result as ansible-core 2.19 and later pass it: public accessors; the underscored ones
    are deprecated (2.23), so touching them fails here."""

    def __init__(self, host, task, result):
        self._data = (Named(host), Named(task), result)
        self.task_name = task

    @property
    def host(self):
        return self._data[0]

    @property
    def task(self):
        return self._data[1]

    @property
    def result(self):
        return self._data[2]

    def __getattr__(self, name):
        raise AssertionError("the callback used the deprecated %s" % name)


@pytest.fixture(params=[PublicResult, LegacyResult], ids=["ansible-core-2.19", "ansible-core-2.16"])
def result_class(request):
    return request.param


class FakeStats:
    def __init__(self, *hosts):
        self.processed = dict((host, 1) for host in hosts)


def FakePlaybook():
    return report_callback.Playbook("/srv/playbooks/precheck.yml")


@pytest.fixture
def make_callback(monkeypatch, result_class):
    """A callback configured the way the plugin loader configures it (options from its DOCUMENTATION)."""
    global FakeResult  # pylint: disable=global-statement
    FakeResult = result_class
    for variable in ("DIR", "FORMATS", "SHOW_PASSED", "LIST_HOSTS", "MARKDOWN_APPENDIX", "TERMINAL_LINES", "EXAMPLES"):
        monkeypatch.delenv("CLOUDBACKUP_PRECHECK_REPORT_" + variable, raising=False)
    report_callback.configure(monkeypatch)

    def make(**direct):
        display = report_callback.Display()
        return report_callback.callback(display, **direct), display

    return make


def check(status, target="oss.example:443", check_id="host.oss_connectivity", message=None):
    return {"id": check_id, "code": "%s/%s" % (check_id, status), "title": "Object storage reachable", "engine": "host", "target": target,
            "status": status, "impact": ["backup", "restore"], "message": message or "%s: %s" % (target, status),
            "remediation": "Allow outbound TCP 443." if status != "passed" else "", "details": {},
            "references": [], "cause": None, "duration_ms": 12}


def module_return(*results):
    """What a precheck module returns, with the arguments Ansible adds (a password among them)."""
    return {"changed": False, "check_results": list(results), "schema_version": 1, "msg": "host precheck",
            "invocation": {"module_args": {"login_user": "backup", "login_password": PASSWORD, "port": 1433}}}


def gate_fact(results, blocking):
    return {"ansible_facts": {"cloudbackup_precheck": {
        "schema_version": 1, "run_id": "run-42", "generated_at": "2024-05-01T00:00:00Z",
        "ready": not blocking, "summary": {}, "results": results, "blocking": blocking, "accepted": [],
        "policy": {"block_on": ["backup", "restore"]}}}, "invocation": {"module_args": {"password": PASSWORD}}}


def run_fleet(callback):
    failing = check("failed")
    callback.v2_playbook_on_start(FakePlaybook())
    # db1: the role ran, set the fact, and its gate failed.
    callback.v2_runner_on_ok(FakeResult("db1", "Host checks", module_return(failing, check("passed", "x"))))
    callback.v2_runner_on_ok(FakeResult("db1", "Record the precheck", gate_fact([failing, check("passed", "x")],
                                                                                [failing])))
    callback.v2_runner_on_failed(FakeResult("db1", "Gate", {"msg": "blocked", "failed": True}))
    # web1: checks only, one warning.
    callback.v2_runner_on_ok(FakeResult("web1", "Host checks", module_return(check("warning", message="slow"))))
    # web2: a task failed before any check ran.
    callback.v2_runner_on_failed(FakeResult("web2", "Install ODBC driver", {
        "msg": "No package matching 'tdsodbc'", "failed": True,
        "invocation": {"module_args": {"name": "tdsodbc", "login_password": PASSWORD}}}))
    # web3: unreachable.
    callback.v2_runner_on_unreachable(FakeResult("web3", "Gathering Facts", {
        "msg": "Failed to connect to the host via ssh", "unreachable": True}))
    # web4: every task skipped.
    callback.v2_runner_on_skipped(FakeResult("web4", "Host checks", {"skipped": True}))
    callback.v2_playbook_on_stats(FakeStats("db1", "web1", "web2", "web3", "web4"))


def read(directory, name):
    with open(os.path.join(str(directory), name)) as handle:
        return handle.read()


def test_the_fleet_report_is_printed_and_written(make_callback, tmp_path):
    callback, display = make_callback(output_dir=str(tmp_path))
    run_fleet(callback)

    text = display.text
    rows = dict((line.split()[0], line.split()[1:]) for line in text.splitlines()
                if line.split() and line.split()[0] in ("db1", "web1", "web2", "web3", "web4"))
    assert rows["db1"] == ["blocked", "1", "0", "1", "0", "0"]
    assert rows["web1"] == ["warning", "0", "1", "0", "0", "0"]
    for host in ("web2", "web3", "web4"):
        assert rows[host][:2] == ["not", "evaluated"]
    assert "BLOCKING FINDINGS" in text and "blocking on 1 host(s): db1" in text
    assert "db1: FAILED host.oss_connectivity @ oss.example:443" in text
    assert "web2: task 'Install ODBC driver' failed: No package matching 'tdsodbc'" in text
    assert "web3: unreachable at task 'Gathering Facts'" in text
    assert "web4: every task was skipped" in text
    assert display.warnings == []

    doc = validate_dir(tmp_path)
    assert doc["run_id"] == "run-42"
    assert doc["playbook"] == "precheck.yml"
    assert doc["summary"]["hosts"] == 5 and doc["summary"]["blocked"] == 1 and doc["summary"]["not_evaluated"] == 3
    assert doc["hosts"]["db1"]["summary"]["total"] == 2  # the fact's results, not the module's again
    assert sorted(os.listdir(str(tmp_path))) == ["precheck-junit.xml", "precheck.html", "precheck.json", "precheck.md"]
    for name in os.listdir(str(tmp_path)):
        assert str(tmp_path / name) in text


def test_no_password_reaches_any_output(make_callback, tmp_path):
    callback, display = make_callback(output_dir=str(tmp_path))
    run_fleet(callback)
    assert PASSWORD not in display.text
    for name in os.listdir(str(tmp_path)):
        content = read(tmp_path, name)
        assert PASSWORD not in content
        assert "invocation" not in content and "module_args" not in content


def test_loop_results_and_failed_tasks_with_results_are_collected(make_callback):
    callback, display = make_callback()
    callback.v2_runner_on_ok(FakeResult("h", "Per instance", {"results": [
        module_return(check("passed", "MSSQLSERVER")), module_return(check("error", "SQL2"))]}))
    callback.v2_runner_on_failed(FakeResult("g", "Checks with failed_when", module_return(check("failed"))))
    callback.v2_playbook_on_stats(FakeStats("h", "g"))
    rows = dict((line.split()[0], line.split()[1:]) for line in display.shown[0].splitlines()
                if line.split() and line.split()[0] in ("h", "g"))
    assert rows == {"h": ["error", "1", "0", "0", "1", "0"], "g": ["failed", "0", "0", "1", "0", "0"]}


def test_without_output_dir_nothing_is_written(make_callback, tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    callback, display = make_callback()
    run_fleet(callback)
    assert os.listdir(str(tmp_path)) == []
    assert "Report files" not in display.text


def test_options_from_the_environment(make_callback, tmp_path, monkeypatch):
    monkeypatch.setenv("CLOUDBACKUP_PRECHECK_REPORT_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("CLOUDBACKUP_PRECHECK_REPORT_FORMATS", "junit")
    monkeypatch.setenv("CLOUDBACKUP_PRECHECK_REPORT_SHOW_PASSED", "true")
    callback, display = make_callback()
    run_fleet(callback)
    assert os.listdir(str(tmp_path / "reports")) == ["precheck-junit.xml"]
    validate_dir(tmp_path / "reports")
    assert "PASSED CHECKS" in display.text


def test_an_unknown_format_is_a_clear_warning(make_callback, tmp_path):
    callback, display = make_callback(output_dir=str(tmp_path), formats=["json", "pdf"])
    assert display.warnings == ["precheck_report: unknown report format(s) pdf in 'formats' are ignored; "
                                "valid formats: json, junit, markdown, html."]
    run_fleet(callback)
    assert os.listdir(str(tmp_path)) == ["precheck.json"]


def test_a_broken_format_still_shows_the_verdicts(make_callback, tmp_path, monkeypatch):
    def boom(rep):
        raise RuntimeError("renderer bug")

    monkeypatch.setitem(report.RENDERERS, "junit", boom)
    callback, display = make_callback(output_dir=str(tmp_path))
    run_fleet(callback)
    assert "precheck verdict: db1: blocked" in display.text
    assert "precheck verdict: web3: not evaluated" in display.text
    assert len(display.warnings) == 1 and "junit" in display.warnings[0]
    assert sorted(os.listdir(str(tmp_path))) == ["precheck.html", "precheck.json", "precheck.md"]
    validate_dir(tmp_path)


def test_an_unwritable_directory_still_prints_the_report(make_callback, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    callback, display = make_callback(output_dir=str(blocker / "reports"))
    run_fleet(callback)
    assert "BLOCKING FINDINGS" in display.text
    assert sorted(w.split()[2] for w in display.warnings) == ["html", "json", "junit", "markdown"]


def test_the_files_of_an_earlier_run_are_removed_when_the_playbook_starts(make_callback, tmp_path):
    for name in report.FILE_NAMES.values():
        (tmp_path / name).write_text("an earlier run")
    (tmp_path / "notes.txt").write_text("not ours")
    callback, display = make_callback(output_dir=str(tmp_path), formats=["json"])
    callback.v2_playbook_on_start(FakePlaybook())
    assert sorted(os.listdir(str(tmp_path))) == ["notes.txt"]
    callback.v2_runner_on_ok(FakeResult("h", "Host checks", module_return(check("passed"))))
    callback.v2_playbook_on_stats(FakeStats("h"))
    assert sorted(os.listdir(str(tmp_path))) == ["notes.txt", "precheck.json"]


def test_an_interrupted_run_prints_and_writes_what_is_known_marked_interrupted(make_callback, tmp_path):
    """Ctrl-C: ansible-playbook exits without v2_playbook_on_stats; the exit hook publishes."""
    callback, display = make_callback(output_dir=str(tmp_path))
    callback.v2_playbook_on_start(FakePlaybook())
    failing = check("failed")
    callback.v2_runner_on_ok(FakeResult("db1", "Host checks", module_return(failing)))
    callback.v2_runner_on_ok(FakeResult("db1", "Record the precheck", gate_fact([failing], [failing])))
    callback.v2_runner_on_ok(FakeResult("db2", "Host checks", module_return(check("passed"))))
    callback.on_exit()
    text = display.text
    assert "RUN INTERRUPTED, the report is incomplete: 2 host(s): 0 ready, 1 blocked, 1 not evaluated" in text
    assert "db2: the run was interrupted before the host's precheck completed" in text
    doc = validate_dir(tmp_path)
    assert doc["interrupted"] is True
    assert doc["hosts"]["db2"]["verdict"] == "not_evaluated" and doc["hosts"]["db1"]["verdict"] == "blocked"
    assert "RUN INTERRUPTED" in read(tmp_path, "precheck.md")
    assert "The run was interrupted" in read(tmp_path, "precheck.html")
    assert 'name="run completed"' in read(tmp_path, "precheck-junit.xml")
    # The exit hook of a run that finished does nothing.
    shown = len(display.shown)
    callback.v2_playbook_on_stats(FakeStats("db1", "db2"))
    callback.on_exit()
    assert len(display.shown) == shown + 1


def test_a_loop_item_failure_names_the_items_own_message(make_callback, tmp_path):
    """Ansible says "One or more items failed"; the module's message names the option, in every format."""
    callback, display = make_callback(output_dir=str(tmp_path))
    callback.v2_runner_on_failed(FakeResult("db1", "SQL Server | Check each configured instance", {
        "failed": True, "msg": "One or more items failed", "results": [
            module_return(check("passed", "SQL1")),
            {"failed": True, "msg": "login_port: 70000 is out of range (valid ports: 1-65535)", "item": 1,
             "_ansible_item_label": "reporting"}]}))
    callback.v2_playbook_on_stats(FakeStats("db1"))
    assert ("db1: task 'SQL Server | Check each configured instance' failed: item reporting: login_port: 70000 is "
            "out of range (valid ports: 1-65535)") in " ".join(display.text.split())
    assert "One or more items failed" not in display.text
    validate_dir(tmp_path)
    for name in report.FILE_NAMES.values():
        assert "login_port: 70000 is out of range" in read(tmp_path, name), name


def test_limits_out_of_range_are_a_clear_warning(make_callback):
    callback, display = make_callback(terminal_lines=5, examples=-1)
    assert display.warnings == ["precheck_report: terminal_lines must be 40 or more, got 5; 180 is used.",
                                "precheck_report: examples must be 0 or more, got -1; 3 is used."]
    run_fleet(callback)
    assert "BLOCKING FINDINGS" in display.text
