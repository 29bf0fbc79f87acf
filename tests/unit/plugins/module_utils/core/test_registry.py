import pytest

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import registry
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import runner
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.context import Context
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError


@pytest.fixture
def engine(monkeypatch):
    """A throwaway engine `t` with four checks, registered into an isolated registry."""
    monkeypatch.setattr(registry, "REGISTRY", {})

    @registry.register("t.alpha", "Alpha", ("backup",), tags=("net",))
    def alpha(ctx):
        return [R.passed("x", "alpha ok")]

    @registry.register("t.beta", "Beta", ("restore",), tags=("net", "db"))
    def beta(ctx):
        raise KeyError("boom")

    @registry.register("t.gamma", "Gamma", ("backup",), applies=lambda ctx: "not here")
    def gamma(ctx):
        raise AssertionError("must not run when not applicable")

    @registry.register("t.connection", "Connection", ("all_operations",))
    def connection(ctx):
        return [R.passed("x", "connected", details={"who": ctx.cached("conn", ctx.params["connect"])})]

    return registry


def test_select_by_id_short_name_tag_and_all(engine):
    def ids(checks):
        return [c.id for c in checks]

    assert ids(engine.select("t", ["t.alpha"])[0]) == ["t.alpha"]
    assert ids(engine.select("t", ["beta"])[0]) == ["t.beta"]
    assert ids(engine.select("t", ["@db"])[0]) == ["t.beta"]
    assert ids(engine.select("t", ["all"])[0]) == ["t.alpha", "t.beta", "t.gamma", "t.connection"]
    selected, skipped = engine.select("t", ["@net"], skip=["alpha"])
    assert ids(selected) == ["t.beta"] and ids(skipped) == ["t.alpha"]


def test_unknown_name_lists_known_checks(engine):
    with pytest.raises(registry.SelectionError) as err:
        engine.select("t", ["t.nope"])
    assert "unknown check 't.nope'" in str(err.value)
    assert "t.alpha, t.beta, t.gamma, t.connection" in str(err.value)


def test_unknown_tag_and_unknown_skip_name_the_option(engine):
    with pytest.raises(registry.SelectionError, match=r"checks: unknown tag '@nope'; known tags: @all, @db, @net"):
        engine.select("t", ["@nope"])
    with pytest.raises(registry.SelectionError, match=r"^skip: unknown check 'zzz'"):
        engine.select("t", ["all"], skip=["zzz"])


def test_crash_becomes_an_error_for_that_check_only(engine):
    selected, skipped = engine.select("t", ["all"], skip=["connection"])
    results = runner.run_checks(selected, Context({}, "host1"), skipped)
    by_id = dict((r["id"], r) for r in results)
    assert by_id["t.alpha"]["status"] == "passed"
    assert by_id["t.beta"]["status"] == "error" and by_id["t.beta"]["cause"] == "internal"
    assert "Check t.beta crashed: KeyError" in by_id["t.beta"]["message"]
    assert by_id["t.gamma"]["status"] == "skipped" and by_id["t.gamma"]["message"] == "not here"
    assert by_id["t.connection"]["status"] == "skipped" and "skip list" in by_id["t.connection"]["message"]
    assert all(set(r) == set(R.RESULT_KEYS) for r in results)


def test_failed_gathering_is_asked_once_and_dependents_say_not_run(engine):
    calls = []

    def connect():
        calls.append(1)
        raise PrecheckError("login_failed", "Login failed for backup", "Fix the login", source="t.connection")

    @engine.register("t.delta", "Delta", ("backup",))
    def delta(ctx):
        return [R.passed("x", ctx.cached("conn", connect))]

    selected = engine.select("t", ["connection", "delta"])[0]
    results = runner.run_checks(selected, Context({"connect": connect}, "inst"))
    connection, dependent = results
    assert (connection["status"], connection["cause"], connection["remediation"]) == (
        "error", "login_failed", "Fix the login")
    assert dependent["status"] == "error" and dependent["cause"] == "dependency"
    assert dependent["message"] == "Not run: t.connection failed (login_failed); see that result."
    assert calls == [1]


def test_a_dependent_run_alone_carries_the_full_cause(engine):
    def connect():
        raise PrecheckError("timeout", "Login timed out after 3 s", source="t.connection")

    @engine.register("t.delta", "Delta", ("backup",))
    def delta(ctx):
        return [R.passed("x", ctx.cached("conn", connect))]

    (result,) = runner.run_checks(engine.select("t", ["delta"])[0], Context({}, "inst"))
    assert (result["status"], result["cause"], result["message"]) == ("error", "timeout", "Login timed out after 3 s")


def test_secrets_are_scrubbed_from_every_string(engine):
    @engine.register("t.leaky", "Leaky", ("backup",))
    def leaky(ctx):
        return [R.failed("x", "driver said PWD=hunter2;", "retry with hunter2", details={"dsn": ["u/hunter2@db"]})]

    (result,) = runner.run_checks(engine.select("t", ["leaky"])[0], Context({}, "inst", secrets=["hunter2"]))
    assert "hunter2" not in repr(result)
    assert result["message"] == "driver said PWD=********;"


def test_concurrent_run_keeps_registration_order(engine):
    selected = engine.select("t", ["alpha", "gamma"])[0]
    results = runner.run_checks(selected, Context({}, "h"), concurrent=True)
    assert [r["id"] for r in results] == ["t.alpha", "t.gamma"]


def test_summarize_counts_every_status():
    results = [{"status": "passed"}, {"status": "failed"}, {"status": "failed"}]
    assert R.summarize(results) == {"passed": 1, "warning": 0, "failed": 2, "error": 0, "skipped": 0, "total": 3}
    assert R.worst_status(results) == "failed"


def test_instance_target_names_the_label_and_the_endpoint():
    from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.context import instance_target
    assert instance_target("db01:1433") == "db01:1433"
    assert instance_target("db01:1433", "sales") == "sales (db01:1433)"
    assert instance_target("db01:1433", "db01:1433") == "db01:1433"


def test_optional_data_is_unavailable_with_the_reason_and_other_failures_raise():
    ctx = Context({}, "inst")

    def refused():
        raise PrecheckError("permission", "no VIEW SERVER STATE")

    def lost():
        raise PrecheckError("unreachable", "connection lost")

    assert ctx.optional("ok", lambda: [1]) == ([1], None)
    assert ctx.optional("perm", refused) == (None, "no VIEW SERVER STATE")
    assert ctx.problems["perm"].cause == "permission"
    with pytest.raises(PrecheckError):
        ctx.optional("lost", lost)
