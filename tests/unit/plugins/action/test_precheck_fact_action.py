"""The action cloudbackup.precheck.precheck_fact: the fact from registered results, whether the host
was evaluated, and the role input it rejects (issue 9, defects 2 and 11)."""

import pytest

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core before 2.19 templates every string
    def trust_as_template(value):
        return value

from ansible_collections.cloudbackup.precheck.plugins.action import precheck_fact

from action_runner import run_action

RUN = "20261202T120000.000000Z"


def result(check_id, status, target="t", impact=("backup",), message=None):
    return {"id": check_id, "engine": check_id.split(".")[0], "status": status, "impact": list(impact),
            "target": target, "message": message or "%s is %s" % (check_id, status), "remediation": ""}


def run(task_vars, **args):
    base = {"registered": ["_host", "_sql"], "run_id": RUN}
    base.update(args)
    variables = {"inventory_hostname": "db01", "ansible_play_hosts": ["db01"]}
    variables.update(task_vars)
    return run_action(precheck_fact, base, variables)


def test_the_fact_holds_every_result_as_registered_without_copying_them():
    host = {"check_results": [result("host.oss_connectivity", "passed", "oss:443")], "changed": False}
    databases = [result("sqlserver.recovery_model", "failed", "sql01:1433/db%d" % i, ("log_backup",)) for i in range(3)]
    sql = {"results": [{"check_results": databases}, {"skipped": True}], "skipped": False}
    out = run({"_host": host, "_sql": sql})
    assert "failed" not in out and out["run_id"] == RUN and out["schema_version"] == 2
    assert out["results"][0] is host["check_results"][0] and out["results"][1] is databases[0]
    assert out["ready"] is False and [r["target"] for r in out["blocking"]] == [r["target"] for r in databases]
    assert out["evaluated"] is True and out["not_evaluated"] == []
    assert out["engines"] == {"host": {"runs": 1, "results": 1, "checked": 1, "evaluated": True},
                              "sqlserver": {"runs": 1, "results": 3, "checked": 3, "evaluated": True}}
    assert "ansible_facts" not in out
    assert out["msg"] == "4 result(s) (3 failed, 1 passed): not ready, 3 blocking, 0 accepted."


def test_cacheable_returns_the_fact_as_an_ansible_fact_too():
    host = {"check_results": [result("host.oss_connectivity", "passed")]}
    out = run({"_host": host}, cacheable=True)
    assert out["ansible_facts"]["cloudbackup_precheck"]["results"] == host["check_results"]
    assert out["ready"] is True


def test_a_host_without_results_is_not_evaluated_and_not_ready():
    out = run({"_host": {"skipped": True, "changed": False}})
    assert (out["ready"], out["evaluated"]) == (False, False)
    assert [gap["kind"] for gap in out["not_evaluated"]] == ["no_results"]
    assert out["not_evaluated"][0]["reason"].startswith("no check ran on this host")
    allowed = run({}, policy={"not_evaluated_blocks": False})
    assert (allowed["ready"], allowed["evaluated"]) == (True, False)


def test_an_engine_whose_every_check_was_skipped_is_not_evaluated():
    host = {"check_results": [result("host.arch_64bit", "passed")]}
    sql = {"results": [{"check_results": [result("sqlserver.connection", "skipped", "sql01:1433"),
                                          result("sqlserver.recovery_model", "skipped", "sql01:1433")]}]}
    out = run({"_host": host, "_sql": sql})
    assert out["ready"] is False and out["blocking"] == []
    (gap,) = out["not_evaluated"]
    assert (gap["engine"], gap["target"], gap["kind"]) == ("sqlserver", "sql01:1433", "all_skipped")
    assert out["engines"]["sqlserver"]["evaluated"] is False and out["engines"]["host"]["evaluated"] is True


def test_object_storage_not_configured_is_not_evaluated_but_skipping_it_on_purpose_is():
    unconfigured = result("host.oss_connectivity", "skipped", "localhost",
                          message="Neither region nor oss_endpoint is set: there is no object-storage endpoint to test.")
    out = run({"_host": {"check_results": [unconfigured, result("host.arch_64bit", "passed")]}})
    (gap,) = out["not_evaluated"]
    assert gap["kind"] == "not_configured" and "Neither region nor oss_endpoint is set" in gap["reason"]
    assert out["ready"] is False
    on_purpose = dict(unconfigured, message="Skipped by configuration (skip list).")
    out = run({"_host": {"check_results": [on_purpose, result("host.arch_64bit", "passed")]}})
    assert out["evaluated"] is True and out["ready"] is True


def test_a_skip_entry_that_is_no_check_id_fails_naming_it_and_the_closest_id():
    out = run({"_host": {"check_results": [result("host.arch_64bit", "passed")]}},
              skip=["host.arch_64bit", "hots.oss_connectivity"])
    assert out["failed"] is True and "results" not in out
    assert ("cloudbackup_precheck_skip[1]: unknown check 'hots.oss_connectivity' (did you mean host.oss_connectivity?)"
            in out["msg"])
    assert "valid check ids: host.oss_connectivity, host.control_network" in out["msg"]


@pytest.mark.parametrize("policy, message", [
    ({"accepted_findings": [{"check": "sqlserver.recovery_modle", "reason": "x"}]},
     "accepted_findings[0].check: unknown check 'sqlserver.recovery_modle' (did you mean sqlserver.recovery_model?)"),
    ({"block_on": "backup"}, "block_on: must be a list of impacts, got the string 'backup' (write block_on: [backup]); "
                             "valid impacts: backup, restore, log_backup, incremental_backup, all_operations"),
])
def test_policy_typos_fail_naming_the_entry(policy, message):
    out = run({"_host": {"check_results": [result("host.arch_64bit", "passed")]}}, policy=policy)
    assert out["failed"] is True and message in out["msg"], out["msg"]


def test_control_characters_in_endpoints_and_database_names_fail_naming_the_variable_never_a_secret():
    variables = {
        "_host": {"check_results": [result("host.arch_64bit", "passed")]},
        "cloudbackup_precheck_oss_endpoint": "oss.example.com\nevil.example.com",
        "cloudbackup_precheck_restore_password": "line1\nline2",
        "cloudbackup_precheck_sqlserver_instances": [
            {"login_host": "sql01", "login_password": "pass\nword", "databases": ["Sales", "Sales\r"]}],
    }
    out = run(variables)
    assert out["failed"] is True
    assert "cloudbackup_precheck_oss_endpoint: 'oss.example.com\\nevil.example.com' contains the control character" in out["msg"]
    assert "cloudbackup_precheck_sqlserver_instances[0].databases[1]: 'Sales\\r'" in out["msg"]
    assert "password" not in out["msg"] and "line1" not in out["msg"] and "word" not in out["msg"]


def test_role_variables_are_templated_before_they_are_checked():
    variables = {"_host": {"check_results": [result("host.arch_64bit", "passed")]},
                 "endpoint_of_site": "oss\tsite", "cloudbackup_precheck_oss_endpoint": trust_as_template("{{ endpoint_of_site }}")}
    assert "cloudbackup_precheck_oss_endpoint: 'oss\\tsite'" in run(variables)["msg"]
