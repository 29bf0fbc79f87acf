"""Runs ansible-playbook the way an operator does (this checkout's ansible.cfg, the report callback
enabled, report files written) and gives the tests what an operator would see."""

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import yaml

import contract
import report_files
from checkout import ROOT

VENV_BIN = os.path.dirname(sys.executable)


class Run:
    def __init__(self, proc, report_dir, elapsed):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.elapsed = elapsed
        self.report_dir = report_dir
        # Every run that writes a report checks it against the published schemas.
        if report_dir.exists():
            report_files.validate_dir(report_dir)
        self.report = self._load(report_dir / "precheck.json", json.load)
        self.junit = self._load(report_dir / "precheck-junit.xml", lambda f: ET.parse(f).getroot())
        self.markdown = self._load(report_dir / "precheck.md", lambda f: f.read())
        contract.record(self.report)

    @staticmethod
    def _load(path, reader):
        if not path.exists():
            return None
        with open(path) as handle:
            return reader(handle)

    def output(self):
        return self.stdout + self.stderr

    def custom_stats(self):
        """What set_stats published, as the default callback prints it with ANSIBLE_SHOW_CUSTOM_STATS."""
        lines = [line for line in self.stdout.splitlines() if line.startswith("\tRUN: ")]
        assert len(lines) == 1, "expected one line of custom stats in:\n%s" % self.stdout[-3000:]
        return json.loads(lines[0][len("\tRUN: "):])

    def results(self, host="localhost"):
        return self.report["hosts"][host]["results"]

    def result(self, check_id, target=None, host="localhost"):
        found = [r for r in self.results(host) if r["id"] == check_id and (target is None or r["target"] == target)]
        assert len(found) == 1, "expected one %s result for %s on %s, got %r" % (check_id, target, host, found)
        return found[0]

    def __repr__(self):
        return "Run(rc=%s)\n--- stdout\n%s\n--- stderr\n%s" % (self.rc, self.stdout[-6000:], self.stderr[-3000:])


def local_inventory(**host_vars):
    """An inventory of one local host, with the role variables given."""
    variables = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    variables.update(host_vars)
    return {"all": {"hosts": {"localhost": variables}}}


PRECHECK_PLAYBOOK = os.path.join(ROOT, "playbooks", "precheck.yml")


def run_playbook(tmp_path, inventory, playbook=PRECHECK_PLAYBOOK, verbosity=0, env=None, extra_args=(), timeout=600):
    """`inventory`: a dict or a path. `playbook`: the main job by default, a path, or a list of plays."""
    if not isinstance(playbook, (str, os.PathLike)):
        path = tmp_path / "playbook.yml"
        path.write_text(yaml.safe_dump(playbook, sort_keys=False))
        playbook = path
    if isinstance(inventory, dict):
        path = tmp_path / "inventory.yml"
        path.write_text(yaml.safe_dump(inventory, sort_keys=False))
        inventory = path
    report_dir = tmp_path / "report"
    environment = dict(os.environ)
    environment.update({
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".venv", "collections"),
        "CLOUDBACKUP_PRECHECK_REPORT_DIR": str(report_dir),
        # These small fleets' tests read every finding in the terminal report: room for all of them
        # (the default bound of 180 lines is tested at fleet scale in
        # tests/unit/plugins/callback/test_precheck_report_fleet.py).
        "CLOUDBACKUP_PRECHECK_REPORT_TERMINAL_LINES": "5000",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
        "PATH": VENV_BIN + os.pathsep + environment.get("PATH", ""),
    })
    environment.update(env or {})
    command = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", str(inventory), str(playbook)]
    if verbosity:
        command.append("-" + "v" * verbosity)
    command.extend(extra_args)
    started = time.monotonic()
    proc = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=timeout,
                          check=False)
    return Run(proc, report_dir, time.monotonic() - started)


def fact_play(directory):
    """The main job with the gate as a second step, and between them a task that saves each host's
    fact as <directory>/<host>.json (also of the hosts the gate then fails)."""
    with open(PRECHECK_PLAYBOOK) as handle:
        plays = yaml.safe_load(handle)
    role = plays[0]["tasks"][0]
    plays[0]["tasks"] = [
        dict(role, vars={"cloudbackup_precheck_gate": False}),
        {"name": "Save the fact", "ansible.builtin.copy": {
            "content": "{{ cloudbackup_precheck | to_json }}", "dest": str(directory) + "/{{ inventory_hostname }}.json",
            "mode": "0600"}, "delegate_to": "localhost"},
        {"name": "Gate", "ansible.builtin.include_role": {"name": "cloudbackup.precheck.precheck", "tasks_from": "gate"}},
    ]
    return plays
