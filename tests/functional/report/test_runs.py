# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report callback in real runs: interrupted with Ctrl-C (the earlier run's files must not
survive as if they were this run's), and under ansible-runner, which is how AWX runs playbooks."""

import json
import os
import signal
import subprocess
import sys
import time

import ansible_runner
import yaml

import endpoints
from harness import PRECHECK_PLAYBOOK, ROOT, VENV_BIN
from report_files import validate_dir

FILES = ["precheck-junit.xml", "precheck.html", "precheck.json", "precheck.md"]


def environment(tmp_path, report_dir):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".venv", "collections"),
        "CLOUDBACKUP_PRECHECK_REPORT_DIR": str(report_dir),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
        "PATH": VENV_BIN + os.pathsep + env.get("PATH", ""),
    })
    return env


def inventory(tmp_path, hosts):
    refused = "127.0.0.1:%d" % endpoints.closed_port()
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
             "cloudbackup_precheck_oss_endpoint": refused, "cloudbackup_precheck_control_route_addresses": []}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump({"all": {"hosts": dict((h, local) for h in hosts)}}))
    return path


def test_ctrl_c_prints_what_is_known_and_marks_the_files_interrupted(tmp_path):
    report_dir = tmp_path / "report"
    report_dir.mkdir()
    for name in FILES:
        (report_dir / name).write_text("the report of an earlier run")
    # The role's checks and gate on one host, then a long task on the other: Ctrl-C arrives during it.
    plays = [{"name": "Precheck", "hosts": "db1", "gather_facts": False, "tasks": [
        {"name": "Run the precheck", "ansible.builtin.include_role": {"name": "cloudbackup.precheck.precheck"},
         "vars": {"cloudbackup_precheck_gate": False}}]},
        {"name": "Something long", "hosts": "db2", "gather_facts": False, "tasks": [
            {"name": "Host | Check object storage", "cloudbackup.precheck.host_precheck": {
                "oss_endpoint": "{{ cloudbackup_precheck_oss_endpoint }}", "control_route_addresses": []}},
            {"name": "Wait", "ansible.builtin.command": "sleep 60", "changed_when": False}]}]
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    command = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", str(inventory(tmp_path, ["db1", "db2"])),
               str(playbook)]
    proc = subprocess.Popen(command, cwd=ROOT, env=environment(tmp_path, report_dir), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output = []
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        output.append(line)
        if line.startswith("TASK [Wait]"):
            time.sleep(2)
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
            break
        assert time.monotonic() < deadline, "".join(output)
    output.append(proc.stdout.read())
    proc.wait(timeout=60)
    text = "".join(output)
    assert proc.returncode != 0, text
    assert "RUN INTERRUPTED, the report is incomplete: 2 host(s): 0 ready, 1 blocked, 1 not evaluated" in text, text
    assert "db2: the run was interrupted before the host's precheck completed (after" in " ".join(text.split())
    assert sorted(os.listdir(str(report_dir))) == FILES
    for name in FILES:
        assert "earlier run" not in (report_dir / name).read_text()
    doc = validate_dir(report_dir)
    assert doc["interrupted"] is True
    assert (doc["hosts"]["db1"]["verdict"], doc["hosts"]["db2"]["verdict"]) == ("blocked", "not_evaluated")


def test_the_callback_works_under_ansible_runner(tmp_path):
    """AWX runs ansible-playbook through ansible-runner, with its own stdout callback."""
    report_dir = tmp_path / "report"
    # Only what the job needs on top of the environment ansible-runner passes on; AWX brings no
    # ansible.cfg of ours, so the callback is enabled as an AWX job would enable it.
    env = dict((key, value) for key, value in environment(tmp_path, report_dir).items()
               if key.startswith(("ANSIBLE_", "CLOUDBACKUP_")) and key != "ANSIBLE_CONFIG")
    env.update(ANSIBLE_CALLBACKS_ENABLED="cloudbackup.precheck.precheck_report",
               PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    (tmp_path / "runner").mkdir()
    events = []
    run = ansible_runner.run(private_data_dir=str(tmp_path / "runner"), playbook=PRECHECK_PLAYBOOK,
                             inventory=str(inventory(tmp_path, ["db1", "db2"])), envvars=env, quiet=True,
                             event_handler=lambda event: events.append(event) or True, timeout=300)
    stdout = run.stdout.read()
    assert run.rc == 2, stdout
    assert "cloudbackup.precheck report" in stdout
    assert "2 host(s): 0 ready, 2 blocked, 0 not evaluated" in stdout
    assert "db1: FAILED host.oss_connectivity @ 127.0.0.1:" in stdout
    # The report reaches AWX as job events, the way AWX shows job output.
    assert any("cloudbackup.precheck report" in (event.get("stdout") or "") for event in events)
    assert len(stdout.encode("utf-8")) < 1024 * 1024
    doc = validate_dir(report_dir)
    assert sorted(doc["hosts"]) == ["db1", "db2"] and doc["summary"]["blocked"] == 2
    assert json.loads((report_dir / "precheck.json").read_text())["run_id"] == doc["run_id"]
