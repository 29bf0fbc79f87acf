"""Through ansible-playbook and the role: a host pays one timeout for all its silent endpoints (issue 9,
defect 8; issue 13's black-holed host). The host engine probes the instances' endpoints at once with
its own; an instance whose endpoint stayed silent is an error of cause timeout at once."""

import endpoints
from harness import local_inventory, run_playbook
from module_run import run_module

# Long enough that the three timeouts of waiting for each silent instance in turn stand out of the
# noise of a loaded machine.
TIMEOUT = 8


def sqlserver(name, port):
    return {"name": name, "login_host": "127.0.0.1", "login_port": port, "login_user": "backup_check",
            "login_password": "n0t-used-here", "encrypt": False}


def run_host(tmp_path, instances, **variables):
    tmp_path.mkdir(parents=True, exist_ok=True)
    inventory = local_inventory(cloudbackup_precheck_host_checks=variables.pop("checks", []),
                                cloudbackup_precheck_timeout=TIMEOUT, cloudbackup_precheck_control_route_addresses=[],
                                cloudbackup_precheck_sqlserver_instances=instances, **variables)
    return run_playbook(tmp_path, inventory)


def assert_silent(run, name, port):
    target = "%s (127.0.0.1:%d)" % (name, port)
    connection = run.result("sqlserver.connection", target)
    assert (connection["status"], connection["cause"]) == ("error", "timeout"), connection
    assert connection["message"].startswith("127.0.0.1:%d did not answer: its TCP connection timed out when this "
                                            "host probed" % port), connection["message"]
    assert connection["details"] == {"endpoint": "127.0.0.1:%d" % port, "silent_in_earlier_probe": True}
    assert connection["duration_ms"] < 1000, connection  # not waited for again
    others = [r for r in run.results() if r["target"].startswith(target) and r["id"] != "sqlserver.connection"]
    assert others and set((r["status"], r["cause"]) for r in others) == {("error", "dependency")}, others
    assert set(r["message"] for r in others) == {"Not run: sqlserver.connection failed (timeout); see that result."}


def test_three_silent_sql_server_instances_cost_the_host_one_timeout(tmp_path):
    refused = [sqlserver("r%d" % i, endpoints.closed_port()) for i in range(3)]
    baseline = run_host(tmp_path / "refused", refused)
    with endpoints.BlackHole() as a, endpoints.BlackHole() as b, endpoints.BlackHole() as c:
        run = run_host(tmp_path / "silent", [sqlserver("a", a.port), sqlserver("b", b.port), sqlserver("c", c.port)])
    assert run.rc == 2 and baseline.rc == 2, run
    for name, hole in (("a", a), ("b", b), ("c", c)):
        assert_silent(run, name, hole.port)
    # Three instances waited for one after the other would cost three timeouts on top of the baseline.
    assert run.elapsed - baseline.elapsed < TIMEOUT * 2, (run.elapsed, baseline.elapsed)
    # Refused is an answer: those instances were connected and classified as such, not short-circuited.
    for entry in refused:
        result = baseline.result("sqlserver.connection", "%s (127.0.0.1:%d)" % (entry["name"], entry["login_port"]))
        assert result["cause"] != "timeout" and "earlier" not in result["message"], result


def test_a_black_holed_host_costs_one_timeout(tmp_path):
    def host(directory, oss, control, sql):
        return run_host(directory, [sqlserver("sales", sql)], checks=["oss_connectivity", "control_network"],
                        cloudbackup_precheck_oss_endpoint="127.0.0.1:%d" % oss,
                        cloudbackup_precheck_control_endpoints=["127.0.0.1:%d" % control])

    # The same host with every endpoint refusing: what it costs without waiting.
    quick = host(tmp_path / "refused", endpoints.closed_port(), endpoints.closed_port(), endpoints.closed_port())
    with endpoints.BlackHole() as oss, endpoints.BlackHole() as control, endpoints.BlackHole() as sql:
        run = host(tmp_path / "silent", oss.port, control.port, sql.port)
    assert run.rc == 2, run
    oss_result = run.result("host.oss_connectivity")
    assert (oss_result["status"], oss_result["cause"], oss_result["target"]) == (
        "failed", "timeout", "127.0.0.1:%d" % oss.port)
    control_result = run.result("host.control_network", "127.0.0.1:%d" % control.port)
    assert (control_result["status"], control_result["cause"]) == ("failed", "timeout"), control_result
    assert_silent(run, "sales", sql.port)
    assert run.elapsed - quick.elapsed < TIMEOUT * 2, (run.elapsed, quick.elapsed)


def test_a_delegated_instance_is_not_judged_by_this_host_probe(tmp_path):
    with endpoints.BlackHole() as hole:
        instance = dict(sqlserver("far", hole.port), delegate_to="localhost")
        run = run_host(tmp_path, [instance], checks=["arch_64bit"])
    connection = run.result("sqlserver.connection", "far (127.0.0.1:%d)" % hole.port)
    assert connection["cause"] == "timeout" and "earlier" not in connection["message"], connection


def test_instances_healthy_does_not_wait_again_for_a_peer_that_was_silent():
    seconds = 15
    with endpoints.BlackHole() as hole:
        peer = "127.0.0.1:%d" % hole.port
        out, elapsed = run_module("sqlserver_precheck", {
            "login_host": "127.0.0.1", "login_port": endpoints.closed_port(), "login_user": "backup_check",
            "login_password": "n0t-used-here", "connect_timeout": seconds, "checks": ["instances_healthy"],
            "peer_instances": [{"name": "reporting", "login_host": "127.0.0.1", "login_port": hole.port}],
            "unanswered_endpoints": [peer]})
    assert elapsed < seconds, elapsed
    (result,) = [r for r in out["check_results"] if r["target"] == "reporting (%s)" % peer]
    assert result["status"] == "failed" and "did not answer TCP when this host probed" in result["message"], result
