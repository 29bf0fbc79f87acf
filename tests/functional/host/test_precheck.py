"""The whole chain on the host checks: module, role, fact, gate, callback, report files, against
endpoints the tests start on 127.0.0.1."""

import json
import sys

import pytest

import endpoints
from harness import fact_play, local_inventory, run_playbook
from module_run import run_module

NO_ROUTES = {"cloudbackup_precheck_control_route_addresses": []}


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    cert, key = endpoints.self_signed_cert(directory)
    with endpoints.HttpsServer(cert, key) as server:
        yield {"cert": str(cert), "port": server.port}


def test_https_endpoint_with_its_ca_passes_end_to_end(tmp_path, tls):
    inventory = local_inventory(cloudbackup_precheck_oss_endpoint="localhost:%d" % tls["port"],
                                cloudbackup_precheck_ca_path=tls["cert"], **NO_ROUTES)
    run = run_playbook(tmp_path, inventory, playbook=fact_play(tmp_path))
    assert run.rc == 0, run
    fact = json.loads((tmp_path / "localhost.json").read_text())
    assert fact["ready"] is True and fact["schema_version"] == 2 and fact["run_id"]
    (oss,) = [r for r in fact["results"] if r["id"] == "host.oss_connectivity"]
    assert oss["status"] == "passed" and "HTTP 403" in oss["message"]
    assert run.report["hosts"]["localhost"]["verdict"] == "ready"
    assert run.report["run_id"] == fact["run_id"]
    assert "localhost  ready" in run.stdout
    assert "localhost is ready for backup deployment" not in run.stdout or run.rc == 0


@pytest.mark.parametrize("endpoint, step, cause", [
    ("closed", "tcp", "refused"),
    ("silent", "tls", "timeout"),
    ("no-such-host.invalid:443", "dns", "dns"),
    ("untrusted", "tls", "tls"),
])
def test_each_failure_cause_reaches_fact_report_and_junit(tmp_path, tls, endpoint, step, cause):
    with endpoints.SilentListener() as silent:
        oss = {"closed": "127.0.0.1:%d" % endpoints.closed_port(), "silent": "127.0.0.1:%d" % silent.port,
               "untrusted": "localhost:%d" % tls["port"]}.get(endpoint, endpoint)
        run = run_playbook(tmp_path, local_inventory(cloudbackup_precheck_oss_endpoint=oss,
                                                     cloudbackup_precheck_timeout=2, **NO_ROUTES))
    assert run.rc == 2, run
    result = run.result("host.oss_connectivity", oss)
    assert (result["status"], result["details"]["step"], result["cause"]) == ("failed", step, cause)
    assert run.report["hosts"]["localhost"]["verdict"] == "blocked"
    assert "(step %s, %s)" % (step, cause) in run.stdout
    assert "localhost is not ready for backup deployment: 1 blocking finding(s)." in run.stdout
    (case,) = [c for c in run.junit.iter("testcase") if c.get("classname") == "localhost.host.oss_connectivity"]
    assert case.get("name") == oss and case.find("failure") is not None
    assert "(step %s, %s)" % (step, cause) in case.find("failure").get("message")


def test_mixed_inventory_gate_fails_exactly_the_blocked_host(tmp_path, tls):
    refused = "127.0.0.1:%d" % endpoints.closed_port()
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = {"all": {"vars": NO_ROUTES, "hosts": {
        "passing": dict(local, cloudbackup_precheck_oss_endpoint="localhost:%d" % tls["port"],
                        cloudbackup_precheck_ca_path=tls["cert"]),
        "blocked": dict(local, cloudbackup_precheck_oss_endpoint=refused),
        "accepted": dict(local, cloudbackup_precheck_oss_endpoint=refused, cloudbackup_precheck_accepted_findings=[
            {"check": "host.oss_connectivity", "target": refused, "reason": "storage moves next week"}]),
        "unreachable": {"ansible_connection": "ssh", "ansible_host": "127.0.0.1",
                        "ansible_port": endpoints.closed_port(), "ansible_ssh_common_args": "-o ConnectTimeout=3"},
    }}}
    run = run_playbook(tmp_path, inventory)
    assert run.rc != 0, run
    recap = dict((line.split()[0], line) for line in run.stdout.split("PLAY RECAP")[1].splitlines()[1:6]
                 if ":" in line)
    assert [h for h in recap if "failed=1" in recap[h]] == ["blocked"], recap
    assert [h for h in recap if "unreachable=1" in recap[h]] == ["unreachable"], recap
    assert "fatal: [blocked]: FAILED!" in run.stdout and "blocked is not ready for backup deployment" in run.stdout

    verdicts = dict((h, run.report["hosts"][h]["verdict"]) for h in run.report["hosts"])
    assert verdicts == {"passing": "ready", "blocked": "blocked", "accepted": "ready", "unreachable": "not_evaluated"}
    assert run.report["summary"]["not_evaluated"] == 1
    accepted = run.report["hosts"]["accepted"]["accepted"]
    assert [a["accepted_reason"] for a in accepted] == ["storage moves next week"]
    assert run.results("accepted")[accepted[0]["index"]]["target"] == refused

    # The terminal table, the JSON and the JUnit file tell the same story.
    table = run.stdout.split("cloudbackup.precheck report")[1]
    for host, verdict in verdicts.items():
        assert any(line.split()[:2] == [host, verdict.replace("_", " ").split()[0]] for line in table.splitlines() if line.strip()), host
    suites = dict((s.get("name"), s) for s in run.junit.iter("testsuite"))
    assert set(suites) == set(verdicts)
    # A case fails exactly when its finding blocks: the accepted one is skipped, with its reason.
    assert int(suites["blocked"].get("failures")) == 1 and int(suites["accepted"].get("failures")) == 0
    assert [s.get("message") for s in suites["accepted"].iter("skipped") if "storage moves" in s.get("message")] == [
        "accepted (storage moves next week): %s" % run.result("host.oss_connectivity", refused, "accepted")["message"]]
    assert int(suites["passing"].get("failures")) == 0 and int(suites["passing"].get("errors")) == 0
    assert int(suites["unreachable"].get("errors")) == 1
    assert "not evaluated" in (run.markdown or "")


def test_check_mode_really_checks(tmp_path):
    refused = "127.0.0.1:%d" % endpoints.closed_port()
    run = run_playbook(tmp_path, local_inventory(cloudbackup_precheck_oss_endpoint=refused, **NO_ROUTES),
                       extra_args=["--check"])
    assert run.rc == 2, run
    assert run.result("host.oss_connectivity", refused)["cause"] == "refused"


def test_three_silent_endpoints_cost_about_one_timeout():
    with endpoints.SilentListener() as silent, endpoints.BlackHole() as hole1, endpoints.BlackHole() as hole2:
        out, elapsed = run_module("host_precheck", {
            "oss_endpoint": "127.0.0.1:%d" % silent.port, "timeout": 2,
            "control_endpoints": ["127.0.0.1:%d" % hole1.port, "127.0.0.1:%d" % hole2.port]})
    assert elapsed < 4, elapsed
    failed = sorted((r["target"], r["details"]["step"], r["cause"]) for r in out["check_results"] if r["status"] == "failed")
    assert failed == sorted([("127.0.0.1:%d" % silent.port, "tls", "timeout"), ("127.0.0.1:%d" % hole1.port, "tcp", "timeout"),
                             ("127.0.0.1:%d" % hole2.port, "tcp", "timeout")])
    assert out["changed"] is False and out["summary"]["failed"] == 3


def test_three_accepting_silent_endpoints_return_within_the_bound():
    """The issue's own case: every endpoint accepts TCP and then says nothing."""
    with endpoints.SilentListener() as silent:
        address = "127.0.0.1:%d" % silent.port
        out, elapsed = run_module("host_precheck", {"oss_endpoint": address, "timeout": 2,
                                                    "control_endpoints": [address, "localhost:%d" % silent.port]})
    assert elapsed < 4, elapsed
    (oss,) = [r for r in out["check_results"] if r["id"] == "host.oss_connectivity"]
    assert (oss["status"], oss["details"]["step"], oss["cause"]) == ("failed", "tls", "timeout")


@pytest.mark.parametrize("args, message", [
    ({"checks": ["oss"]}, "checks: unknown check 'oss'; known checks: host.oss_connectivity, host.control_network"),
    ({"oss_endpoint": "127.0.0.1:0"}, "oss_endpoint: port '0' in '127.0.0.1:0' is out of range (valid ports: 1-65535)"),
    ({"control_endpoints": ["x:70000"]}, "control_endpoints: port '70000'"),
    ({"timeout": -1}, "timeout: -1 is out of range (valid: a number greater than 0 and at most 86400)"),
    ({"oss_endpoint": "ftp://x"}, "oss_endpoint: malformed endpoint 'ftp://x'"),
    ({"timeout": "soon"}, "argument 'timeout' is of type"),
])
def test_bad_module_input_fails_before_any_probe_naming_the_option(args, message):
    out, _elapsed = run_module("host_precheck", args)
    assert out["failed"] is True and message in out["msg"], out["msg"]
    assert "check_results" not in out and "Traceback" not in out["msg"]


def test_wrong_type_in_a_role_variable_names_the_variable(tmp_path):
    run = run_playbook(tmp_path, local_inventory(cloudbackup_precheck_control_endpoints="a.example:443",
                                                 cloudbackup_precheck_block_on=["everything"]))
    assert run.rc == 2, run
    assert "cloudbackup_precheck_block_on" in run.stdout and "everything" in run.stdout
    assert run.report["hosts"]["localhost"]["verdict"] == "not_evaluated"


def test_word_size_of_the_machine_and_of_a_32_bit_userspace(tmp_path):
    """host.arch_64bit on this (64-bit) machine passes; pointed at an ELF32 executable, as in a mounted
    32-bit image, it fails and the gate blocks the host; at a file that is no executable, it warns."""
    elf32 = tmp_path / "sh32"
    elf32.write_bytes(b"\x7fELF\x01\x01\x01" + b"\x00" * 57)
    script = tmp_path / "script"
    script.write_text("#!/bin/sh\n")
    runs = {}
    for name, binary in (("native", "/bin/sh"), ("elf32", str(elf32)), ("not_elf", str(script))):
        (tmp_path / name).mkdir()
        runs[name] = run_playbook(tmp_path / name, local_inventory(
            cloudbackup_precheck_host_checks=["arch_64bit"], cloudbackup_precheck_userspace_binary=binary))
    native = runs["native"].result("host.arch_64bit")
    assert runs["native"].rc == 0 and native["status"] == "passed", runs["native"]
    assert native["code"] == "host.arch_64bit/passed" and "is 64-bit" in native["message"]
    failed = runs["elf32"].result("host.arch_64bit")
    assert runs["elf32"].rc == 2 and failed["status"] == "failed" and failed["code"] == "host.arch_64bit/userspace_32bit"
    assert "32-bit userspace" in failed["message"] and "host.arch_64bit" in runs["elf32"].stdout
    unknown = runs["not_elf"].result("host.arch_64bit")
    assert runs["not_elf"].rc == 0 and unknown["status"] == "warning" and "not a readable ELF" in unknown["message"]
