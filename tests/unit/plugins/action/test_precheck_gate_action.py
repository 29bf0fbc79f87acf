"""The action cloudbackup.precheck.precheck_gate: results of this run only, the gate message, the
host that was not evaluated, the bypass."""

from ansible_collections.cloudbackup.precheck.plugins.action import precheck_gate
from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import fact

from action_runner import run_action

RUN = "20261202T120000.000000Z"


def host_fact(results, policy=None):
    return fact.build([{"check_results": results}], RUN, policy)


def finding(status="failed"):
    return {"id": "oracle.archive_mode", "engine": "oracle", "status": status, "impact": ["backup"],
            "target": "ora01:1521/ORCL", "message": "ORCL runs in NOARCHIVELOG mode.", "remediation": "ALTER DATABASE ARCHIVELOG;"}


def gate(the_fact, run_id=RUN, bypass=False):
    variables = {"inventory_hostname": "ora01"}
    if the_fact is not None:
        variables["cloudbackup_precheck"] = the_fact
    return run_action(precheck_gate, {"run_id": run_id, "bypass": bypass}, variables)


def test_a_ready_host_of_this_run_passes():
    out = gate(host_fact([finding("passed")]))
    assert "failed" not in out and out["ready"] is True and out["msg"] == "ora01 is ready for backup deployment."


def test_a_missing_or_earlier_fact_fails():
    for out in (gate(None), gate(host_fact([finding("passed")]), run_id="an-earlier-run"), gate({"ready": True})):
        assert out["failed"] is True and out["msg"].startswith("ora01 has no precheck results from this run")


def test_a_blocking_finding_fails_with_the_gate_message():
    out = gate(host_fact([finding()]))
    assert out["failed"] is True
    assert out["msg"].splitlines()[:3] == [
        "ora01 is not ready for backup deployment: 1 blocking finding(s).",
        "- [failed] oracle.archive_mode on ora01:1521/ORCL: ORCL runs in NOARCHIVELOG mode.",
        "  Fix: ALTER DATABASE ARCHIVELOG;"]


def test_a_host_that_was_not_evaluated_fails_saying_why_unless_the_policy_lets_it_pass():
    skipped = dict(finding("skipped"), message="Skipped by configuration (skip list).")
    out = gate(host_fact([skipped]))
    assert out["failed"] is True
    assert out["msg"].splitlines()[0] == "ora01 is not evaluated, so it is not ready for backup deployment:"
    assert "- every oracle check of ora01:1521/ORCL was skipped (1 skipped)" in out["msg"]
    assert "cloudbackup_precheck_not_evaluated_blocks: false" in out["msg"]
    assert gate(host_fact([skipped], {"not_evaluated_blocks": False}))["ready"] is True


def test_the_bypass_warns_and_passes():
    out = gate(host_fact([finding()]), bypass=True)
    assert "failed" not in out and out["bypassed"] is True and out["ready"] is False
    assert out["warnings"] == [out["msg"]] and "BYPASSED for ora01" in out["msg"] and "1 blocking" in out["msg"]
