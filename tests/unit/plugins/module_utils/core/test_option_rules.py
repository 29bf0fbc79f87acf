"""Issue 9, defect 9: options that were accepted but unusable. A declared range, finiteness and an
existing file are checked once in core for every engine, before anything runs, naming the option
and what is valid; a crash while making a check's results is that check's `internal` error."""

import pytest

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import options as O
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import registry
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import runner
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.context import Context
from module_run import run_module

ORACLE = {"login_host": "127.0.0.1", "login_port": 1, "service_name": "ORCL", "login_user": "u", "login_password": "p"}
MYSQL = {"login_host": "127.0.0.1", "login_port": 1, "login_user": "u", "login_password": "p"}


@pytest.mark.parametrize("module, args, message", [
    ("host_precheck", {"timeout": 1e10}, "timeout: 10000000000 is out of range (valid: a number greater than 0 and at "
                                         "most 86400)"),
    ("host_precheck", {"timeout": float("inf")}, "timeout: inf is not a finite number (valid: a number greater than 0 "
                                                 "and at most 86400)"),
    ("host_precheck", {"timeout": float("nan")}, "timeout: nan is not a finite number"),
    ("host_precheck", {"oss_endpoint": "127.0.0.1:9", "ca_path": "/nonexistent/ca.pem"},
     "ca_path: /nonexistent/ca.pem is not an existing file"),
    ("oracle_precheck", dict(ORACLE, connect_timeout=1e308), "connect_timeout: 1e+308 is out of range (valid: a number "
                                                             "greater than 0 and at most 86400)"),
    ("oracle_precheck", dict(ORACLE, connect_timeout=float("nan")), "connect_timeout: nan is not a finite number"),
    ("mysql_precheck", dict(MYSQL, binlog_min_retention_hours=float("nan")),
     "binlog_min_retention_hours: nan is not a finite number (valid: a number at least 0)"),
    # The password `p` must not be masked into the option's name either (`esxi_********orts`).
    ("vmware_precheck", {"hostname": "127.0.0.1", "username": "u", "password": "p", "esxi_ports": [443, 0]},
     "esxi_ports: 0 is out of range (valid: a number from 1 to 65535)"),
])
def test_an_unusable_number_or_file_fails_before_anything_runs_naming_the_option(module, args, message):
    out, _elapsed = run_module(module, args)
    assert out.get("failed") is True and message in out["msg"], out
    assert "check_results" not in out and "Please report this bug" not in out["msg"]


def test_rules_name_the_range_in_the_docs_and_in_every_problem():
    timeout = dict(type="float", exclusive_minimum=0, maximum=60)
    ports = dict(type="list", elements="int", minimum=1, maximum=65535)
    assert O.rule_text(timeout) == "The value must be greater than 0 and at most 60."
    assert O.rule_text(ports) == "Each element must be from 1 to 65535."
    assert O.rule_text(dict(type="float")) is None
    spec = {"timeout": timeout, "ports": ports, "ratio": dict(type="float"),
            "peers": dict(type="list", elements="dict", options={"port": dict(type="int", minimum=1)})}
    assert O.problems(spec, {"timeout": 0, "ports": [80, 70000], "ratio": float("-inf"), "peers": [{"port": 0}]}) == [
        "timeout: 0 is out of range (valid: a number greater than 0 and at most 60)",
        "ports: 70000 is out of range (valid: a number from 1 to 65535)",
        "ratio: -inf is not a finite number (valid: a finite number)",
        "peers.port: 0 is out of range (valid: a number at least 1)",
    ]
    assert O.problems(spec, {"timeout": 60, "ports": [1, 65535], "ratio": 1e300, "peers": None}) == []


def test_a_crash_while_making_results_is_an_internal_error_of_that_check_alone(monkeypatch):
    monkeypatch.setattr(registry, "REGISTRY", {})

    @registry.register("t.broken", "Broken", ("backup",))
    def broken(ctx):
        return [{"message": "an outcome without a status"}]

    @registry.register("t.fine", "Fine", ("backup",))
    def fine(ctx):
        return [R.passed("x", "fine")]

    selected, _skipped = registry.select("t", ["all"])
    for concurrent in (False, True):
        results = runner.run_checks(selected, Context({}, "h"), concurrent=concurrent)
        assert [(r["id"], r["status"], r["cause"]) for r in results] == [
            ("t.broken", "error", "internal"), ("t.fine", "passed", None)]
        assert "Check t.broken crashed: KeyError" in results[0]["message"]


def test_parallel_map_raises_what_a_worker_raised():
    def work(item):
        if item == 2:
            raise OverflowError("timeout value is too large")
        return item * 10

    with pytest.raises(OverflowError):
        runner.parallel_map(work, [1, 2, 3])
    assert runner.parallel_map(work, [1, 3]) == [10, 30]
