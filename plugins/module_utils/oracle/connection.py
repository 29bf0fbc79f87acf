# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Oracle connection layer: options, a connect bounded in time, classified errors, queries.

python-oracledb runs in thin mode unless thick mode is asked for (oracle_client_lib_dir) or
needed (OS authentication: no login_user). Thin mode ignores `tcp_connect_timeout` once a
listener has accepted TCP (python-oracledb#451), so the whole connect runs in a daemon thread
that is given up after `connect_timeout`. Errors are classified on their DPY-/ORA- numbers
(`exc.args[0].full_code`, `.code`), never on exception classes, because thin and thick mode
raise different classes for the same failure.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import atexit
import os
import re
import socket
import ssl
import sys
import time

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.bounded import Abandoned
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.bounded import call as bounded_call
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.bounded import close_quietly
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.context import instance_target
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError

try:
    import oracledb
    HAS_ORACLEDB = True
    ORACLEDB_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover - depends on the managed host
    oracledb = None
    HAS_ORACLEDB = False
    ORACLEDB_IMPORT_ERROR = str(_exc)

CONNECTION_CHECK = "oracle.connection"

MODES = ("default", "sysdba", "sysbackup")

CONNECTION_ARGS = dict(
    dsn=dict(type="str", description=(
        "The database to connect to, as an Easy Connect string (V(dbhost:1521/ORCLPDB1), "
        "V(tcps://dbhost:2484/sales.example.com)), a connect descriptor (C(DESCRIPTION=...)), or a TNS alias.",
        "Mutually exclusive with O(login_host), O(service_name) and O(sid). Must not contain credentials.",
        "Results name the database C(host:port/service) of the string (or the alias), never the whole string.",
    )),
    login_host=dict(type="str", description=(
        "The host of the listener, when O(dsn) is not used. Defaults to V(localhost) when O(service_name) or O(sid) "
        "is set.",
    )),
    login_port=dict(type="int", minimum=1, maximum=65535, default=1521, description=(
        "The port of the listener, with O(login_host).",
    )),
    service_name=dict(type="str", description=(
        "The database service to connect to (a PDB is reached by its service name). Results name the database "
        "C(login_host:login_port/service_name), after the instance's label where one is given. Mutually exclusive with O(sid) and O(dsn).",
    )),
    sid=dict(type="str", description=(
        "The instance SID to connect to, for databases that register no service. Mutually exclusive with "
        "O(service_name) and O(dsn).",
    )),
    login_user=dict(type="str", description=(
        "The database user to log in as.",
        "Without it, OS authentication is used (C(/ AS SYSDBA) on the database host), which needs thick mode (Oracle"
        " Client libraries on the managed host, see O(oracle_client_lib_dir)).",
    )),
    login_password=dict(type="str", no_log=True, description=(
        "The password of O(login_user). It never appears in results, messages or logs.",
    )),
    mode=dict(type="str", default="default", choices=list(MODES), description=(
        "The administrative privilege to connect with. V(sysbackup) is the least privilege that reads every view the"
        " checks need and is required, like V(sysdba), to connect to a MOUNTED database.",
    )),
    oracle_client_lib_dir=dict(type="path", description=(
        "A directory of Oracle Client (Instant Client) libraries. Setting it switches python-oracledb to thick mode,"
        " needed for Oracle Database 11.2, for 10G password verifiers and for some network configurations. Thin "
        "mode, the default, needs no client.",
    )),
    connect_timeout=dict(type="float", exclusive_minimum=0, maximum=86400, default=10.0, role_default="timeout", description=(
        "Seconds the whole connect and login may take. The module bounds it itself, so a listener that accepts TCP "
        "and then stays silent costs this long and is reported as V(timeout).",
    )),
    query_timeout=dict(type="float", exclusive_minimum=0, maximum=86400, default=30.0, description=(
        "Seconds each query may take (python-oracledb C(call_timeout)).",
    )),
)

# Errors by ORA- number. Thick mode turns some of them into DPY-4011 but keeps `.code`, so the
# number is looked at first.
ORA_CAUSES = {
    # the login itself
    1005: "login_failed",    # null password given
    1017: "login_failed",    # invalid username/password
    1045: "login_failed",    # user lacks CREATE SESSION
    28000: "login_failed",   # account locked
    28001: "login_failed",   # password expired
    28009: "login_failed",   # connection as SYS should be as SYSDBA or SYSOPER
    28040: "login_failed",   # no matching authentication protocol
    1994: "login_failed",    # password file missing or disabled
    # the listener or the instance refused to hand over a session
    12505: "listener_refused",   # SID not known to the listener
    12514: "listener_refused",   # service not known to the listener
    12516: "listener_refused",   # no available handler
    12518: "listener_refused",   # could not hand off the connection
    12519: "listener_refused",   # no appropriate service handler
    12520: "listener_refused",   # no handler for the server type
    12526: "listener_refused",   # instances in restricted mode
    12527: "listener_refused",   # instances in restricted / NOMOUNT mode
    12528: "listener_refused",   # instances blocking new connections (NOMOUNT, or not yet registered)
    1033: "listener_refused",    # initialization or shutdown in progress (instance MOUNTED or starting)
    1034: "listener_refused",    # ORACLE not available (instance not started)
    27101: "listener_refused",   # shared memory realm does not exist (instance not started)
    1089: "listener_refused",    # immediate shutdown in progress
    1090: "listener_refused",    # shutdown in progress
    # the network
    12154: "unreachable",    # could not resolve the connect identifier
    12162: "unreachable",    # net service name incorrectly specified
    12541: "unreachable",    # no listener
    12543: "unreachable",    # destination host unreachable
    12545: "unreachable",    # target host or object does not exist
    12537: "unreachable",    # connection closed
    12547: "unreachable",    # lost contact
    12560: "unreachable",    # protocol adapter error
    3113: "unreachable",     # end-of-file on communication channel
    3114: "unreachable",     # not connected
    3135: "unreachable",     # connection lost contact
    # time
    12170: "timeout",        # connect timeout
    12535: "timeout",        # operation timed out
    3136: "timeout",         # inbound connection timed out
    3156: "timeout",         # call timeout (thick mode)
    # what a query may not see
    942: "permission",       # table or view does not exist (no SELECT on the v$ view)
    1031: "permission",      # insufficient privileges (at connect: the AS SYSxxx privilege is missing)
}

DRIVER_CAUSES = {
    "DPY-6005": "unreachable",       # cannot connect (refused, no route, name not resolved, reset)
    "DPY-4011": "unreachable",       # the database or network closed the connection
    "DPY-1001": "unreachable",       # not connected
    "DPY-6004": "unreachable",       # network proxy failed
    "DPY-4000": "unreachable",       # connect identifier not found in tnsnames.ora
    "DPY-4026": "unreachable",       # tnsnames.ora missing
    "DPY-4027": "unreachable",       # no configuration directory for a TNS alias
    "DPY-6000": "listener_refused",  # listener refused connection (similar to ORA-xxxxx)
    "DPY-6001": "listener_refused",  # service not registered (similar to ORA-12514)
    "DPY-6003": "listener_refused",  # SID not registered (similar to ORA-12505)
    "DPY-6002": "tls",
    "DPY-6008": "tls",
    "DPY-4024": "timeout",           # call timeout exceeded
    "DPY-4001": "login_failed",      # no credentials specified
    "DPY-3010": "driver_missing",    # server version not supported in thin mode (use thick mode)
    "DPY-3015": "driver_missing",    # password verifier not supported in thin mode (10G verifier)
    "DPY-3016": "driver_missing",    # cryptography package missing (thin mode)
    "DPI-1047": "driver_missing",    # Oracle Client library not found (thick mode)
    "DPI-1072": "driver_missing",    # Oracle Client library version not supported
}

_CONNECTION_ID = re.compile(r"\s*\(CONNECTION_ID=[^)]*\)")
_SIMILAR_TO = re.compile(r"Similar to ORA-(\d+)")


def error_info(exc):
    """(full_code, ora_number, one-line text) of a python-oracledb exception."""
    err = exc.args[0] if getattr(exc, "args", None) else None
    full_code = str(getattr(err, "full_code", "") or "")
    try:
        code = int(getattr(err, "code", 0) or 0)
    except (TypeError, ValueError):
        code = 0
    message = getattr(err, "message", None) or str(exc) or type(exc).__name__
    if not full_code:
        match = re.match(r"^([A-Z]{2,4}-\d{4,5}):", message)
        full_code = match.group(1) if match else ""
    if not code and full_code.startswith("ORA-"):
        code = int(full_code[4:])
    if full_code == "DPY-6000":
        similar = _SIMILAR_TO.search(message)
        if similar:
            code = int(similar.group(1))
    lines = [line.strip() for line in str(message).splitlines()]
    lines = [_CONNECTION_ID.sub("", line) for line in lines if line and not line.startswith("Help:")]
    lines = [re.sub(r"^[A-Z]{2,4}-\d{4,5}:\s*", "", line).rstrip(".") for line in lines]
    return full_code, code, ": ".join(line for line in lines if line)


def classify(exc, during="query"):
    """The cause (one of results.ERROR_CAUSES) of an oracledb exception."""
    full_code, code, _text = error_info(exc)
    if during == "connect" and code == 1031:
        return "login_failed"     # AS SYSBACKUP / AS SYSDBA refused: the login lacks that privilege
    if code in ORA_CAUSES:
        return ORA_CAUSES[code]
    if full_code in DRIVER_CAUSES:
        return DRIVER_CAUSES[full_code]
    if full_code.startswith("DPY-6"):
        return "unreachable"
    return "unreachable" if during == "connect" else "internal"


# ---------------------------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------------------------

def _strip_quotes(name):
    return name[1:-1] if len(name) > 1 and name[0] == name[-1] == '"' else None


def normalize_user(user):
    """Oracle folds unquoted names to upper case; a quoted name keeps its case."""
    if not user:
        return None
    quoted = _strip_quotes(user.strip())
    return quoted if quoted is not None else user.strip().upper()


def quote_user(user):
    """The user name as a quoted identifier, for remediation text."""
    return '"%s"' % (normalize_user(user) or "").replace('"', '""')


def os_authentication(params):
    return not params.get("login_user")


DEFAULT_PORT = 1521  # Easy Connect's and a descriptor's default, with TCP and TCPS alike


def dsn_parts(dsn):
    """(host, port, service) of an Easy Connect string or connect descriptor, missing parts None;
    None for a TNS alias. Never the whole string: a descriptor may carry wallet settings."""
    text = dsn.strip()
    if text.startswith("("):
        found = [re.search(r"\(\s*%s\s*=\s*([^)\s]+)" % key, text, re.IGNORECASE)
                 for key in ("HOST", "PORT", "(?:SERVICE_NAME|SID)")]
        host, port, service = [m.group(1) if m else None for m in found]
        return host, port or (DEFAULT_PORT if host else None), service
    text = re.sub(r"^[A-Za-z]+://", "", text)
    text = text.lstrip("/").split("?", 1)[0]
    if "/" not in text and ":" not in text:
        return None
    hostport, _sep, rest = text.partition("/")
    if hostport.startswith("["):
        host, _bracket, port = hostport[1:].partition("]")
        port = port.lstrip(":")
    else:
        host, _colon, port = hostport.partition(":")
    return host, port or DEFAULT_PORT, rest.split(":", 1)[0].split("/", 1)[0] or None


def _host_port(host, port):
    return "%s:%s" % ("[%s]" % host if ":" in host else host, port)


def dsn_label(dsn):
    """`host:port/service` of an Easy Connect string or connect descriptor; a TNS alias as itself."""
    parts = dsn_parts(dsn)
    if parts is None:
        return dsn.strip()
    host, port, service = parts
    if not host:
        return service or "connect descriptor"
    return "/".join(p for p in (_host_port(host, port), service) if p)


def endpoint(params):
    """Where the connection goes, for messages: `host:port` (or the TNS alias), never the dsn."""
    if params.get("dsn"):
        parts = dsn_parts(params["dsn"])
        if parts is None:
            return "TNS alias %s" % params["dsn"].strip()
        return _host_port(parts[0], parts[1]) if parts[0] else dsn_label(params["dsn"])
    if params.get("service_name") or params.get("sid"):
        return _host_port(params.get("login_host") or "localhost", params.get("login_port") or DEFAULT_PORT)
    return "the local instance (bequeath)"


def host_name(params):
    """The host the connection resolves, for a DNS failure; None for an alias or the local instance."""
    if params.get("dsn"):
        return (dsn_parts(params["dsn"]) or (None,))[0]
    return (params.get("login_host") or "localhost") if params.get("service_name") or params.get("sid") else None


def target_label(params):
    """What the results name: `host:port/service` (or SID), after the instance's label when given,
    so that two databases of one name on one host never collide; a dsn's `host:port/service` or TNS
    alias; or the local instance (ORACLE_SID) for OS authentication without a connect string."""
    if params.get("dsn"):
        where = dsn_label(params["dsn"])
    elif params.get("service_name") or params.get("sid"):
        where = "%s/%s" % (endpoint(params), params.get("service_name") or params.get("sid"))
    else:
        where = os.environ.get("ORACLE_SID") or "local instance"
    return instance_target(where, params.get("label"))


def validate_connection(params):
    problems = []
    host_options = [o for o in ("login_host", "service_name", "sid") if params.get(o)]
    if params.get("dsn"):
        if host_options:
            problems.append("dsn: give either dsn or login_host/service_name/sid, not both (also set: %s)"
                            % ", ".join(host_options))
        if "@" in params["dsn"]:
            problems.append("dsn: must not contain credentials (user/password@...): use login_user and "
                            "login_password (the dsn is not shown here)")
    else:
        if params.get("service_name") and params.get("sid"):
            problems.append("service_name, sid: give one of them, not both")
        if not (params.get("service_name") or params.get("sid")):
            if params.get("login_host"):
                problems.append("service_name: give service_name or sid with login_host (or use dsn)")
            elif not os_authentication(params):
                problems.append("dsn: give dsn (Easy Connect, for example dbhost:1521/ORCLPDB1), or service_name "
                                "or sid (with login_host, default localhost)")
    port = params.get("login_port")
    if port is not None and not 1 <= port <= 65535:
        problems.append("login_port: %r is out of range (valid ports: 1-65535)" % (port,))
    if params.get("mode") not in MODES:
        problems.append("mode: %r is not valid (valid modes: %s)" % (params.get("mode"), ", ".join(MODES)))
    if params.get("login_user") and params.get("login_password") is None:
        problems.append("login_password: required with login_user (without login_user, OS authentication "
                        "is used, which needs thick mode)")
    if params.get("login_password") is not None and not params.get("login_user"):
        problems.append("login_user: required with login_password")
    for option in ("connect_timeout", "query_timeout"):
        value = params.get(option)
        if value is None or value <= 0:
            problems.append("%s: must be a number of seconds greater than 0, got %r" % (option, value))
    return problems


def _close_bounded(connection):
    """At exit: log off, but never let a hung server keep the module process alive."""
    try:
        bounded_call(lambda: close_quietly(connection), 2.0)
    except Abandoned:
        pass


# ---------------------------------------------------------------------------------------------
# Connecting
# ---------------------------------------------------------------------------------------------

_MODE_ATTRS = {"default": "AUTH_MODE_DEFAULT", "sysdba": "AUTH_MODE_SYSDBA", "sysbackup": "AUTH_MODE_SYSBKP"}


def connect_kwargs(params):
    """Keyword arguments of oracledb.connect(); the password is the caller's to add."""
    kwargs = {
        "mode": getattr(oracledb, _MODE_ATTRS[params.get("mode") or "default"]),
        "tcp_connect_timeout": float(params["connect_timeout"]),
        "retry_count": 0,
    }
    if params.get("dsn"):
        kwargs["dsn"] = params["dsn"]
    elif params.get("service_name") or params.get("sid"):
        kwargs["host"] = params.get("login_host") or "localhost"
        kwargs["port"] = params.get("login_port") or 1521
        if params.get("service_name"):
            kwargs["service_name"] = params["service_name"]
        else:
            kwargs["sid"] = params["sid"]
    if os_authentication(params):
        kwargs["externalauth"] = True
    else:
        kwargs["user"] = params["login_user"]
    return kwargs


def wants_thick_mode(params):
    return bool(params.get("oracle_client_lib_dir")) or os_authentication(params)


def _mode_text(params):
    mode = params.get("mode") or "default"
    return "" if mode == "default" else " AS %s" % mode.upper()


def _who(params):
    if os_authentication(params):
        return "OS authentication%s" % _mode_text(params)
    return "user %s%s" % (normalize_user(params["login_user"]), _mode_text(params))


def _socket_cause(exc):
    """`dns` or `tls` when a socket error is behind a connect failure: python-oracledb raises an
    unresolvable host's gaierror as it is, and wraps a TLS failure into DPY-6005 (`__cause__`)."""
    for error in (exc, exc.__cause__, exc.__context__):
        if isinstance(error, socket.gaierror):
            return "dns"
        if isinstance(error, ssl.SSLError):
            return "tls"
    return None


def _connect_failure(exc, params, label):
    """A PrecheckError that says what failed, why, and what to do, from an oracledb error."""
    full_code, code, text = error_info(exc)
    cause = _socket_cause(exc) or classify(exc, during="connect")
    who = _who(params)
    where = endpoint(params)
    ora = ("ORA-%05d" % code) if code else full_code
    code_text = full_code if full_code and full_code != ora else ora
    details = {"error_code": full_code or None, "ora_code": ("ORA-%05d" % code) if code else None,
               "endpoint": where, "driver_message": text}
    user = quote_user(params.get("login_user"))
    if cause == "login_failed":
        if code == 1031:
            privilege = (params.get("mode") or "sysbackup").upper()
            message = ("Login to %s as %s refused (%s, insufficient privileges): the user does not hold %s."
                       % (label, who, ora, privilege))
            fix = ("As SYS: GRANT %s TO %s; (needs a password file and REMOTE_LOGIN_PASSWORDFILE=EXCLUSIVE; for a "
                   "common user in a CDB add CONTAINER=ALL), or set mode to a privilege the user holds."
                   % (privilege, user))
        elif code == 28000:
            message = "Login to %s as %s refused: the account is locked (%s)." % (label, who, ora)
            fix = "As a DBA: ALTER USER %s ACCOUNT UNLOCK;" % user
        elif code == 28001:
            message = "Login to %s as %s refused: the password has expired (%s)." % (label, who, ora)
            fix = "Set a new password (ALTER USER %s IDENTIFIED BY ...;) and update login_password." % user
        else:
            message = "Login to %s as %s failed (%s): %s." % (label, who, code_text or "login", text)
            fix = ("Check login_user and login_password (passwords are case-sensitive) and that the account exists "
                   "in this database or PDB (a common user needs the C## prefix); for mode sysbackup/sysdba the "
                   "user must also be in the password file (v$pwfile_users), otherwise the login fails with "
                   "ORA-01017 too.")
    elif cause == "listener_refused":
        if code in (1034, 27101):
            message = "The instance for %s at %s is not started (%s): %s." % (label, where, ora, text)
            # The release is not known before a login: srvctl takes -db from 12.1, -d on 11.2.
            fix = ("Start it: as SYSDBA on the database host, STARTUP; (RAC: srvctl start database -db "
                   "<db_unique_name>; on 11.2 srvctl start database -d <db_unique_name>).")
        elif code in (1033, 1089, 1090):
            message = ("The database %s at %s is not open (%s): only SYSDBA/SYSBACKUP sessions are allowed while "
                       "it starts, is MOUNTED or shuts down." % (label, where, ora))
            fix = ("Open the database (ALTER DATABASE OPEN;), or run the precheck with mode sysbackup or sysdba to "
                   "inspect a MOUNTED database.")
        elif code in (12526, 12527, 12528):
            message = ("The listener at %s refuses new connections to %s (%s): the instance is in NOMOUNT or "
                       "restricted mode, or not yet registered." % (where, label, ora))
            fix = ("Mount and open the database (ALTER DATABASE MOUNT; ALTER DATABASE OPEN;), or lift restricted "
                   "mode (ALTER SYSTEM DISABLE RESTRICTED SESSION;).")
        else:
            message = "The listener at %s refused the connection to %s (%s): %s." % (where, label, code_text, text)
            fix = ("The listener does not serve this service or SID: list what it serves with `lsnrctl status` on "
                   "the database host and correct service_name, sid or dsn (a PDB is reached by its service name, "
                   "not by a SID), or register the service (ALTER SYSTEM REGISTER;).")
    elif cause == "timeout":
        message = "Connecting to %s at %s timed out (%s): %s." % (label, where, code_text, text)
        fix = "Check the network path and the listener; raise connect_timeout if the network is slow."
    elif cause == "driver_missing":
        message = "python-oracledb cannot connect to %s (%s): %s." % (label, code_text, text)
        if full_code in ("DPI-1047", "DPI-1072"):
            fix = ("Install Oracle Instant Client (19 or later) on the managed host and set oracle_client_lib_dir "
                   "to its directory, or give login_user and login_password so that thin mode needs no client.")
        else:
            fix = ("Use thick mode: install Oracle Instant Client and set oracle_client_lib_dir (thin mode supports "
                   "Oracle Database 12.1 or later, and 11G or later password verifiers).")
    elif cause == "tls":
        message = "TLS with the listener at %s for %s failed%s: %s." % (
            where, label, " (%s)" % code_text if code_text else "", text)
        fix = ("The listener's certificate must be signed by a CA this host trusts and match the server DN: add the "
               "CA to the wallet the dsn names (wallet_location) or to this host's trust store, and check "
               "ssl_server_dn_match and ssl_server_cert_dn in the dsn; a TCPS port that is not TLS (or a TCP port "
               "reached with tcps://) fails the same way.")
    elif cause == "dns":
        host = host_name(params)
        if host:
            message = "The host name %s of %s does not resolve: %s." % (host, label, text)
        else:  # a TNS alias: the host is in tnsnames.ora
            message = "The listener host of %s does not resolve: %s." % (label, text)
        fix = ("Check login_host (or the host of dsn) and this host's resolver (/etc/hosts, the DNS servers of "
               "/etc/resolv.conf); with a TNS alias, the HOST of its entry in tnsnames.ora.")
    else:
        message = "Cannot reach the listener at %s for %s%s: %s." % (
            where, label, " (%s)" % code_text if code_text else "", text)
        fix = ("Check that the host name resolves, that the listener runs (`lsnrctl status` on the database host) "
               "and listens on that port, and that no firewall or security group blocks it.")
    return PrecheckError(cause, message, fix, source=CONNECTION_CHECK, details=details)


def _init_thick_mode(params, label):
    lib_dir = params.get("oracle_client_lib_dir")
    try:
        if oracledb.is_thin_mode():
            oracledb.init_oracle_client(lib_dir=lib_dir)
    except Exception as exc:  # pylint: disable=broad-except
        full_code, _code, text = error_info(exc)
        why = ("OS authentication (no login_user) needs thick mode" if os_authentication(params)
               else "oracle_client_lib_dir asks for thick mode")
        raise PrecheckError(
            "driver_missing",
            "%s, but the Oracle Client libraries could not be loaded for %s (%s): %s" % (
                why, label, full_code or type(exc).__name__, text),
            "Install Oracle Instant Client 19 or later on the managed host and set oracle_client_lib_dir to its "
            "directory (or ORACLE_HOME/LD_LIBRARY_PATH in the task environment); or give login_user and "
            "login_password to use thin mode, which needs no client.",
            source=CONNECTION_CHECK, details={"error_code": full_code or None, "lib_dir": lib_dir})


def require_driver(label):
    if not HAS_ORACLEDB:
        raise PrecheckError(
            "driver_missing",
            "The Python library python-oracledb is not installed for %s on the managed host, so %s cannot be "
            "checked (%s)." % (sys.executable, label, ORACLEDB_IMPORT_ERROR),
            "Install it for that interpreter: %s -m pip install oracledb (or the distribution package "
            "python3-oracledb); ansible_python_interpreter chooses the interpreter." % sys.executable,
            source=CONNECTION_CHECK)


def open_connection(params, label):
    """Connect within connect_timeout, or raise a classified PrecheckError. Returns
    (connection, info) where info says how it connected."""
    require_driver(label)
    thick = wants_thick_mode(params)
    if thick:
        _init_thick_mode(params, label)
    kwargs = connect_kwargs(params)
    password = params.get("login_password")
    timeout = float(params["connect_timeout"])
    started = time.monotonic()

    def attempt():
        if password is not None:
            return oracledb.connect(password=password, **kwargs)
        return oracledb.connect(**kwargs)

    try:
        connection = bounded_call(attempt, timeout, on_late_result=close_quietly)
    except Abandoned:
        raise PrecheckError(
            "timeout",
            "No answer from the listener at %s for %s within %g s: TCP was accepted or is still pending, but the "
            "Oracle Net handshake and login did not complete (a firewall that drops packets, a hung listener, or "
            "a port that is not an Oracle listener)." % (endpoint(params), label, timeout),
            "Check that the address and port are those of the Oracle listener (`lsnrctl status` on the database "
            "host), that no firewall or proxy holds the connection, and raise connect_timeout if the network is "
            "slow.", source=CONNECTION_CHECK, details={"connect_timeout": timeout})
    except Exception as exc:  # pylint: disable=broad-except
        raise _connect_failure(exc, params, label)
    try:
        connection.call_timeout = int(float(params["query_timeout"]) * 1000)
    except Exception:  # pylint: disable=broad-except
        pass
    atexit.register(_close_bounded, connection)
    info = {
        "driver_mode": "thin" if oracledb.is_thin_mode() else "thick",
        "driver_version": getattr(oracledb, "__version__", None),
        "server_version": getattr(connection, "version", None),
        "connect_ms": int((time.monotonic() - started) * 1000),
        "auth": "os" if os_authentication(params) else "password",
        "mode": params.get("mode") or "default",
    }
    return connection, info
