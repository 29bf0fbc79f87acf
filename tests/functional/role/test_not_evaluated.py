"""Through ansible-playbook and the role: a host where nothing was checked is not evaluated, the gate
blocks it unless the policy lets it pass, and every report says why (issue 9, defect 2); typos in
the role's input fail naming the entry instead of passing silently (defect 11)."""

import pytest

import endpoints
from harness import local_inventory, run_playbook
from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import catalog

NOTHING_CHECKED = "no check ran on this host"


def html(run):
    return (run.report_dir / "precheck.html").read_text()


def test_a_host_where_nothing_was_checked_is_blocked_and_every_report_says_why(tmp_path):
    run = run_playbook(tmp_path, local_inventory(cloudbackup_precheck_host_checks=[]))
    assert run.rc == 2, run
    assert "localhost is not evaluated, so it is not ready for backup deployment:" in run.stdout
    entry = run.report["hosts"]["localhost"]
    assert entry["verdict"] == "not_evaluated" and entry["gated"] is True
    assert entry["reason"].startswith("not evaluated: " + NOTHING_CHECKED), entry["reason"]
    (case,) = [c for c in run.junit.iter("testcase") if c.get("classname", "").startswith("localhost")
               or c.get("name", "").startswith("localhost")]
    assert NOTHING_CHECKED in ET_text(case)
    for text in (run.markdown, html(run), run.stdout):
        assert NOTHING_CHECKED in text


def ET_text(element):
    return " ".join((node.get("message") or "") + " " + (node.text or "") for node in element.iter())


def test_the_policy_can_let_a_host_that_was_not_evaluated_pass(tmp_path):
    run = run_playbook(tmp_path, local_inventory(cloudbackup_precheck_host_checks=[],
                                                 cloudbackup_precheck_not_evaluated_blocks=False))
    assert run.rc == 0, run
    entry = run.report["hosts"]["localhost"]
    assert entry["verdict"] == "ready"
    assert entry["reason"].startswith("passed the gate without being evaluated: " + NOTHING_CHECKED), entry["reason"]


def test_a_host_without_region_or_endpoint_is_not_evaluated_for_object_storage(tmp_path):
    run = run_playbook(tmp_path, local_inventory(cloudbackup_precheck_host_checks=["oss_connectivity", "arch_64bit"]))
    assert run.rc == 2, run
    entry = run.report["hosts"]["localhost"]
    assert entry["verdict"] == "not_evaluated"
    assert "host.oss_connectivity was not checked: Neither region nor oss_endpoint is set" in entry["reason"]
    assert run.result("host.arch_64bit")["status"] == "passed"


def test_every_check_of_an_instance_skipped_is_not_evaluated(tmp_path):
    instance = {"name": "sales", "login_host": "127.0.0.1", "login_port": endpoints.closed_port(),
                "login_user": "u", "login_password": "p4ssw0rd-x", "checks": ["connection"], "skip": ["connection"]}
    run = run_playbook(tmp_path, local_inventory(cloudbackup_precheck_host_checks=["arch_64bit"],
                                                 cloudbackup_precheck_sqlserver_instances=[instance]))
    assert run.rc == 2, run
    entry = run.report["hosts"]["localhost"]
    assert entry["verdict"] == "not_evaluated"
    assert "every sqlserver check of sales (127.0.0.1:%d) was skipped" % instance["login_port"] in entry["reason"]


@pytest.mark.parametrize("variables, message", [
    ({"cloudbackup_precheck_skip": ["hots.oss_connectivity"]},
     "cloudbackup_precheck_skip[0]: unknown check 'hots.oss_connectivity' (did you mean host.oss_connectivity?)"),
    ({"cloudbackup_precheck_accepted_findings": [{"check": "host.arch64bit", "reason": "known"}]},
     "accepted_findings[0].check: unknown check 'host.arch64bit' (did you mean host.arch_64bit?)"),
    ({"cloudbackup_precheck_block_on": "backup"},
     "block_on: must be a list of impacts, got the string 'backup' (write block_on: [backup])"),
    ({"cloudbackup_precheck_sqlserver_instances": [{"login_host": "127.0.0.1", "login_port": 1, "login_user": "u",
                                                    "login_password": "p", "databases": ["Sales\nHR"], "checks": []}]},
     "cloudbackup_precheck_sqlserver_instances[0].databases[0]: 'Sales\\\\nHR' contains the control character"),
])
def test_typos_in_the_role_input_fail_naming_the_entry(tmp_path, variables, message):
    run = run_playbook(tmp_path, local_inventory(cloudbackup_precheck_host_checks=["arch_64bit"], **variables))
    assert run.rc == 2, run
    assert message in run.stdout, run
    assert run.report["hosts"]["localhost"]["verdict"] == "not_evaluated"


def test_the_role_runs_one_task_per_engine_and_two_for_the_fact_and_the_gate(tmp_path):
    inventory = local_inventory(cloudbackup_precheck_host_checks=["arch_64bit"])
    run = run_playbook(tmp_path, inventory)
    assert run.rc == 0, run
    recap = [line for line in run.stdout.splitlines() if line.startswith("localhost ") and " ok=" in line][-1]
    counts = dict(part.split("=") for part in recap.split(":", 1)[1].split())
    # include_role, its argument validation, the run id (once per play), the host engine, the fact,
    # the stats (once per play) and the gate; skipped: the Windows include and each instance engine's
    # loop over its empty list.
    instance_engines = [name for name, engine in catalog.ENGINES.items() if engine["instances"]]
    assert (counts["ok"], counts["skipped"], counts["failed"]) == ("7", str(1 + len(instance_engines)), "0"), recap


def test_a_newline_in_an_endpoint_fails_the_host_engine_naming_the_option(tmp_path):
    run = run_playbook(tmp_path, local_inventory(cloudbackup_precheck_host_checks=["arch_64bit"],
                                                 cloudbackup_precheck_oss_endpoint="oss.example.com\nevil.example.com"))
    assert run.rc == 2, run
    assert "oss_endpoint: malformed host 'oss.example.com\\\\nevil.example.com'" in run.stdout, run
