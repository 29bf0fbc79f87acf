# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The callback class driven with fake task results, as Ansible's executor would drive it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest
import yaml

from ansible import constants as C

from ansible_collections.cloudbackup.precheck.plugins.callback import precheck_report
from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import report

NAME = "cloudbackup.precheck.precheck_report"
PASSWORD = "S3cr3t-Pa55word"


class FakeDisplay:
    verbosity = 0

    def __init__(self):
        self.shown, self.warnings = [], []

    def display(self, msg, *args, **kwargs):
        self.shown.append(msg)

    def warning(self, msg, *args, **kwargs):
        self.warnings.append(msg)

    @property
    def text(self):
        return "\n".join(self.shown + self.warnings)


class Named:
    def __init__(self, name):
        self.name = name

    def get_name(self):
        return self.name


class FakeResult:
    def __init__(self, host, task, result):
        self._host = Named(host)
        self._task = Named(task)
        self._result = result


class FakeStats:
    def __init__(self, *hosts):
        self.processed = dict((host, 1) for host in hosts)


class FakePlaybook:
    _file_name = "/srv/playbooks/precheck.yml"


@pytest.fixture
def make_callback(monkeypatch):
    """A callback configured the way the plugin loader configures it (options from its DOCUMENTATION)."""
    for variable in ("DIR", "FORMATS", "SHOW_PASSED"):
        monkeypatch.delenv("CLOUDBACKUP_PRECHECK_REPORT_" + variable, raising=False)
    C.config.initialize_plugin_configuration_definitions(
        "callback", NAME, yaml.safe_load(precheck_report.DOCUMENTATION)["options"])

    def make(**direct):
        display = FakeDisplay()
        callback = precheck_report.CallbackModule(display=display)
        callback._load_name = NAME
        callback.set_options(direct=direct)
        return callback, display

    return make


def check(status, target="oss.example:443", check_id="host.oss_connectivity", message=None):
    return {"id": check_id, "title": "Object storage reachable", "engine": "host", "target": target,
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
    assert "web2: task 'Install ODBC driver' failed: No package matching 'tdsodbc'" in text
    assert "web3: unreachable at task 'Gathering Facts'" in text
    assert "web4: every task was skipped" in text
    assert display.warnings == []

    doc = json.loads(read(tmp_path, "precheck.json"))
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


def test_an_unwritable_directory_still_prints_the_report(make_callback, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    callback, display = make_callback(output_dir=str(blocker / "reports"))
    run_fleet(callback)
    assert "BLOCKING FINDINGS" in display.text
    assert sorted(w.split()[2] for w in display.warnings) == ["html", "json", "junit", "markdown"]
