# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SAP HANA connection layer: options, a bounded connect to SYSTEMDB through hdbcli, read-only
queries each bounded in time, and errors classified into the causes of results.ERROR_CAUSES.

hdbcli (SAP's driver, from PyPI) is imported lazily, so that a missing driver is a classified
`driver_missing` result and not an import failure of the module. hdbcli reports a refused, a
timed-out and an unresolvable connect all as error -10709; the RTE text inside tells them apart.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import atexit
import re
import time

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.bounded import Abandoned
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.bounded import call as bounded_call
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError, missing_driver

CONNECTION_CHECK = "hana.connection"

# A bound's margin over the driver's own timeout: the driver should give up first and say why.
MARGIN = 2.0

CONNECTION_ARGS = dict(
    login_host=dict(type="str", default="localhost", description=(
        "The host name or address of the SAP HANA system (its SQL port of the system database).",
    )),
    login_port=dict(type="int", description=(
        "The SQL port of the system database SYSTEMDB. Not set: C(3<nn>13) for the instance number C(<nn>) of "
        "the instance found under O(root) (or of O(instance_number)).",
    )),
    login_user=dict(type="str", description=(
        "The database user to log in to SYSTEMDB with; its privileges are judged by C(hana.privileges) unless "
        "O(backup_user) is set. Needs O(login_password), or use O(userstore_key) instead.",
    )),
    login_password=dict(type="str", no_log=True, description=(
        "The password of O(login_user). Never shown in results, messages or logs.",
    )),
    # The name of an entry of the user store, not a secret: the password stays in the store.
    userstore_key=dict(type="str", no_log=False, description=(
        "A key of the secure user store (C(hdbuserstore SET <key> <host>:<port>@SYSTEMDB <user> <password>)) of "
        "the OS user the module runs as, instead of O(login_host), O(login_port), O(login_user) and "
        "O(login_password).",
    )),
    encrypt=dict(type="bool", default=False, description=(
        "Connect with TLS. A failed handshake or certificate is reported with cause V(tls).",
    )),
    validate_certificate=dict(type="bool", default=True, description=(
        "With O(encrypt), whether the server certificate is verified against O(trust_store).",
    )),
    trust_store=dict(type="path", description=(
        "With O(encrypt), the PEM file of the CAs that may sign the server certificate (hdbcli's "
        "C(sslTrustStore)).",
    )),
    connect_timeout=dict(type="float", default=10.0, role_default="timeout", description=(
        "Seconds allowed to connect and log in. A server that accepts TCP but never answers is reported as "
        "V(timeout) after about this time.",
    )),
    statement_timeout=dict(type="float", default=30.0, description=(
        "Seconds each statement (and its fetch) may take after login.",
    )),
)

# hdbcli error codes (SAP HANA SQL error codes and the client's own negative ones).
ERR_CONNECT = -10709        # connection failed: refused, timed out, unknown host, TLS
ERR_CONNECTION_DOWN = -10807
ERR_SESSION_RECONNECTED = -10108
ERR_AUTHENTICATION = 10
ERR_USER_LOCKED = 663       # user is locked (too many failed logins)
ERR_PASSWORD_EXPIRED = 414
ERR_PRIVILEGE = 258
ERR_TABLE = 259
ERR_COLUMN = 260
LOST = (ERR_CONNECTION_DOWN, ERR_SESSION_RECONNECTED, -10806, -10108, -10821)

_READ_ONLY = re.compile(r"^\s*SELECT\s", re.IGNORECASE)

# Where hdbcli's RTE texts say what went wrong with a connect.
_CONNECT_REASONS = (
    ("dns", re.compile(r"resolve host|host name|unknown host|getaddrinfo|name or service", re.I)),
    ("tls", re.compile(r"ssl|tls|certificate|handshake|crypto", re.I)),
    ("refused", re.compile(r"refused|rc=111", re.I)),
    ("timeout", re.compile(r"time ?out|timed out|rc=110", re.I)),
)


def load_driver():
    """Import hdbcli's dbapi, or raise a classified `driver_missing` error naming the interpreter."""
    try:
        from hdbcli import dbapi  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise missing_driver("SAP's HANA driver hdbcli", "hdbcli", exc, CONNECTION_CHECK)
    return dbapi


def validate_connection(params):
    """Problems with the connection options, each naming the option and what is valid."""
    problems = []
    port = params.get("login_port")
    if port is not None and not 1 <= port <= 65535:
        problems.append("login_port: %r is out of range (valid ports: 1-65535)" % (port,))
    for option in ("connect_timeout", "statement_timeout"):
        value = params.get(option)
        if value is None or not 0 < value <= 86400:
            problems.append("%s: must be a number of seconds greater than 0 and at most 86400, got %r"
                            % (option, value))
    key = params.get("userstore_key")
    if key and (params.get("login_user") or params.get("login_password")):
        problems.append("userstore_key: set either userstore_key or login_user/login_password, not both")
    if params.get("login_user") and not key and params.get("login_password") is None:
        problems.append("login_password: set the password of login_user (or use userstore_key)")
    if params.get("trust_store") and not params.get("encrypt"):
        problems.append("trust_store: needs encrypt=true (the trust store verifies a TLS connection)")
    return problems


def error_code(exc):
    """(code, text) of an hdbcli error: `errorcode`/`errortext`, or its args."""
    code = getattr(exc, "errorcode", None)
    text = getattr(exc, "errortext", None)
    args = getattr(exc, "args", ())
    if code is None and args and isinstance(args[0], int):
        code = args[0]
        text = args[1] if len(args) > 1 else ""
    return code, str(text if text is not None else exc)


def quote_identifier(name):
    """A name as a HANA identifier in the statements printed in remediations (never sent)."""
    return '"%s"' % str(name).replace('"', '""')


def quote_string(value):
    return "'%s'" % str(value).replace("'", "''")


def _connect_reason(text):
    for reason, pattern in _CONNECT_REASONS:
        if pattern.search(text):
            return reason
    return "unreachable"


def classify_connect_error(exc, settings):
    """A PrecheckError owned by hana.connection for an hdbcli error raised while connecting."""
    where = settings["endpoint"]
    user = settings.get("user") or "(userstore key %s)" % settings.get("userstore_key")
    code, text = error_code(exc)
    details = {"error_code": code}
    quoted_user = quote_string(str(settings.get("user") or "").upper())
    if code == ERR_AUTHENTICATION:
        return PrecheckError(
            "login_failed", "Login to SAP HANA SYSTEMDB at %s as %s failed (%s): %s." % (where, user, code, text),
            "Check login_user and login_password (or the userstore key: hdbuserstore LIST %s), and that the user "
            "exists in SYSTEMDB: hdbsql -n %s -d SYSTEMDB -u SYSTEM \"SELECT USER_NAME, USER_DEACTIVATED FROM "
            "USERS WHERE USER_NAME = %s\"" % (settings.get("userstore_key") or "", where, quoted_user),
            source=CONNECTION_CHECK, details=dict(details, reason="authentication"))
    if code in (ERR_USER_LOCKED, ERR_PASSWORD_EXPIRED):
        return PrecheckError(
            "login_failed", "Login to SAP HANA SYSTEMDB at %s as %s was rejected (%s): %s." % (where, user, code, text),
            "As a user administrator: ALTER USER %s RESET CONNECT ATTEMPTS; or set a new password with ALTER USER %s "
            "PASSWORD ..." % ((quote_identifier(str(settings.get("user") or "").upper()),) * 2),
            source=CONNECTION_CHECK, details=dict(details, reason="locked_or_expired"))
    reason = _connect_reason(text) if code in (ERR_CONNECT,) + LOST or code is None else "unreachable"
    details["reason"] = reason
    if reason == "timeout":
        return PrecheckError(
            "timeout", "SAP HANA at %s did not answer within %gs: %s." % (where, settings["connect_timeout"], text),
            "Check that the instance runs (sapcontrol -nr <nn> -function GetProcessList) and that the firewall lets "
            "this host reach %s; or raise connect_timeout." % where, source=CONNECTION_CHECK, details=details)
    if reason == "refused":
        return PrecheckError(
            "refused", "Nothing accepts connections at %s (hdbcli %s): %s." % (where, code, text),
            "Start the instance (sapcontrol -nr <nn> -function StartSystem HDB), or set login_port to the SQL port "
            "of SYSTEMDB (3<nn>13).", source=CONNECTION_CHECK, details=details)
    if reason == "dns":
        return PrecheckError(
            "dns", "The SAP HANA host name %s does not resolve: %s." % (settings["host"], text),
            "Check login_host, and that this host's resolver knows the name.", source=CONNECTION_CHECK,
            details=details)
    if reason == "tls":
        return PrecheckError(
            "tls", "The TLS connection to SAP HANA at %s failed: %s." % (where, text),
            "Check trust_store (the CA that signed the server certificate) and validate_certificate, or the "
            "server's [communication] ssl settings.", source=CONNECTION_CHECK, details=details)
    return PrecheckError(
        "unreachable", "Connecting to SAP HANA at %s failed (%s): %s." % (where, code, text),
        "Check that the instance runs and that the network path from this host to %s is open." % where,
        source=CONNECTION_CHECK, details=details)


def classify_query_error(exc, endpoint, what):
    """A PrecheckError (owned by the calling check) for a failed read-only statement."""
    code, text = error_code(exc)
    details = {"error_code": code, "query": what}
    if code == ERR_PRIVILEGE:
        return PrecheckError("permission", "Not allowed to read %s on %s (%s): %s." % (what, endpoint, code, text),
                             "", details=details)
    if code in (ERR_TABLE, ERR_COLUMN):
        # The view or column does not exist in this release (the catalog names the first release).
        return PrecheckError("unsupported", "%s cannot be read on %s: this HANA release lacks it (%s: %s)."
                             % (what, endpoint, code, text), "", details=details)
    if code in LOST or code == ERR_CONNECT:
        if _connect_reason(text) == "timeout":
            return PrecheckError("timeout", "%s did not answer within statement_timeout while reading %s (%s): %s."
                                 % (endpoint, what, code, text),
                                 "Raise statement_timeout, or check the load of the indexserver.", details=details)
        return PrecheckError("unreachable", "The connection to %s was lost while reading %s (%s): %s."
                             % (endpoint, what, code, text),
                             "Check the trace files of the indexserver (a crash or a killed session).",
                             details=details)
    return PrecheckError("internal", "Reading %s on %s failed (%s): %s." % (what, endpoint, code, text), "",
                         details=details)


def _connect_kwargs(settings):
    kwargs = dict(
        connectTimeout=int(settings["connect_timeout"] * 1000),
        communicationTimeout=int(settings["statement_timeout"] * 1000),
        # Only SELECTs are sent: autocommit keeps no transaction open on the server.
        autocommit=True,
    )
    if settings["userstore_key"]:
        kwargs["key"] = settings["userstore_key"]
    else:
        kwargs.update(address=settings["host"], port=int(settings["port"]), user=settings["user"],
                      password=settings["password"] or "")
    if settings["encrypt"]:
        kwargs.update(encrypt=True, sslValidateCertificate=bool(settings["validate_certificate"]))
        if settings["trust_store"]:
            kwargs["sslTrustStore"] = settings["trust_store"]
    return kwargs


class Connection:
    """An hdbcli connection that only reads; each statement bounded by statement_timeout."""

    def __init__(self, raw, driver, settings, elapsed_ms):
        self.raw = raw
        self.driver = driver
        self.settings = settings
        self.endpoint = settings["endpoint"]
        self.elapsed_ms = elapsed_ms
        self.lost = None  # the failure that broke the session: later statements are not sent

    def query(self, sql, args=(), what=None, max_rows=10000):
        """Rows (tuples) of one SELECT, at most `max_rows`; `args` are bound by the driver."""
        if not _READ_ONLY.match(sql):
            raise ValueError("refusing a statement that is not a SELECT: %s" % sql.split(None, 1)[0])
        what = what or sql[:60]
        if self.lost is not None:
            raise PrecheckError(self.lost.cause, "Not read: the session to %s broke earlier (%s)."
                                % (self.endpoint, self.lost.message), self.lost.remediation,
                                details={"query": what})

        def run():
            cursor = self.raw.cursor()
            try:
                cursor.execute(sql, list(args))
                return [tuple(row) for row in cursor.fetchmany(max_rows)]
            finally:
                cursor.close()
        seconds = float(self.settings["statement_timeout"])
        try:
            return bounded_call(run, seconds + MARGIN, name="cloudbackup-precheck-hana-query")
        except Abandoned:
            self.lost = PrecheckError("timeout", "Reading %s on %s took longer than %gs."
                                      % (what, self.endpoint, seconds),
                                      "Raise statement_timeout, or check the load of the indexserver.",
                                      details={"query": what})
            raise self.lost
        except self.driver.Error as exc:
            problem = classify_query_error(exc, self.endpoint, what)
            if problem.cause in ("timeout", "unreachable"):
                self.lost = problem
            raise problem

    def close(self):
        try:
            bounded_call(self.raw.close, 2.0)
        except Exception:  # pylint: disable=broad-except
            pass  # closing a broken or hung connection: nothing left to do


def _close_quietly(raw):
    try:
        raw.close()
    except Exception:  # pylint: disable=broad-except
        pass  # a late connection nobody will use


def connect(settings):
    """Open a connection to SYSTEMDB within connect_timeout, or raise a classified PrecheckError."""
    if not settings["userstore_key"] and not settings["user"]:
        raise PrecheckError("login_failed", "No user to log in to SYSTEMDB at %s with." % settings["endpoint"],
                            "Set login_user and login_password, or userstore_key.", source=CONNECTION_CHECK,
                            details={"reason": "no_user"})
    driver = load_driver()
    timeout = float(settings["connect_timeout"])
    start = time.monotonic()
    kwargs = _connect_kwargs(settings)
    try:
        raw = bounded_call(lambda: driver.connect(**kwargs), timeout + MARGIN, on_late_result=_close_quietly,
                           name="cloudbackup-precheck-hana-connect")
    except Abandoned:
        raise PrecheckError(
            "timeout", "SAP HANA at %s did not complete the login within %gs." % (settings["endpoint"], timeout),
            "Check that %s is the SQL port of SYSTEMDB (3<nn>13) and that the instance answers; or raise "
            "connect_timeout." % settings["endpoint"], source=CONNECTION_CHECK, details={"reason": "timeout"})
    except driver.Error as exc:
        raise classify_connect_error(exc, settings)
    connection = Connection(raw, driver, settings, int((time.monotonic() - start) * 1000))
    atexit.register(connection.close)
    return connection
