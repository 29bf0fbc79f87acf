# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB check items: connection, version, binary log and the backup user's privileges.

Gathering (three read-only statements over one connection, memoized in the context) is separate
from judging: the judge_* functions take plain rows and are unit-tested without a server.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.mysql import connection as mysql_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.mysql.gathering import (
    FLAVOUR_NAMES, quote_account, split_account, unquote_name)

# The supported versions are data: FLAVOUR -> "MIN-MAX", MAX being a release series (8.0 = every 8.0.x).
# Percona Server and other MySQL builds are judged as MySQL; MariaDB by its own numbers.
SUPPORTED_VERSIONS = {
    "mysql": "5.1.38-8.0",
    "mariadb": "10.0-11",
}


# Why a backup needs each privilege; MariaDB 10.5.2 renamed REPLICATION CLIENT to BINLOG MONITOR.
PRIVILEGE_USES = {
    "RELOAD": "FLUSH TABLES WITH READ LOCK, backup locks and FLUSH LOGS",
    "LOCK TABLES": "locking non-transactional tables for a consistent copy",
    "PROCESS": "reading the InnoDB status and the redo log position",
    "REPLICATION CLIENT": "reading the binary log position (SHOW MASTER STATUS)",
    "BINLOG MONITOR": "reading the binary log position (SHOW MASTER STATUS / SHOW BINLOG STATUS)",
    "BACKUP_ADMIN": "LOCK INSTANCE FOR BACKUP and performance_schema.log_status",
}

# -- versions ---------------------------------------------------------------------------------


def parse_version_range(text):
    """`MIN-MAX` -> ((min...), (max series...)); ValueError with the valid form otherwise."""
    form = "valid form: MIN-MAX, for example 5.1.38-8.0 (MAX is a release series: 8.0 covers every 8.0.x)"
    parts = str(text).split("-")
    if len(parts) != 2:
        raise ValueError("%r is not a range (%s)" % (text, form))
    bounds = []
    for part in parts:
        part = part.strip()
        if not re.match(r"^\d+(\.\d+){0,2}$", part):
            raise ValueError("%r in %r is not a version (%s)" % (part, text, form))
        bounds.append(tuple(int(n) for n in part.split(".")))
    low, high = bounds
    if high < low[:len(high)]:
        raise ValueError("%r: the upper bound is below the lower one (%s)" % (text, form))
    return low, high


def describe_range(text):
    low, high = parse_version_range(text)
    return "%s to %s.x" % (".".join(map(str, low)), ".".join(map(str, high)))


def version_ranges(option):
    """The effective table: the defaults, overridden per flavour by the option."""
    table = dict(SUPPORTED_VERSIONS)
    table.update(dict((str(k).lower(), v) for k, v in (option or {}).items()))
    return table


def judge_version(server, ranges, target):
    supported = "; ".join("%s %s" % (FLAVOUR_NAMES.get(f, f), describe_range(r)) for f, r in sorted(ranges.items()))
    details = {"version": server["version_text"], "flavour": server["flavour"], "raw_version": server["raw"],
               "version_comment": server["comment"], "distribution": server["distribution"],
               "supported": dict(ranges)}
    name = "%s %s" % (server["name"], server["version_text"])
    if server["flavour"] not in ranges:
        return [R.failed(target, "%s runs %s (%s), which is not a supported server (supported: %s)."
                         % (target, name, server["raw"], supported),
                         "Back up this server with its own tools, or migrate to a supported MySQL or MariaDB "
                         "version.", details)]
    if server["version"] is None:
        return [R.warning(target, "The version %r of %s cannot be read, so its support is unknown."
                          % (server["raw"], target), "Check the server version by hand against: %s." % supported,
                          details)]
    low, high = parse_version_range(ranges[server["flavour"]])
    allowed = describe_range(ranges[server["flavour"]])
    version = server["version"]
    if version < low:
        return [R.failed(target, "%s runs %s, older than the oldest supported %s %s (supported %s): the backup "
                         "agent cannot back it up." % (target, name, server["name"], ".".join(map(str, low)), allowed),
                         "Upgrade %s to a version from %s." % (server["name"], allowed), details)]
    if version[:len(high)] > high:
        return [R.failed(target, "%s runs %s, newer than the supported %s %s.x (supported %s): the backup agent "
                         "does not support it yet." % (target, name, server["name"], ".".join(map(str, high)),
                                                       allowed),
                         "Use a %s version from %s on this instance, or wait for the backup service to support "
                         "%s." % (server["name"], allowed, name), details)]
    return [R.passed(target, "%s runs %s, which is supported (%s %s)." % (target, name, server["name"], allowed),
                     details)]


# -- binary log -------------------------------------------------------------------------------

def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def binlog_retention(server, variables):
    """(seconds, source variable): 0 means never purged automatically; None when unknown.

    MySQL 8.0.1+ and MariaDB 10.6.1+ have binlog_expire_logs_seconds (MariaDB keeps it in step with
    expire_logs_days); older servers only expire_logs_days. MySQL 8.0.29+ can turn purging off with
    binlog_expire_logs_auto_purge."""
    if str(variables.get("binlog_expire_logs_auto_purge", "ON")).upper() == "OFF":
        return 0, "binlog_expire_logs_auto_purge"
    version = server.get("version") or (0, 0, 0)
    seconds = _number(variables.get("binlog_expire_logs_seconds"))
    days = _number(variables.get("expire_logs_days"))
    has_seconds = seconds is not None and (
        (server["flavour"] == "mysql" and version >= (8, 0, 1)) or
        (server["flavour"] == "mariadb" and version >= (10, 6, 1)))
    if has_seconds and seconds > 0:
        return int(seconds), "binlog_expire_logs_seconds"
    if days is not None and days > 0:
        return int(days * 86400), "expire_logs_days"
    if has_seconds or days is not None:
        return 0, "binlog_expire_logs_seconds" if has_seconds else "expire_logs_days"
    return None, None


def _duration(seconds):
    if seconds % 86400 == 0:
        return "%d days" % (seconds // 86400) if seconds != 86400 else "1 day"
    if seconds >= 3600:
        return "%.1f hours" % (seconds / 3600.0)
    return "%d seconds" % seconds


def judge_binlog(server, variables, target, min_retention_hours=24.0):
    variables = dict((str(k).lower(), v) for k, v in variables.items())
    log_bin = str(variables.get("log_bin", "")).upper()
    binlog_format = str(variables.get("binlog_format") or "").upper()
    retention, source = binlog_retention(server, variables)
    details = {
        "log_bin": log_bin or None,
        "binlog_format": binlog_format or None,
        "gtid_mode": variables.get("gtid_mode"),
        "retention_seconds": retention,
        "retention_variable": source,
        "binlog_expire_logs_seconds": variables.get("binlog_expire_logs_seconds"),
        "expire_logs_days": variables.get("expire_logs_days"),
        "log_bin_basename": variables.get("log_bin_basename"),
        "server_id": variables.get("server_id"),
    }
    if server["flavour"] == "mariadb" and "gtid_strict_mode" in variables:
        details["gtid_strict_mode"] = variables.get("gtid_strict_mode")
    if log_bin not in ("ON", "1"):
        return [R.failed(
            target, "Binary logging is off on %s (log_bin = %s): incremental and log backups need the binary log, "
            "so only full backups are possible." % (target, log_bin or "not set"),
            "Enable the binary log in the server config ([mysqld] section of my.cnf): log_bin = mysql-bin, "
            "server_id = 1 (any unique id) and binlog_format = ROW; then restart the server (log_bin cannot be "
            "changed at runtime).", details)]
    if retention == 0:
        kept = "never purged automatically (watch the disk space)"
    elif retention is None:
        kept = "kept for an unknown time"
    else:
        kept = "kept for %s (%s)" % (_duration(retention), source)
    gtid = "" if variables.get("gtid_mode") is None else ", gtid_mode = %s" % variables["gtid_mode"]
    short = bool(retention and min_retention_hours and retention < min_retention_hours * 3600)
    texts, fixes = [], []
    if binlog_format != "ROW":
        texts.append("Binary logging is on on %s but binlog_format = %s%s: ROW is recommended, because "
                     "statement-based events may replay differently in a point-in-time restore. Logs are %s%s."
                     % (target, binlog_format or "unknown", gtid, kept,
                        ", shorter than %g hours, so a log backup that falls behind loses the log chain"
                        % min_retention_hours if short else ""))
        fixes.append("Set binlog_format = ROW in the server config ([mysqld] section of my.cnf) and restart, or "
                     "SET GLOBAL binlog_format = 'ROW'; (new sessions only) and also persist it in the config.")
    elif short:
        texts.append("Binary logs on %s are %s: shorter than %g hours, so a log backup that falls behind loses the "
                     "log chain." % (target, kept, min_retention_hours))
    if short:
        fixes.append("Raise %s in the server config (for example binlog_expire_logs_seconds = 604800, or "
                     "expire_logs_days = 7 on older versions)." % source)
    if texts:
        return [R.warning(target, " ".join(texts), " ".join(fixes), details)]
    return [R.passed(target, "Binary logging is on on %s with binlog_format = ROW%s; logs are %s."
                     % (target, gtid, kept), details)]


# -- privileges -------------------------------------------------------------------------------

_GRANT_ON = re.compile(r"^GRANT\s+(?P<privileges>.+?)\s+ON\s+(?P<object>.+?)\s+TO\s+(?P<grantee>.+)$",
                       re.IGNORECASE | re.DOTALL)
_GRANT_ROLE = re.compile(r"^GRANT\s+(?P<roles>.+?)\s+TO\s+(?P<grantee>.+)$", re.IGNORECASE | re.DOTALL)


def _split_top_level(text):
    parts, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _strip_grantee(text):
    """`user`@`host` IDENTIFIED BY PASSWORD '...' WITH GRANT OPTION -> `user`@`host` (no hash kept)."""
    return re.split(r"\s+(?:IDENTIFIED|WITH|REQUIRE|PASSWORD|ACCOUNT|AS)\b", text.strip(), 1, flags=re.I)[0]


def parse_grants(lines):
    """SHOW GRANTS rows -> {"global": [...], "all": bool, "roles": [...]}.

    Only privileges ON *.* count: a backup reads every schema. Password hashes are never kept."""
    privileges, roles = [], []
    has_all = False
    for line in lines:
        text = (line[0] if isinstance(line, (list, tuple)) else str(line)).strip().rstrip(";")
        match = _GRANT_ON.match(text)
        if match:
            if re.sub(r"[`'\"\s]", "", match.group("object")) != "*.*":
                continue
            for privilege in _split_top_level(match.group("privileges")):
                name = re.sub(r"\s+", " ", privilege.split("(")[0]).strip().upper()
                if name in ("ALL", "ALL PRIVILEGES"):
                    has_all = True
                elif name and name not in privileges:
                    privileges.append(name)
            continue
        match = _GRANT_ROLE.match(text)
        if match:
            for role in _split_top_level(match.group("roles")):
                name = "@".join(unquote_name(p) for p in role.split("@"))
                if name not in roles:
                    roles.append(name)
    return {"global": privileges, "all": has_all, "roles": roles}


def required_privileges(server):
    """[(name to grant, names that satisfy it)] for a backup on this flavour and version."""
    version = server.get("version") or (0, 0, 0)
    needed = [("RELOAD", ("RELOAD",)), ("LOCK TABLES", ("LOCK TABLES",)), ("PROCESS", ("PROCESS",))]
    if server["flavour"] == "mariadb" and version >= (10, 5, 2):
        needed.append(("BINLOG MONITOR", ("BINLOG MONITOR", "REPLICATION CLIENT")))
    else:
        needed.append(("REPLICATION CLIENT", ("REPLICATION CLIENT", "BINLOG MONITOR")))
    if server["flavour"] == "mysql" and version >= (8, 0, 0):
        needed.append(("BACKUP_ADMIN", ("BACKUP_ADMIN",)))
    return needed


def role_check(server, account, roles):
    """The statements that show what an account's roles grant and make one its default role.
    SHOW GRANTS FOR ... USING is MySQL 8.0 only (MariaDB answers ERROR 1064); MariaDB shows a role's
    privileges with SHOW GRANTS FOR role (SHOW GRANTS, MariaDB) and sets a default role with SET
    DEFAULT ROLE role FOR account."""
    quoted = quote_account(*account)
    if server["flavour"] == "mariadb":
        shows = " ".join("SHOW GRANTS FOR %s;" % mysql_conn.quote_string(unquote_name(r)) for r in roles)
        return "%s and, to make one the default role: SET DEFAULT ROLE %s FOR %s;" % (
            shows, mysql_conn.quote_string(unquote_name(roles[0])), quoted)
    names = [quote_account(*split_account(r)) for r in roles]
    return "SHOW GRANTS FOR %s USING %s; and, to make one the default role: SET DEFAULT ROLE %s TO %s;" % (
        quoted, ", ".join(names), names[0], quoted)


def judge_privileges(server, grants, account, target):
    """`grants` is parse_grants() output for `account` (user, host)."""
    needed = required_privileges(server)
    held = set(grants["global"])
    quoted = quote_account(*account)
    version = "%s %s" % (server["name"], server["version_text"])
    names = [name for name, _accepted in needed]
    details = {"account": quoted, "required": names, "global_privileges": list(grants["global"]),
               "all_privileges": grants["all"], "roles": list(grants["roles"])}
    if grants["all"]:
        details["missing"] = []
        return [R.passed(target, "%s holds ALL PRIVILEGES ON *.*, which covers what a backup needs on %s (%s)."
                         % (quoted, version, ", ".join(names)), details)]
    missing = [name for name, accepted in needed if not held.intersection(accepted)]
    details["missing"] = missing
    if not missing:
        return [R.passed(target, "%s holds the privileges a backup needs on %s: %s."
                         % (quoted, version, ", ".join(names)), details)]
    uses = "; ".join("%s for %s" % (name, PRIVILEGE_USES[name]) for name in missing)
    grant = "GRANT %s ON *.* TO %s;" % (", ".join(missing), quoted)
    if grants["roles"]:
        return [R.warning(
            target, "%s lacks %s ON *.* in its own grants on %s (%s); it holds the roles %s, which count only when "
            "active in the backup session." % (quoted, ", ".join(missing), version, uses, ", ".join(grants["roles"])),
            "Check that a default role of %s grants them (%s), or run: %s"
            % (quoted, role_check(server, account, grants["roles"]), grant), details)]
    return [R.failed(
        target, "%s lacks %s ON *.* on %s: a backup needs %s." % (quoted, ", ".join(missing), version, uses),
        "Run as an administrator: %s" % grant, details)]


def judge_connection(server, settings, target):
    """`server` as the context reads it (version, account, TLS cipher, connect time)."""
    user, host = split_account(server["current_user"])
    tls = "TLS %s" % server["tls_cipher"] if server["tls_cipher"] else "no TLS"
    via = "socket %s" % settings["unix_socket"] if settings["unix_socket"] else "TCP"
    return [R.passed(target, "Connected to %s %s at %s over %s as %s in %d ms (%s)." % (
        server["name"], server["version_text"], target, via, quote_account(user, host), server["connect_ms"], tls),
        details={"version": server["raw"], "version_comment": server["comment"], "flavour": server["flavour"],
                 "current_user": server["current_user"], "login_user": settings.get("effective_user"),
                 "via": via, "tls_cipher": server["tls_cipher"], "connect_ms": server["connect_ms"],
                 "config_file": settings["config_file"]})]


# -- check items ------------------------------------------------------------------------------

@register(
    "mysql.connection", "MySQL server reachable and login works", ("all_operations",),
    tags=("connectivity",),
    references=(),
    rule="Connect (TCP or unix socket, TLS if configured) and log in within connect_timeout; report the server "
         "version, the account and TLS. Failures are classified: unreachable, dns, timeout, tls, login_failed, "
         "driver_missing.",
    permissions="Login only (USAGE).",
    versions="MySQL 5.1 and later, MariaDB 5.5 and later (PyMySQL).",
)
def connection(ctx):
    return judge_connection(ctx.server(), ctx.settings, ctx.target)


@register(
    "mysql.version", "MySQL or MariaDB version supported by the backup agent", ("all_operations",),
    tags=("version",),
    references=("HBR:MYSQL_VERSION",),
    rule="The server version is in the supported range of its flavour (data, option supported_versions): MySQL "
         "5.1.38 to 8.0.x (Percona Server and other MySQL builds included), MariaDB 10.0 to 11.x. Another "
         "flavour (TiDB) fails.",
    permissions="Login only (SELECT VERSION()).",
    versions="Any.",
    options=dict(
        supported_versions=dict(type="dict", default=dict(SUPPORTED_VERSIONS), description=(
            "The supported server versions per flavour, as V(MIN-MAX) where V(MAX) is a release series (V(8.0) "
            "covers every 8.0.x, V(11) every 11.x). Used by C(mysql.version).",
            "Keys are V(mysql) (MySQL, Percona Server and other MySQL builds), V(mariadb) and V(tidb). A flavour not"
            " given keeps its default range; a flavour without a range (TiDB by default) fails.",
        )),
    ),
)
def version(ctx):
    return judge_version(ctx.server(), version_ranges(ctx.params.get("supported_versions")), ctx.target)


@register(
    "mysql.binlog", "Binary log enabled for incremental and log backups", ("log_backup", "incremental_backup"),
    tags=("logging",),
    references=("HBR:MYSQL_BINLOG",),
    rule="log_bin is ON (fails otherwise); binlog_format ROW is recommended (warning otherwise); gtid_mode where "
         "it exists and the retention (binlog_expire_logs_seconds on MySQL 8.0.1+ and MariaDB 10.6.1+, else "
         "expire_logs_days) are reported; a retention below binlog_min_retention_hours warns, whatever the "
         "format (with a format other than ROW, one warning names both).",
    permissions="Login only (SHOW GLOBAL VARIABLES).",
    versions="MySQL 5.1.38 to 8.0.x, MariaDB 10.x and 11.x.",
    options=dict(
        binlog_min_retention_hours=dict(type="float", minimum=0, default=24.0, description=(
            "C(mysql.binlog) warns when binary logs are purged sooner than this, since a log backup that falls "
            "behind would lose the log chain. V(0) turns the warning off. Logs never purged do not warn.",
        )),
    ),
)
def binlog(ctx):
    return judge_binlog(ctx.server(), ctx.variables(), ctx.target, ctx.params.get("binlog_min_retention_hours"))


@register(
    "mysql.privileges", "Backup user holds the privileges a backup needs", ("backup",),
    tags=("permissions",),
    references=(),
    rule="The backup user (backup_user, or the login account) holds ON *.*: RELOAD, LOCK TABLES, PROCESS and "
         "REPLICATION CLIENT (BINLOG MONITOR on MariaDB 10.5.2+), plus BACKUP_ADMIN on MySQL 8.0; ALL PRIVILEGES "
         "covers them. Missing ones fail with the GRANT statement to run; when the account has roles, warning, "
         "with the statements that show what the roles grant for the flavour (SHOW GRANTS FOR ... USING on MySQL "
         "8.0, SHOW GRANTS FOR role on MariaDB).",
    permissions="None for the login account (SHOW GRANTS); SELECT ON mysql.* (the mysql schema) to read another "
                "account given as backup_user (SHOW GRANTS FOR): without it an error (cause permission, error 1044).",
    versions="MySQL 5.1.38 to 8.0.x, MariaDB 10.x and 11.x.",
    options=dict(
        backup_user=dict(type="str", description=(
            "The account the backup agent will use, as V(name@host) or V(name) (host V(%)), whose grants "
            "C(mysql.privileges) judges. The name is bound as a parameter of C(SHOW GRANTS FOR).",
            "When not set, the login account (as C(CURRENT_USER) returns it) is judged.",
            "Reading the grants of another account needs C(SELECT) on the C(mysql) schema; without it the result is "
            "an V(error) with cause V(permission).",
        )),
    ),
)
def privileges(ctx):
    server = ctx.server()
    account = ctx.account()
    target = "%s/%s@%s" % (ctx.target, account[0], account[1])
    rows = ctx.grants()
    if rows is None:
        quoted = quote_account(*account)
        return [R.failed(target, "The backup account %s does not exist on %s." % (quoted, ctx.target),
                         "Create it and grant what a backup needs: CREATE USER %s IDENTIFIED BY '<password>'; "
                         "GRANT %s ON *.* TO %s;" % (quoted, ", ".join(n for n, _a in required_privileges(server)),
                                                     quoted),
                         details={"account": quoted})]
    return judge_privileges(server, parse_grants(rows), account, target)
