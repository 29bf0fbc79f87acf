# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB gathering: one connection per run and each data set read once, memoized in the context.

The context also parses what it reads (the server version, account names), so that items get
plain values."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import atexit
import re

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.context import Context
from ansible_collections.cloudbackup.precheck.plugins.module_utils.mysql import connection as mysql_conn

FLAVOUR_NAMES = {"mysql": "MySQL", "mariadb": "MariaDB", "tidb": "TiDB"}


# The global variables mysql.binlog reads; the ones a version lacks are simply absent.
BINLOG_VARIABLES = (
    "log_bin", "log_bin_basename", "binlog_format", "binlog_row_image", "gtid_mode", "gtid_strict_mode",
    "binlog_expire_logs_seconds", "expire_logs_days", "binlog_expire_logs_auto_purge", "server_id",
)


_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")


def parse_server_version(version, comment=""):
    """VERSION() and @@version_comment -> flavour, numbers and names.

    `5.5.5-10.3.39-MariaDB` (the replication prefix old MariaDB shows in handshakes) is read as 10.3.39."""
    text = (version or "").strip()
    lowered = ("%s %s" % (text, comment or "")).lower()
    if "mariadb" in lowered and re.match(r"^5\.5\.5-\d", text):
        text = text[len("5.5.5-"):]
    match = _VERSION.match(text)
    numbers = tuple(int(part or 0) for part in match.groups()) if match else None
    if "mariadb" in lowered:
        flavour = "mariadb"
    elif "tidb" in lowered:
        flavour = "tidb"
    else:
        flavour = "mysql"
    distribution = None
    if "percona" in lowered:
        distribution = "Percona Server"
    elif flavour == "mysql" and "aurora" in lowered:
        distribution = "Aurora MySQL"
    return {
        "flavour": flavour,
        "name": FLAVOUR_NAMES.get(flavour, flavour),
        "version": numbers,
        "version_text": ".".join(str(n) for n in numbers) if numbers else text,
        "raw": version,
        "comment": comment or "",
        "distribution": distribution,
    }


def unquote_name(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "`'\"":
        return text[1:-1]
    return text


def split_account(text):
    """`user@host` (CURRENT_USER() or the backup_user option) -> (user, host); host `%` if absent."""
    text = (text or "").strip()
    if "@" not in text:
        return unquote_name(text), "%"
    user, host = text.rsplit("@", 1)
    return unquote_name(user), unquote_name(host)


def quote_account(user, host):
    return "%s@%s" % (mysql_conn.quote_string(user), mysql_conn.quote_string(host))


class MysqlContext(Context):
    """One connection per run, opened on first use, closed at exit; each data set read once."""

    def __init__(self, params):
        self.settings = mysql_conn.resolve_settings(params)
        super(MysqlContext, self).__init__(params, self.settings["label"],
                                           secrets=[self.settings["password"], params.get("login_password")])

    def connection(self):
        def open_connection():
            connection = mysql_conn.connect(self.settings)
            atexit.register(connection.close)
            return connection
        return self.cached("connection", open_connection)

    def server(self):
        def read():
            connection = self.connection()
            try:
                version, comment, current_user = connection.query(
                    "SELECT VERSION(), @@version_comment, CURRENT_USER()", what="the server version")[0]
                cipher = connection.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'", what="the TLS status")
            except PrecheckError as exc:
                # mysql.connection reads these right after login: a drop or a timeout here is its
                # failure, and the other checks, which need the server too, say "Not run".
                exc.source = mysql_conn.CONNECTION_CHECK
                raise
            server = parse_server_version(version, comment)
            server.update({"current_user": current_user, "tls_cipher": (cipher[0][1] if cipher else "") or None,
                           "connect_ms": connection.elapsed_ms})
            return server
        return self.cached("server", read)

    def variables(self):
        def read():
            rows = self.connection().query(
                "SHOW GLOBAL VARIABLES WHERE Variable_name IN (%s)" % ", ".join(["%s"] * len(BINLOG_VARIABLES)),
                BINLOG_VARIABLES, what="the global variables")
            return dict((str(name).lower(), value) for name, value in rows)
        return self.cached("variables", read)

    def account(self):
        """The account whose privileges are judged: backup_user, or the login account."""
        if self.params.get("backup_user"):
            return split_account(self.params["backup_user"])
        return split_account(self.server()["current_user"])

    def grants(self):
        def read():
            connection = self.connection()
            if self.params.get("backup_user"):
                user, host = self.account()
                try:
                    return connection.query("SHOW GRANTS FOR %s@%s", (user, host), what="the grants of %s"
                                            % quote_account(user, host))
                except PrecheckError as exc:
                    if exc.details.get("error_code") == mysql_conn.ER_NONEXISTING_GRANT:
                        return None
                    if exc.cause == "permission":
                        exc.remediation = (
                            "Reading the grants of another account needs SELECT on the mysql schema: log in as the "
                            "backup user itself (leave backup_user unset), or GRANT SELECT ON mysql.* TO %s;"
                            % quote_account(*split_account(self.server()["current_user"])))
                    raise
            # The session's own grants: in MariaDB these include the privileges of the active role.
            return connection.query("SHOW GRANTS", what="the grants of the login account")
        return self.cached("grants", read)
