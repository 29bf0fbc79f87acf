# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merging job slices' precheck.json into one fleet report: in plugin_utils, and through the
playbook cloudbackup.precheck.merge_reports as ansible-playbook runs it."""

from __future__ import absolute_import, division, print_function

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import report, report_merge
from ansible_collections.cloudbackup.precheck.tests.support.report_files import validate_dir, validate_json

from checkout import ROOT


def result(status, target, check="host.oss_connectivity"):
    return {"id": check, "code": "%s/%s" % (check, status), "title": "Object storage", "engine": "host",
            "target": target, "status": status, "impact": ["backup"], "message": "%s %s" % (target, status),
            "remediation": "Open TCP 443." if status != "passed" else "", "details": {}, "references": [],
            "cause": None, "duration_ms": 5}


def write_slice(directory, hosts, run_id, when="2026-12-02T08:00:00Z"):
    """A slice's report as the callback writes it: each host gated, failing hosts blocked."""
    collector = report.Collector()
    collector.playbooks.append("precheck.yml")
    for name, status in hosts.items():
        checks = [result(status, "oss:443"), result("passed", "route")]
        blocking = [checks[0]] if status == "failed" else []
        collector.task_ok(name, "Set the fact", {"ansible_facts": {"cloudbackup_precheck": {
            "schema_version": 2, "run_id": run_id, "ready": not blocking, "results": checks, "blocking": blocking,
            "accepted": [], "policy": {}}}})
    rep = report.build_report(collector)
    rep["generated_at"] = when
    os.makedirs(str(directory), exist_ok=True)
    report.write_reports(rep, str(directory), ["json"])
    return str(directory / "precheck.json")


def test_two_slices_make_one_fleet_and_every_host_counts_once(tmp_path):
    first = write_slice(tmp_path / "s1", {"db1": "failed", "db2": "passed"}, "job-1")
    second = write_slice(tmp_path / "s2", {"db3": "passed", "db4": "warning"}, "job-2")
    merged = report_merge.merge_files([first, second, first])  # the first slice given twice
    doc = validate_json(json.loads(report.render_json(merged)))
    assert sorted(doc["hosts"]) == ["db1", "db2", "db3", "db4"]
    assert (doc["summary"]["hosts"], doc["summary"]["ready"], doc["summary"]["blocked"]) == (4, 3, 1)
    assert [(s["source"], s["hosts"]) for s in doc["merged_from"]] == [(first, 2), (second, 2)]
    (group,) = [g for g in doc["findings"] if g["disposition"] == "blocking"]
    assert group["hosts"] == ["db1"] and group["targets"] == 1


def test_the_same_slice_twice_by_two_paths_counts_its_hosts_once(tmp_path):
    path = write_slice(tmp_path / "s1", {"db1": "failed", "db2": "passed"}, "job-1")
    copy = tmp_path / "copy.json"
    copy.write_text(open(path).read())
    merged = report_merge.merge_files([path, str(copy)])
    assert merged["summary"]["hosts"] == 2 and merged["summary"]["blocked"] == 1
    assert merged["summary"]["total"] == 4
    replaced = [s.get("replaced_hosts") for s in merged["merged_from"]]
    assert replaced == [["db1", "db2"], None]
    assert merged["run_id"] == "job-1"


def test_a_host_in_two_slices_is_taken_from_the_newer(tmp_path):
    old = write_slice(tmp_path / "old", {"db1": "failed"}, "job-1", when="2026-12-01T08:00:00Z")
    new = write_slice(tmp_path / "new", {"db1": "passed"}, "job-2", when="2026-12-02T08:00:00Z")
    for order in ([old, new], [new, old]):
        merged = report_merge.merge_files(order)
        assert merged["hosts"]["db1"]["verdict"] == "ready" and merged["summary"]["hosts"] == 1
    assert merged["run_id"] not in ("job-1", "job-2")


def test_globs_and_bad_files_fail_clearly(tmp_path):
    write_slice(tmp_path / "a", {"db1": "passed"}, "r")
    write_slice(tmp_path / "b", {"db2": "passed"}, "r")
    assert report_merge.merge_files([str(tmp_path / "*" / "precheck.json")])["summary"]["hosts"] == 2
    with pytest.raises(report_merge.MergeError, match="src: .*nothing-here.json matches no file"):
        report_merge.merge_files([str(tmp_path / "nothing-here.json")])
    (tmp_path / "bad.json").write_text('{"schema_version": 7, "hosts": {}}')
    with pytest.raises(report_merge.MergeError, match="bad.json: not a precheck.json report .*got 7"):
        report_merge.merge_files([str(tmp_path / "bad.json")])
    (tmp_path / "torn.json").write_text('{"schema_version": 2, "hosts": {"db1": {')
    with pytest.raises(report_merge.MergeError, match="torn.json: cannot be read as JSON"):
        report_merge.merge_files([str(tmp_path / "torn.json")])


def test_a_schema_1_report_merges(tmp_path):
    failing = dict(result("failed", "oss:443"))
    del failing["code"]
    old = {"schema_version": 1, "result_schema_version": 1, "run_id": "old", "generated_at": "2024-05-01T00:00:00Z",
           "playbook": "precheck.yml", "hosts": {"db1": {
               "verdict": "blocked", "reason": "1 blocking finding(s)", "gated": True, "run_id": "old", "policy": {},
               "results": [failing], "blocking": [failing], "accepted": []}}}
    (tmp_path / "old.json").write_text(json.dumps(old))
    merged = report_merge.merge_files([str(tmp_path / "old.json")])
    validate_json(json.loads(report.render_json(merged)))
    assert merged["hosts"]["db1"]["blocking"] == [0]
    assert merged.findings[0]["code"] == "host.oss_connectivity/failed"


def test_the_merge_playbook_from_the_collection(tmp_path):
    """ansible-playbook cloudbackup.precheck.merge_reports, as from an installed collection."""
    write_slice(tmp_path / "slice1", {"db1": "failed", "db2": "passed"}, "job-1")
    write_slice(tmp_path / "slice2", {"db3": "passed"}, "job-2")
    extra = {"cloudbackup_precheck_merge_src": [str(tmp_path / "slice*" / "precheck.json"),
                                                str(tmp_path / "slice1" / "precheck.json")],
             "cloudbackup_precheck_merge_dest": str(tmp_path / "fleet")}
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".venv", "collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
               CLOUDBACKUP_PRECHECK_REPORT_DIR=str(tmp_path / "callback"))
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "cloudbackup.precheck.merge_reports",
               "-e", json.dumps(extra)]
    proc = subprocess.run(command, cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = validate_dir(tmp_path / "fleet")
    assert sorted(doc["hosts"]) == ["db1", "db2", "db3"] and doc["summary"]["blocked"] == 1
    assert sorted(os.listdir(str(tmp_path / "fleet"))) == ["precheck-junit.xml", "precheck.html", "precheck.json",
                                                           "precheck.md"]
    assert "3 host(s): 2 ready, 1 blocked, 0 not evaluated" in proc.stdout

    proc = subprocess.run(command[:2], cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 2 and "missing required arguments: dest, src" in proc.stdout, proc.stdout
