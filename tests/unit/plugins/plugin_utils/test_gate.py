import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.cloudbackup.precheck.plugins.filter.precheck import gate_message, precheck_fact
from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import gate


def result(check_id, status, impact, target="t"):
    return {"id": check_id, "status": status, "impact": list(impact), "target": target,
            "message": "%s is %s" % (check_id, status), "remediation": "fix %s" % check_id}


def test_failed_blocks_on_its_impact_only():
    log = result("sqlserver.recovery_model", "failed", ["log_backup"], "db1:1433/sales")
    assert gate.evaluate([log])[0] == [log]
    assert gate.evaluate([log], {"block_on": ["backup", "restore"]}) == ([], [])


def test_all_operations_blocks_whatever_is_protected():
    net = result("host.control_network", "failed", ["all_operations"])
    assert gate.evaluate([net], {"block_on": ["restore"]})[0] == [net]


def test_warnings_and_errors_follow_the_policy():
    warn = result("oracle.force_logging", "warning", ["restore"])
    err = result("sqlserver.connection", "error", ["all_operations"])
    assert gate.evaluate([warn, err])[0] == [err]
    assert gate.evaluate([warn, err], {"warnings_block": True, "errors_block": False})[0] == [warn]
    assert gate.evaluate([result("x.y", "passed", ["backup"]), result("x.z", "skipped", ["backup"])]) == ([], [])


def test_accepted_findings_match_check_and_target_glob():
    a = result("sqlserver.recovery_model", "failed", ["log_backup"], "db1:1433/reporting")
    b = result("sqlserver.recovery_model", "failed", ["log_backup"], "db1:1433/sales")
    policy = {"accepted_findings": [{"check": "sqlserver.recovery_model", "target": "*/reporting", "reason": "nightly"}]}
    blocking, accepted = gate.evaluate([a, b], policy)
    assert blocking == [b]
    assert accepted == [dict(a, accepted_reason="nightly")]
    whole_check = {"accepted_findings": [{"check": "sqlserver.recovery_model"}]}
    assert gate.evaluate([a, b], whole_check)[0] == []


def test_policy_problems_name_the_setting_and_valid_values():
    problems = gate.validate_policy({"block_on": ["backups"], "accepted_findings": [{"target": "x"}, "y"]})
    assert problems[0] == ("block_on: unknown impact 'backups'; valid impacts: backup, restore, log_backup, "
                           "incremental_backup, all_operations")
    assert problems[1].startswith("accepted_findings[0]: must be a mapping with a 'check' id")
    assert problems[2].startswith("accepted_findings[1]:")


def test_fact_gathers_plain_loop_and_skipped_registrations():
    host_run = {"check_results": [result("host.oss_connectivity", "passed", ["backup"])], "changed": False}
    loop_run = {"results": [{"check_results": [result("mysql.binlog", "failed", ["log_backup"], "db:3306")]},
                            {"skipped": True}]}
    fact = precheck_fact([host_run, loop_run, {}, {"skipped": True}], "run-1")
    assert fact["run_id"] == "run-1" and fact["schema_version"] == 2
    assert [r["id"] for r in fact["results"]] == ["host.oss_connectivity", "mysql.binlog"]
    assert fact["ready"] is False and [r["id"] for r in fact["blocking"]] == ["mysql.binlog"]
    assert fact["summary"]["failed"] == 1 and fact["summary"]["total"] == 2
    assert fact["generated_at"].endswith("Z")


def test_fact_rejects_a_bad_policy():
    with pytest.raises(AnsibleFilterError, match="Invalid gate policy: block_on: unknown impact 'everything'"):
        precheck_fact([], "r", {"block_on": ["everything"]})


def test_gate_message_lists_findings_fixes_and_how_to_accept():
    fact = precheck_fact([{"check_results": [result("oracle.archive_mode", "failed", ["backup"], "ORCL")]}], "r")
    text = gate_message(fact, "ora01")
    assert text.splitlines()[0] == "ora01 is not ready for backup deployment: 1 blocking finding(s)."
    assert "- [failed] oracle.archive_mode on ORCL: oracle.archive_mode is failed" in text
    assert "  Fix: fix oracle.archive_mode" in text
    assert "cloudbackup_precheck_accepted_findings" in text
