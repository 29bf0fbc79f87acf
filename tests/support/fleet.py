# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A synthetic fleet for the report: each host runs the role's tasks (host checks, one SQL Server
instance with a `name:` label, the fact with the real gate's verdict, the gate) and the events reach
the callback as ansible-core 2.19 hands them over. Findings are the realistic ones (SIMPLE databases
with log backups planned, offline databases, missing full backups, full logs, a closed endpoint,
failed logins, accepted findings, unreachable hosts), on distinct server and database names.

Used by the report's unit and browser tests and by bench/report/bench.py.
"""

from __future__ import absolute_import, division, print_function

import random

from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import gate

RUN_ID = "20261202T080000.000000Z"
DATABASES = ("Sales", "HR", "Finance", "Inventory", "Reporting", "Audit", "CRM", "Payroll", "Web", "Logistics")
POLICY = {"block_on": ["backup", "restore", "log_backup", "incremental_backup", "all_operations"],
          "warnings_block": False, "errors_block": True}
ACCEPT_REASON = "reporting replica: restored from production, no log backups needed"


class Named:
    def __init__(self, name):
        self.name = name

    def get_name(self):
        return self.name


class Event:
    """A task result as ansible-core 2.19 passes it to callbacks (public accessors)."""

    def __init__(self, host, task_name, result):
        self._host_obj = Named(host)
        self.task_name = task_name
        self._data = result

    @property
    def host(self):
        return self._host_obj

    @property
    def result(self):
        return self._data


def _result(check_id, title, target, status, message, code=None, remediation="", impact=("backup", "restore"),
            cause=None, details=None, references=()):
    return {"id": check_id, "code": "%s/%s" % (check_id, code or (cause if status == "error" and cause else status)),
            "title": title, "engine": check_id.split(".")[0], "target": target, "status": status,
            "impact": list(impact), "message": message, "remediation": remediation, "details": details or {},
            "references": list(references), "cause": cause, "duration_ms": 3}


def _host_results(rng, fqdn):
    results = []
    oss = "oss-cn-hangzhou-internal.aliyuncs.com:443"
    if rng.random() < 0.02:
        results.append(_result("host.oss_connectivity", "Object storage endpoint reachable over HTTPS", oss, "failed",
                               "%s is not reachable from %s (step tcp, timeout): backups cannot be uploaded." % (oss, fqdn),
                               remediation="Allow outbound TCP 443 from %s to %s." % (fqdn, oss), cause="timeout",
                               details={"step": "tcp"}, references=("HBR:OSS_CONNECTIVITY",)))
    else:
        results.append(_result("host.oss_connectivity", "Object storage endpoint reachable over HTTPS", oss, "passed",
                               "%s answers HTTPS from %s (HTTP 403)." % (oss, fqdn), details={"http_status": 403},
                               references=("HBR:OSS_CONNECTIVITY",)))
    route = "route 100.64.0.0/11"
    if rng.random() < 0.04:
        results.append(_result("host.control_network", "Route to the control network", route, "warning",
                               "%s on %s goes through the default gateway, not a dedicated interface." % (route, fqdn),
                               remediation="Add a route for 100.64.0.0/10 through the management interface.",
                               impact=("all_operations",)))
    else:
        results.append(_result("host.control_network", "Route to the control network", route, "passed",
                               "%s on %s uses interface eth1." % (route, fqdn), impact=("all_operations",)))
    return results


def _database_results(rng, instance, database, accepted):
    target = "%s/%s" % (instance, database)
    out = []
    roll = rng.random()
    if roll < 0.15:
        out.append(_result("sqlserver.recovery_model", "Recovery model allows the planned backups", target, "failed",
                           "Database [%s] on %s uses the SIMPLE recovery model, but log backups are planned: they "
                           "would fail." % (database, instance), code="simple_with_log_planned",
                           remediation="ALTER DATABASE [%s] SET RECOVERY FULL; then take a full backup." % database,
                           impact=("log_backup",), details={"recovery_model": "SIMPLE"},
                           references=("HBR:SQLSERVER_RECOVERY_MODEL",)))
        accepted.append(target)
    else:
        out.append(_result("sqlserver.recovery_model", "Recovery model allows the planned backups", target, "passed",
                           "Database [%s] on %s uses the FULL recovery model." % (database, instance),
                           impact=("log_backup",), details={"recovery_model": "FULL"},
                           references=("HBR:SQLSERVER_RECOVERY_MODEL",)))
    if rng.random() < 0.02:
        out.append(_result("sqlserver.database_state", "Database is online", target, "failed",
                           "Database [%s] on %s is OFFLINE: it can be neither backed up nor restored." % (database, instance),
                           code="offline", remediation="ALTER DATABASE [%s] SET ONLINE;" % database,
                           impact=("all_operations",), details={"state": "OFFLINE"}))
    else:
        out.append(_result("sqlserver.database_state", "Database is online", target, "passed",
                           "Database [%s] on %s is ONLINE." % (database, instance), impact=("all_operations",),
                           details={"state": "ONLINE"}))
    if rng.random() < 0.05:
        out.append(_result("sqlserver.full_backup_base", "A full backup exists as the base of log backups", target,
                           "failed", "Database [%s] on %s has no full backup: the first log backup would fail."
                           % (database, instance), code="no_full_backup", impact=("log_backup",),
                           remediation="BACKUP DATABASE [%s] TO DISK = N'NUL' is not enough: take a real full backup."
                           % database))
    else:
        out.append(_result("sqlserver.full_backup_base", "A full backup exists as the base of log backups", target,
                           "passed", "Database [%s] on %s has a full backup from 2026-11-30." % (database, instance),
                           impact=("log_backup",), details={"last_full": "2026-11-30T01:00:00Z"}))
    if rng.random() < 0.08:
        out.append(_result("sqlserver.log_space", "Transaction log has room for the backup", target, "warning",
                           "The log of [%s] on %s is %d%% full." % (database, instance, rng.randint(80, 94)),
                           code="log_nearly_full", remediation="BACKUP LOG [%s] ... or grow the log file." % database,
                           impact=("log_backup",)))
    else:
        out.append(_result("sqlserver.log_space", "Transaction log has room for the backup", target, "passed",
                           "The log of [%s] on %s is %d%% full." % (database, instance, rng.randint(5, 60)),
                           impact=("log_backup",)))
    out.append(_result("sqlserver.conflicting_operation", "No conflicting backup or restore is running", target,
                       "passed", "No backup or restore of [%s] is running on %s." % (database, instance)))
    return out


def _sql_results(rng, instance):
    if rng.random() < 0.01:
        error = _result("sqlserver.connection", "Login to the instance", instance, "error",
                        "Login to %s failed for user 'backup' (18456)." % instance, cause="login_failed",
                        remediation="Check the login and its password in the vault.",
                        impact=("all_operations",))
        dependent = [_result(check_id, title, instance, "error", "Not run: sqlserver.connection failed.",
                             cause="dependency", impact=("all_operations",), details={"depends_on": "sqlserver.connection"})
                     for check_id, title in (("sqlserver.sysadmin", "The backup login is sysadmin"),
                                             ("sqlserver.tde_certificate", "TDE certificates are backed up"))]
        return [error] + dependent + [dict(r, status="error", cause="dependency", code=r["id"] + "/dependency",
                                           message="Not run: sqlserver.connection failed.", remediation="")
                                      for r in _databases(rng, instance, [])]
    results = [
        _result("sqlserver.connection", "Login to the instance", instance, "passed",
                "Logged in to %s (SQL Server 2019 CU22)." % instance, impact=("all_operations",),
                details={"version": "15.0.4322.2"}),
        _result("sqlserver.sysadmin", "The backup login is sysadmin", instance, "passed",
                "The login 'backup' is a member of the sysadmin server role on %s." % instance),
        _result("sqlserver.tde_certificate", "TDE certificates are backed up", instance, "skipped",
                "No database of %s uses TDE." % instance, impact=("restore",)),
    ]
    return results


def _databases(rng, instance, accepted):
    names = rng.sample(DATABASES, 5)
    out = []
    for name in names:
        out += _database_results(rng, instance, "%s%d" % (name, rng.randint(1, 99)), accepted)
    return out


def host_events(index, rng):
    """(host name, [(kind, task name, result), ...]) of one host: 30 results through the role."""
    name = "db%05d" % index
    fqdn = "%s.corp.example" % name
    if rng.random() < 0.005:
        return name, [("unreachable", "Gathering Facts", {
            "unreachable": True, "msg": "Failed to connect to the host via ssh: ssh: connect to host %s port 22: "
                                        "Connection timed out" % fqdn})]
    host_results = _host_results(rng, fqdn)
    instance = "SQL%05d (%s:1433)" % (index, fqdn)
    accepted_targets = []
    sql_results = _sql_results(rng, instance)
    if sql_results[0]["status"] == "passed":
        sql_results += _databases(rng, instance, accepted_targets)
    events = [("ok", "Host | Check object storage and control network", {
        "changed": False, "check_results": host_results, "summary": {}, "msg": "",
        "invocation": {"module_args": {"region": "cn-hangzhou", "timeout": 5}}})]
    item = {"changed": False, "check_results": sql_results, "summary": {}, "item": 0,
            "_ansible_item_label": "SQL%05d" % index, "ansible_loop_var": "_cloudbackup_precheck_index",
            "invocation": {"module_args": {"login_host": fqdn, "login_user": "backup",
                                           "login_password": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}}}
    events.append(("ok", "SQL Server | Check each configured instance",
                   {"changed": False, "msg": "All items completed", "results": [item]}))
    policy = dict(POLICY, accepted_findings=[])
    if accepted_targets and rng.random() < 0.1:
        policy["accepted_findings"] = [{"check": "sqlserver.recovery_model", "target": accepted_targets[0],
                                        "reason": ACCEPT_REASON}]
    # The fact is a copy, as Ansible's templating of set_fact makes one.
    results = [dict(r) for r in host_results + sql_results]
    blocking, accepted = gate.evaluate(results, policy)
    fact = {"schema_version": 2, "run_id": RUN_ID, "generated_at": "2026-12-02T08:00:05Z", "ready": not blocking,
            "summary": {}, "results": results, "blocking": blocking, "accepted": accepted, "policy": policy}
    events.append(("ok", "Set the cloudbackup_precheck fact", {"ansible_facts": {"cloudbackup_precheck": fact}}))
    events.append(("ok", "Gate | Require results from this run", {"changed": False, "msg": "All assertions passed"}))
    if blocking:
        events.append(("failed", "Gate | Block deployment on blocking findings", {
            "failed": True, "msg": "%s is not ready for backup deployment: %d blocking finding(s)." % (name, len(blocking))}))
    else:
        events.append(("ok", "Gate | Block deployment on blocking findings", {"msg": "ready"}))
    return name, events


def feed(callback, hosts, seed=12):
    """Drive a callback with the events of `hosts` hosts, host by host, as a linear strategy with
    many forks would (each host's tasks in order); the events are dropped once fed."""
    rng = random.Random(seed)
    names = []
    for index in range(hosts):
        name, events = host_events(index, rng)
        names.append(name)
        for kind, task, result in events:
            event = Event(name, task, result)
            if kind == "ok":
                callback.v2_runner_on_ok(event)
            elif kind == "failed":
                callback.v2_runner_on_failed(event)
            else:
                callback.v2_runner_on_unreachable(event)
    return names


class Stats:
    def __init__(self, names):
        self.processed = dict((name, 1) for name in names)
