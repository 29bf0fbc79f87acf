"""Every statement the SQL Server engine can send, in every version variant, against the documented
catalog (tests/support/catalogs/sqlserver.yml), and every statement its remediations print.

Each release the catalog knows gets one run of every check item over a fake connection that obeys
the catalog (sqlserver_fake.CatalogConnection), with options and answers that reach every statement:
a backup_login, configured and restore-target databases, an availability group member, an encrypted
database, every kind of troubled database. Each statement is parsed with sqlglot (tsql) and must read
only objects, columns, functions and SERVERPROPERTY names that the catalog has for that release.
Then every statement printed in a remediation is extracted: a SELECT must pass the same check, and
no statement may use a form newer than the release it is printed for (ALTER ROLE ... ADD MEMBER on
SQL Server 2008, for example)."""

import inspect

import pytest

from ansible_collections.cloudbackup.precheck.tests.support.catalogs import statements_in
from ansible_collections.cloudbackup.precheck.tests.support.sqlserver_fake import CATALOG, VERSIONS, CatalogConnection

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import registry, runner
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import connection as sqlserver_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import engine as sqlserver_engine

THUMB = "0x" + "AB" * 20
OTHER_THUMB = "0x" + "CD" * 20


def server_row(version):
    major = int(version.split(".")[0])
    return {"product_version": version, "product_level": "SP4", "edition": "Enterprise Edition (64-bit)",
            "engine_edition": 3, "instance_name": None, "machine_name": "SQL01", "server_name": "SQL01",
            "hadr_enabled": 1 if major >= 11 else None, "is_clustered": 0, "login_name": "bk",
            "version_string": "Microsoft SQL Server", "collation": "SQL_Latin1_General_CP1_CS_AS"}


DATABASES = [
    # name, id, state, model, extra
    ("master", 1, "ONLINE", "SIMPLE", {}),
    ("tempdb", 2, "ONLINE", "SIMPLE", {}),
    ("msdb", 4, "ONLINE", "SIMPLE", {}),
    ("Sales", 5, "ONLINE", "FULL", {"is_encrypted": 1, "log_reuse_wait_desc": "LOG_BACKUP"}),
    ("Simple", 6, "ONLINE", "SIMPLE", {}),
    ("Offline", 7, "OFFLINE", "FULL", {}),
    ("Mirror", 8, "RESTORING", "FULL", {}),
    ("AgDb", 9, "ONLINE", "FULL", {"replica_id": "00000000-0000-0000-0000-0000000000a9"}),
    ("Ekm", 10, "ONLINE", "FULL", {"is_encrypted": 1}),
    ("Bulk", 11, "ONLINE", "BULK_LOGGED", {"is_read_only": 1}),
]


def database_rows():
    rows = []
    for name, database_id, state, model, extra in DATABASES:
        row = {"name": name, "database_id": database_id, "source_database_id": None, "state_desc": state,
               "recovery_model_desc": model, "is_read_only": 0, "is_in_standby": 0, "user_access_desc": "MULTI_USER",
               "log_reuse_wait_desc": "NOTHING", "is_encrypted": 0}
        row.update(extra)
        rows.append(row)
    rows.append(dict(rows[3], name="Sales_snap", database_id=12, source_database_id=5, is_encrypted=0))
    return rows


def files(database_id, name, log_growth=0):
    return [{"database_id": database_id, "file_id": 1, "type_desc": "ROWS", "logical_name": name,
             "physical_name": "D:\\Data\\%s.mdf" % name, "state_desc": "ONLINE", "size_pages": 1024,
             "max_size_pages": -1, "growth": 128, "is_percent_growth": 0, "differential_base_lsn": None},
            {"database_id": database_id, "file_id": 2, "type_desc": "LOG", "logical_name": name + "_log",
             "physical_name": "L:\\Log\\%s_log.ldf" % name, "state_desc": "ONLINE", "size_pages": 1024,
             "max_size_pages": 1024, "growth": log_growth, "is_percent_growth": 0, "differential_base_lsn": None}]


def replica(name, local, role, preference="PRIMARY", priority=50, primary=None):
    return {"ag_name": "AG1", "automated_backup_preference_desc": preference, "primary_replica": primary,
            "replica_server_name": name, "backup_priority": priority, "availability_mode_desc": "SYNCHRONOUS_COMMIT",
            "is_local": 1 if local else 0, "role_desc": role, "connected_state_desc": "CONNECTED",
            "synchronization_health_desc": "HEALTHY", "basic_features": 0}


def troubled(version, sysadmin=1, **overrides):
    """Answers of an instance where every check finds something, so that every statement is sent and
    as many remediations as possible are printed."""
    table = [
        ("IS_SRVROLEMEMBER('sysadmin', ?)", [{"is_sysadmin": 0}]),
        ("SERVERPROPERTY('ProductVersion')", [server_row(version)]),
        ("HAS_PERMS_BY_NAME", [{"view_any_database": 1, "view_server_state": 1, "view_any_definition": 1,
                                "is_sysadmin": sysadmin}]),
        ("FROM sys.databases AS d", database_rows()),
        ("FROM sys.database_mirroring", [{"database_id": 8, "mirroring_role_desc": "MIRROR",
                                          "mirroring_state_desc": "SYNCHRONIZED",
                                          "mirroring_partner_instance": "SQL02"},
                                         {"database_id": 5, "mirroring_role_desc": "PRINCIPAL",
                                          "mirroring_partner_instance": "SQL02"}]),
        ("FROM sys.dm_hadr_database_replica_states", [{"database_id": 9, "ag_name": "AG1", "role_desc": "SECONDARY",
                                                       "synchronization_state_desc": "NOT SYNCHRONIZING",
                                                       "synchronization_health_desc": "NOT_HEALTHY",
                                                       "is_suspended": 1, "suspend_reason_desc": "SUSPEND_FROM_USER"}]),
        ("sys.dm_exec_requests", [{"session_id": 70, "database_id": 5, "command": "BACKUP LOG",
                                   "percent_complete": 40.0, "login_name": "CORP\\old", "program_name": "Old"}]),
        ("msdb.dbo.backupset", [{"database_guid": "5A5A5A5A-0000-0000-0000-000000000005", "database_name": "Sales",
                                 "backup_type": "L", "recovery_model": "FULL", "user_name": "CORP\\old",
                                 "device_type": 2, "to_nul": 1, "backup_count": 3,
                                 "last_finish_date": "2024-06-01T02:00:00", "example_device": "NUL"},
                                {"database_guid": "5A5A5A5A-0000-0000-0000-000000000005", "database_name": "Sales",
                                 "backup_type": "D", "recovery_model": "FULL", "user_name": "CORP\\old",
                                 "device_type": 7, "to_nul": 0, "backup_count": 1,
                                 "last_finish_date": "2024-06-01T01:00:00", "example_device": "{GUID}"}]),
        ("FROM sys.database_recovery_status", [{"database_id": i, "database_guid": "5A5A5A5A-0000-0000-0000-00000000000%d"
                                                % (i % 10), "last_log_backup_lsn": None} for i in (1, 4, 5, 6, 9, 10, 11)]),
        ("FROM sys.master_files", files(5, "Sales") + files(6, "Simple", 128) + files(9, "AgDb") + files(10, "Ekm")
         + files(11, "Bulk")),
        ("sys.dm_db_log_stats", [{"database_id": 5, "total_log_size_mb": 100.0, "active_log_size_mb": 95.0,
                                  "log_truncation_holdup_reason": "LOG_BACKUP"},
                                 {"database_id": 11, "total_log_size_mb": 100.0, "active_log_size_mb": 80.0}]),
        ("dm_os_performance_counters", [{"database_name": "Sales", "log_size_kb": 102400, "log_used_kb": 97280},
                                        {"database_name": "Bulk", "log_size_kb": 102400, "log_used_kb": 81920}]),
        ("fn_hadr_backup_is_preferred_replica", [{"database_id": 9, "ag_name": "AG1", "is_preferred_replica": 0}]),
        ("dm_hadr_availability_group_states", [replica("SQL02", False, "PRIMARY", priority=0),
                                               replica("SQL01", True, "SECONDARY", priority=0)]),
        ("sys.dm_database_encryption_keys", [{"database_id": 5, "encryption_state": 3, "encryptor_thumbprint": THUMB,
                                              "encryptor_type": "CERTIFICATE"},
                                             {"database_id": 10, "encryption_state": 3,
                                              "encryptor_thumbprint": OTHER_THUMB, "encryptor_type": "ASYMMETRIC KEY"},
                                             {"database_id": 11, "encryption_state": 2, "percent_complete": 10.0,
                                              "encryptor_thumbprint": THUMB}]),
        ("master.sys.certificates", [{"name": "TDECert", "thumbprint": THUMB, "pvt_key_last_backup_date": None,
                                      "pvt_key_encryption_type_desc": "ENCRYPTED_BY_MASTER_KEY"}]),
        ("master.sys.asymmetric_keys", [{"name": "EkmKey", "thumbprint": OTHER_THUMB}]),
    ]
    return [(keyword, overrides.get(keyword, rows)) for keyword, rows in table]


OPTIONS = dict(backup_login="CORP\\svc_backup", databases=["Sales", "sales", "Gone"], restore_target=True,
               restore_databases=["Sales", "New"], source_certificate_thumbprints=[OTHER_THUMB])


def run_all(monkeypatch, version, answers, checks=("all",), **options):
    fake = CatalogConnection(answers, version)
    monkeypatch.setattr(sqlserver_conn, "connect", lambda settings: fake)
    params = dict((k, v.get("default")) for k, v in sqlserver_engine.ENGINE.argument_spec.items())
    params.update(login_host="sql01", login_user="bk", login_password="Secret-1234")
    params.update(OPTIONS)
    params.update(options)
    ctx = sqlserver_engine.sqlserver_context(params)
    selected, skipped = registry.select("sqlserver", list(checks))
    return runner.run_checks(selected, ctx, skipped), fake


DENIED = PrecheckError("permission", "The SELECT permission was denied on the object (229).", details={"native_error": 229})
STATE_DENIED = PrecheckError("permission", "VIEW SERVER STATE permission was denied (300).", details={"native_error": 300})


def runs(monkeypatch, version):
    """Every run of a version: troubled as a sysadmin, and refused everything a permission can refuse."""
    done = [run_all(monkeypatch, version, troubled(version))]
    denied = troubled(version, sysadmin=0, **dict((k, DENIED if "msdb" in k else STATE_DENIED) for k in (
        "msdb.dbo.backupset", "sys.dm_db_log_stats", "dm_os_performance_counters", "sys.dm_exec_requests",
        "sys.dm_database_encryption_keys", "FROM sys.dm_hadr_database_replica_states")))
    denied[2] = ("HAS_PERMS_BY_NAME", [{"view_any_database": 0, "view_server_state": 0, "view_any_definition": 0,
                                        "is_sysadmin": 0}])
    done.append(run_all(monkeypatch, version, denied))
    return done


@pytest.mark.parametrize("release", sorted(VERSIONS, key=CATALOG.since))
def test_every_statement_of_every_release_is_in_the_catalog_for_that_release(monkeypatch, release):
    version = VERSIONS[release]
    for results, fake in runs(monkeypatch, version):
        assert fake.statements
        for sql, _params in fake.statements:
            assert CATALOG.problems(sql, version) == [], sql
            assert type(CATALOG.parse(sql)).__name__ == "Select", sql
        rejected = [r for r in results if "rejects the statement" in r["message"] or "crashed" in r["message"]]
        assert rejected == []


def test_every_statement_the_engine_defines_is_sent_by_some_release(monkeypatch):
    """A statement no variant sends would escape the catalog check: every *_SQL and *_FROM text of
    the engine's files must be part of a statement some release sends."""
    sent = set()
    for release, version in VERSIONS.items():
        for _results, fake in runs(monkeypatch, version):
            sent.update(sql for sql, _params in fake.statements)
    from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import (
        access, backup_chain, gathering, ha, restore)
    defined = {}
    for module in (gathering, access, backup_chain, ha, restore):
        for name, value in inspect.getmembers(module):
            if name.endswith(("_SQL", "_FROM")) and isinstance(value, str):
                defined["%s.%s" % (module.__name__.rsplit(".", 1)[1], name)] = value
    assert len(defined) >= 12
    unsent = [name for name, text in defined.items() if not any(text.strip() in sql for sql in sent)]
    assert unsent == []


@pytest.mark.parametrize("release", sorted(VERSIONS, key=CATALOG.since))
def test_every_printed_statement_fits_the_release_it_is_printed_for(monkeypatch, release):
    version = VERSIONS[release]
    printed = 0
    for results, _fake in runs(monkeypatch, version):
        for result in results:
            for statement in statements_in(result["remediation"] or ""):
                printed += 1
                where = "%s %s: %s" % (result["id"], result["target"], statement)
                assert CATALOG.printed_problems(statement, version) == [], where
    assert printed >= 40


def test_each_item_names_the_permissions_the_catalog_gives_for_what_it_reads(monkeypatch):
    """docs/checks.md shows each item's `permissions=` text: it must name the permission of every
    object the item reads (run alone, in every release), as the catalog documents it."""
    checks = [c for c in registry.checks_for("sqlserver") if c.id != "sqlserver.instances_healthy"]
    missing = []
    for check in checks:
        needed = set()
        for release, version in VERSIONS.items():
            _results, fake = run_all(monkeypatch, version, troubled(version), checks=[check.id])
            for sql, _params in fake.statements:
                if "SERVERPROPERTY('ProductVersion')" in sql or "HAS_PERMS_BY_NAME" in sql:
                    continue  # read by every item for the version and the login's permissions
                for name in CATALOG.analyze(sql).objects():
                    _canonical, entry = CATALOG.entry(name)
                    if entry.get("without") != "none":
                        needed.add((name, entry["permission"]))
                        if entry.get("permission_2022") and CATALOG.has("2022", version):
                            needed.add((name, entry["permission_2022"]))
        text = check.permissions.upper()
        missing += ["%s reads %s but its permissions do not name %s" % (check.id, name, permission)
                    for name, permission in sorted(needed) if permission.upper() not in text]
    assert missing == [], "\n".join(missing)
