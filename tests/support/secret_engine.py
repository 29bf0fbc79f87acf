"""A throwaway engine `t` whose results carry the words of real ones, for the tests of secret
scrubbing (tests/unit/plugins/module_utils/core/test_secrets.py, test_secrets_property.py)."""

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import registry
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import runner
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import secrets as S
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.context import Context
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.module import headline
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError

ECHO = "Login failed: the driver said [PWD=%s;UID=sa]"


def register_engine():
    """An engine `t` whose results carry the words of real ones: a SIMPLE database with log backups
    planned (a blocking `log_backup` finding), a passed check, a failed connection (whose driver
    echoes the password) and a check that is not run because of it (cause `dependency`)."""
    @registry.register("t.recovery_model", "Recovery model allows log backups", ("log_backup",))
    def recovery_model(ctx):
        return [R.failed("db01:1433/Sales", "Sales uses the SIMPLE recovery model but log backups are planned: "
                         "no log backup can be taken.", "ALTER DATABASE [Sales] SET RECOVERY FULL;",
                         details={"recovery_model": "SIMPLE", "backup_types": ["full", "log"]},
                         code="simple_with_log_planned")]

    @registry.register("t.version", "Version supported", ("backup", "restore"))
    def version(ctx):
        return [R.passed("db01:1433", "SQL Server 2019 is supported: backup and restore passed every check.")]

    @registry.register("t.connection", "Connection", ("all_operations",))
    def connection(ctx):
        raise PrecheckError("login_failed", ECHO % ctx.params["password"],
                            "Check login_user and login_password.", source="t.connection")

    @registry.register("t.backup_chain", "Backup chain", ("restore",))
    def backup_chain(ctx):
        raise PrecheckError("login_failed", "unreachable", source="t.connection")


def run(password):
    """(results, summary, the task's msg) of every check of `t`, with `password` as the secret."""
    selected, _skipped = registry.select("t", ["all"])
    context = Context({"password": password}, "db01:1433", secrets=[password])
    results = runner.run_checks(selected, context)
    return results, R.summarize(results), headline("t", context.target, results)


def enumerated(results):
    """The results without their free text and timing: what no secret may change."""
    return [dict((k, v) for k, v in r.items() if k not in S.FREE_TEXT_FIELDS + ("duration_ms",)) for r in results]
