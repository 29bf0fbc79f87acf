# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The MySQL/MariaDB connection layer: options, an option-file reader, a bounded connect on PyMySQL,
read-only queries, and errors classified into the causes of results.ERROR_CAUSES.

PyMySQL is pure Python (no client library) and imported lazily, so that a missing driver is a
classified `driver_missing` result and not an import failure of the module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import getpass
import os
import re
import socket
import ssl
import sys
import time

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import probes
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.context import instance_target
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError, missing_driver

CONNECTION_CHECK = "mysql.connection"

DEFAULT_CONFIG_FILE = "~/.my.cnf"

CONNECTION_ARGS = dict(
    login_host=dict(type="str", default="localhost", description=(
        "The host name or address of the MySQL or MariaDB server.",
        "The C(host) of O(config_file) is not used; set this option instead.",
    )),
    login_port=dict(type="int", minimum=1, maximum=65535, default=3306, description=(
        "The TCP port of the server. Ignored when a unix socket is used.",
    )),
    login_unix_socket=dict(type="path", description=(
        "The unix socket of a local server, for example V(/run/mysqld/mysqld.sock). When set, it is used instead of "
        "TCP, whatever O(login_host) says.",
        "Without it, the C(socket) of O(config_file) is used when O(login_host) is V(localhost).",
    )),
    login_user=dict(type="str", description=(
        "The account to log in with; the privileges of this account are the ones judged by C(mysql.privileges) "
        "unless O(backup_user) is set.",
        "When neither this option nor O(config_file) sets a user, the name of the OS user the module runs as is "
        "used, as the mysql client does.",
    )),
    login_password=dict(type="str", no_log=True, description=(
        "The password of O(login_user). Never shown in results, messages or logs.",
        "When not set, the C(password) of O(config_file) is used, if any.",
    )),
    config_file=dict(type="path", default=DEFAULT_CONFIG_FILE, description=(
        "A C(my.cnf) style option file on the host that runs the module. The groups C([client]), C([client-server]) "
        "and C([client-mariadb]) are read for C(user), C(password), C(socket), C(ssl-ca), C(ssl-cert) and "
        "C(ssl-key); module options win over the file. C(!include) lines are not followed.",
        "The default file is used only if it exists; another file that does not exist is an invalid argument.",
    )),
    ca_cert=dict(type="path", description=(
        "A PEM file of the CA that signed the server certificate. When set, the connection uses TLS and the server "
        "certificate is verified (a failure is reported with cause V(tls)).",
        "Without O(ca_cert) and O(client_cert), PyMySQL may still encrypt (recent versions try TLS when the server "
        "offers it) but never verifies the server.",
    )),
    client_cert=dict(type="path", description=(
        "A PEM client certificate for servers that require X.509 authentication. Needs O(client_key).",
    )),
    client_key=dict(type="path", description=(
        "The private key of O(client_cert).",
    )),
    check_hostname=dict(type="bool", description=(
        "Whether the server certificate must name O(login_host). Needs O(ca_cert).",
        "When not set, the host name is checked whenever O(ca_cert) is set (never over a unix socket).",
    )),
    connect_timeout=dict(type="float", exclusive_minimum=0, maximum=31536000, default=10.0, role_default="timeout", description=(
        "Seconds allowed for each step of connecting and logging in (DNS lookup, TCP connect, TLS, each read of the "
        "handshake and login). A server that accepts TCP but never answers is reported as V(timeout) after about "
        "this time.",
    )),
    read_timeout=dict(type="float", exclusive_minimum=0, maximum=31536000, default=30.0, description=(
        "Seconds each query may wait for the server after login.",
    )),
)

# Option-file groups a MySQL or MariaDB client reads, in order (later groups win, as in the clients).
OPTION_GROUPS = ("client", "client-server", "client-mariadb")

# Server error numbers (MySQL and MariaDB share them).
ER_DBACCESS_DENIED = 1044
ER_ACCESS_DENIED = 1045
ER_CON_COUNT = 1040
ER_HOST_IS_BLOCKED = 1129
ER_HOST_NOT_PRIVILEGED = 1130
ER_NONEXISTING_GRANT = 1141
ER_TABLEACCESS_DENIED = 1142
ER_COLUMNACCESS_DENIED = 1143
ER_SPECIFIC_ACCESS_DENIED = 1227
ER_ACCESS_DENIED_NO_PASSWORD = 1698
ER_USER_LIMIT_REACHED = 1226
ER_ACCOUNT_LOCKED = 3118
ER_MUST_CHANGE_PASSWORD = 1820
ER_MUST_CHANGE_PASSWORD_LOGIN = 1862
CR_SSL_CONNECTION_ERROR = 2026  # the client's; PyMySQL raises it when TLS is asked for and the server has none
PERMISSION_ERRORS = (ER_DBACCESS_DENIED, ER_TABLEACCESS_DENIED, ER_COLUMNACCESS_DENIED, ER_SPECIFIC_ACCESS_DENIED,
                     1370)
LOGIN_ERRORS = (ER_ACCESS_DENIED, ER_ACCESS_DENIED_NO_PASSWORD, ER_HOST_NOT_PRIVILEGED, ER_ACCOUNT_LOCKED,
                ER_MUST_CHANGE_PASSWORD, ER_MUST_CHANGE_PASSWORD_LOGIN, ER_USER_LIMIT_REACHED, ER_HOST_IS_BLOCKED,
                2059, 1251)

_READ_ONLY = re.compile(r"^\s*(SELECT|SHOW)\s", re.IGNORECASE)
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "r": "\r", "s": " ", "\\": "\\", "'": "'", '"': '"'}


def load_driver():
    """Import PyMySQL, or raise a classified `driver_missing` error naming the interpreter."""
    try:
        import pymysql  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise missing_driver("The MySQL driver PyMySQL", "PyMySQL", exc, CONNECTION_CHECK)
    return pymysql


# -- option file ------------------------------------------------------------------------------

def _unquote(value):
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        body, out, i = value[1:-1], [], 0
        while i < len(body):
            if body[i] == "\\" and i + 1 < len(body):
                out.append(_ESCAPES.get(body[i + 1], "\\" + body[i + 1]))
                i += 2
            else:
                out.append(body[i])
                i += 1
        return "".join(out)
    # Unquoted: a '#' starts a comment, escapes still apply.
    value = value.split("#", 1)[0].rstrip()
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), value)


def parse_option_file(text, groups=OPTION_GROUPS):
    """The options of `groups` in a my.cnf-style text, names normalized (`ssl_ca` -> `ssl-ca`).

    `!include` and `!includedir` are not followed: set the options in the file itself."""
    values = {}
    group = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;" or line.startswith("!"):
            continue
        header = re.match(r"^\[\s*([^\]]+?)\s*\]", line)
        if header:
            group = header.group(1).lower()
            continue
        if group not in groups:
            continue
        name, sep, value = line.partition("=")
        name = name.strip().lower().replace("_", "-")
        if name.startswith("loose-"):
            name = name[len("loose-"):]
        values[name] = _unquote(value) if sep else ""
    return values


def read_option_file(path):
    with open(path, "r") as handle:
        return parse_option_file(handle.read())


# -- settings ---------------------------------------------------------------------------------

def validate_connection(params):
    """Problems with the connection options, each naming the option and what is valid."""
    problems = []
    port = params.get("login_port")
    if port is None or not 1 <= port <= 65535:
        problems.append("login_port: %r is out of range (valid ports: 1-65535)" % (port,))
    if not (params.get("login_host") or "").strip():
        problems.append("login_host: must not be empty (a host name or address, default localhost)")
    for option, upper in (("connect_timeout", 31536000), ("read_timeout", 31536000)):
        value = params.get(option)
        if value is None or not 0 < value <= upper:
            problems.append("%s: must be a number of seconds greater than 0, got %r" % (option, value))
    if params.get("client_key") and not params.get("client_cert"):
        problems.append("client_key: set client_cert too (a client key without its certificate is useless)")
    if params.get("client_cert") and not params.get("client_key"):
        problems.append("client_cert: set client_key too (the private key of the client certificate)")
    if params.get("check_hostname") and not params.get("ca_cert"):
        problems.append("check_hostname: needs ca_cert (the host name is checked against a certificate "
                        "verified with that CA)")
    for option in ("ca_cert", "client_cert", "client_key"):
        path = params.get(option)
        if path and not os.path.isfile(path):
            problems.append("%s: %s is not a file" % (option, path))
    config = params.get("config_file")
    if config and config != os.path.expanduser(DEFAULT_CONFIG_FILE) and not os.path.isfile(config):
        problems.append("config_file: %s is not a file (the default %s is used only if it exists)"
                        % (config, DEFAULT_CONFIG_FILE))
    return problems


def format_label(host, port, unix_socket):
    """The instance's name in results: `host:port`, `[v6]:port`, or the socket path."""
    if unix_socket:
        return unix_socket
    if ":" in host:
        return "[%s]:%d" % (host, port)
    return "%s:%d" % (host, port)


def resolve_settings(params):
    """The effective connection settings: module options win, the option file fills the rest.

    Never raises: a config file that cannot be read is kept as `problem` and reported at connect."""
    settings = {
        "host": params.get("login_host") or "localhost",
        "port": params.get("login_port") or 3306,
        "unix_socket": params.get("login_unix_socket"),
        "user": params.get("login_user"),
        "password": params.get("login_password"),
        "ca_cert": params.get("ca_cert"),
        "client_cert": params.get("client_cert"),
        "client_key": params.get("client_key"),
        "check_hostname": params.get("check_hostname"),
        "connect_timeout": params.get("connect_timeout") or 10.0,
        "read_timeout": params.get("read_timeout") or 30.0,
        "config_file": None,
        "problem": None,
    }
    path = params.get("config_file")
    if path and os.path.exists(path):
        try:
            options = read_option_file(path)
        except (IOError, OSError, UnicodeError) as exc:
            settings["problem"] = PrecheckError(
                "permission" if isinstance(exc, (IOError, OSError)) and getattr(exc, "errno", None) == 13
                else "internal",
                "The option file %s cannot be read: %s." % (path, getattr(exc, "strerror", None) or exc),
                "Make %s readable by the user the module runs as, or set config_file to another file "
                "(or pass login_user and login_password)." % path,
                source=CONNECTION_CHECK)
            options = {}
        else:
            settings["config_file"] = path
        for key, option in (("user", "user"), ("password", "password"), ("ca_cert", "ssl-ca"),
                            ("client_cert", "ssl-cert"), ("client_key", "ssl-key")):
            if settings[key] is None and options.get(option):
                settings[key] = options[option]
        # Like the mysql client, the file's socket is used only for `localhost`.
        if not settings["unix_socket"] and options.get("socket") and settings["host"] == "localhost":
            settings["unix_socket"] = options["socket"]
    settings["label"] = instance_target(format_label(settings["host"], settings["port"], settings["unix_socket"]),
                                        params.get("label"))
    return settings


def _ssl_options(settings):
    """PyMySQL's `ssl` dict, or None to let the driver decide (it may still encrypt)."""
    if not (settings["ca_cert"] or settings["client_cert"]):
        return None
    options = {"verify_mode": bool(settings["ca_cert"])}
    if settings["ca_cert"]:
        options["ca"] = settings["ca_cert"]
        options["check_hostname"] = settings["check_hostname"] is not False and not settings["unix_socket"]
    else:
        options["check_hostname"] = False
    if settings["client_cert"]:
        options["cert"] = settings["client_cert"]
        options["key"] = settings["client_key"]
    return options


# -- errors -----------------------------------------------------------------------------------

def _code(exc):
    args = getattr(exc, "args", ())
    if args and isinstance(args[0], int):
        return args[0], (str(args[1]) if len(args) > 1 else "")
    return None, str(exc)


def _original(exc):
    """The socket error behind a driver error: PyMySQL keeps it as `original_exception` (connect) or
    raises from inside its handler (reads)."""
    for candidate in (getattr(exc, "original_exception", None), exc.__cause__, exc.__context__):
        if isinstance(candidate, OSError):
            return candidate
    return None


def quote_string(value):
    """A name as an SQL string literal, for the statements printed in remediations (never sent)."""
    return "'%s'" % str(value).replace("\\", "\\\\").replace("'", "''")


def _network_reason(exc):
    """(cause, reason) of a socket-level failure."""
    if isinstance(exc, ssl.SSLError):  # includes certificate verification errors
        return "tls", "tls"
    if isinstance(exc, socket.timeout):
        return "timeout", "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "unreachable", "refused"
    if isinstance(exc, FileNotFoundError):
        return "unreachable", "no_socket"
    if isinstance(exc, socket.gaierror):
        return "dns", "dns"
    if getattr(exc, "errno", None) in (101, 113):
        return "unreachable", "no_route"
    if getattr(exc, "errno", None) == 110:
        return "timeout", "timeout"
    if isinstance(exc, ConnectionResetError):
        return "unreachable", "reset"
    return "unreachable", "network"


def classify_connect_error(exc, settings):
    """A PrecheckError (owned by mysql.connection) for an exception raised while connecting."""
    where = settings["label"]
    via = "socket %s" % settings["unix_socket"] if settings["unix_socket"] else "TCP %s" % where
    user = settings.get("effective_user") or settings.get("user") or "(the OS user name)"
    code, text = _code(exc)
    details = {"error_code": code, "via": via}
    if code in (2002, 2003, 2006, 2013) or (code is None and isinstance(exc, OSError)):
        network = _original(exc) or (exc if isinstance(exc, OSError) else None)
        if network is not None:
            cause, reason = _network_reason(network)
        elif "timed out" in text:
            cause, reason = "timeout", "timeout"
        else:
            cause, reason = "unreachable", "lost"
        details["reason"] = reason
        if cause == "timeout":
            return PrecheckError(
                "timeout", "MySQL server %s did not answer within %gs (%s): %s."
                % (where, settings["connect_timeout"], via, text or exc),
                "Check that the server runs and answers, and that the firewall or security group lets this host "
                "reach %s; or raise connect_timeout." % where, source=CONNECTION_CHECK, details=details)
        if cause == "tls":
            return PrecheckError(
                "tls", "The TLS handshake with %s failed: %s." % (where, network),
                "Check ca_cert (the CA that signed the server certificate), check_hostname (the certificate "
                "must name %s), and client_cert/client_key." % settings["host"],
                source=CONNECTION_CHECK, details=details)
        if cause == "dns":
            return PrecheckError(
                "dns", "The MySQL host name %s does not resolve: %s." % (settings["host"], network),
                "Check login_host, and that this host's resolver knows the name.",
                source=CONNECTION_CHECK, details=details)
        if reason == "no_socket":
            fix = ("The socket %s does not exist: start the server, or set login_unix_socket to the server's "
                   "`socket` setting (SHOW VARIABLES LIKE 'socket')." % settings["unix_socket"])
        elif reason == "refused":
            fix = ("Nothing accepts connections at %s: start the server (systemctl start mariadb or mysql), or "
                   "check login_host/login_port against the server's `port` and `bind_address` settings."
                   % (settings["unix_socket"] or where))
        else:
            fix = ("Check that the server runs and that the network path from this host to %s is open "
                   "(routes, firewall, security group)." % where)
        return PrecheckError(
            "unreachable", "MySQL server %s is not reachable (%s, %s): %s." % (where, via, reason, text or network),
            fix, source=CONNECTION_CHECK, details=details)
    if code == CR_SSL_CONNECTION_ERROR:
        details["reason"] = "server_no_tls"
        return PrecheckError(
            "tls", "MySQL server %s does not offer TLS, but ca_cert or client_cert asks for it: %s." % (where, text),
            "Enable TLS on the server (ssl_cert and ssl_key in its configuration; SHOW VARIABLES LIKE 'have_ssl' "
            "must say YES), or remove ca_cert and client_cert if an unencrypted connection is acceptable on this "
            "network.", source=CONNECTION_CHECK, details=details)
    if code in LOGIN_ERRORS:
        details["reason"] = "login"
        if code == ER_HOST_NOT_PRIVILEGED:
            fix = ("Create the backup account for the address this host connects from, for example "
                   "CREATE USER %s@'<this host>' ...; then grant it the backup privileges." % quote_string(user))
        elif code in (2059, 1251):
            fix = ("The account uses an authentication plugin PyMySQL cannot speak: use mysql_native_password, "
                   "caching_sha2_password, sha256_password or ed25519 for %s." % quote_string(user))
        elif code == ER_ACCOUNT_LOCKED:
            fix = "Unlock the account: ALTER USER %s@'<host>' ACCOUNT UNLOCK;" % quote_string(user)
        elif code in (ER_MUST_CHANGE_PASSWORD, ER_MUST_CHANGE_PASSWORD_LOGIN):
            fix = "The password of %s has expired: set a new one (ALTER USER ... IDENTIFIED BY ...)." % quote_string(user)
        elif code == ER_HOST_IS_BLOCKED:
            fix = "Unblock this host on the server: FLUSH HOSTS (or raise max_connect_errors)."
        elif code == ER_USER_LIMIT_REACHED:
            fix = "The account %s has reached a resource limit (max_user_connections ...)." % quote_string(user)
        else:
            fix = ("Check login_user and login_password (or the user and password of the option file), and that "
                   "the account %s exists for the host this connection comes from." % quote_string(user))
        return PrecheckError("login_failed", "Login to MySQL server %s as %s failed (%s): %s."
                             % (where, quote_string(user), code, text), fix, source=CONNECTION_CHECK, details=details)
    if code == ER_CON_COUNT:
        return PrecheckError("unreachable", "MySQL server %s refuses connections: %s." % (where, text),
                             "Raise max_connections or close idle connections on the server.",
                             source=CONNECTION_CHECK, details=dict(details, reason="too_many_connections"))
    if isinstance(exc, RuntimeError) and "cryptography" in str(exc):
        return PrecheckError(
            "driver_missing", "PyMySQL needs the `cryptography` package to log in as %s on %s: %s."
            % (quote_string(user), where, exc),
            "pip install cryptography (or PyMySQL[rsa]) with %s, or connect over TLS or the unix socket."
            % sys.executable, source=CONNECTION_CHECK, details=details)
    driver_error = type(exc).__module__.startswith("pymysql")
    return PrecheckError("unreachable" if driver_error else "internal",
                         "Connecting to MySQL server %s failed: %s: %s." % (where, type(exc).__name__, text or exc),
                         "Check the server's error log and the connection options.",
                         source=CONNECTION_CHECK, details=details)


def classify_query_error(exc, label, what):
    """A PrecheckError (owned by the calling check) for a failed read-only query."""
    code, text = _code(exc)
    details = {"error_code": code, "query": what}
    if code in PERMISSION_ERRORS or code == ER_ACCESS_DENIED:
        return PrecheckError("permission", "Not allowed to read %s on %s (%s): %s." % (what, label, code, text),
                             "", details=details)
    if code == 2013 and "timed out" in text:
        return PrecheckError("timeout", "Reading %s on %s timed out: %s." % (what, label, text),
                             "Raise read_timeout, or check the server's load.", details=details)
    if code in (2006, 2013, 2003):
        return PrecheckError("unreachable", "The connection to %s was lost while reading %s: %s." % (label, what, text),
                             "Check the server's error log (a restart or a kill of the session).", details=details)
    return PrecheckError("internal", "Reading %s on %s failed (%s): %s." % (what, label, code, text),
                         "", details=details)


# -- connection -------------------------------------------------------------------------------

class Connection:
    """A PyMySQL connection that only reads, and says which server it is."""

    def __init__(self, raw, driver, settings, elapsed_ms):
        self.raw = raw
        self.driver = driver
        self.settings = settings
        self.label = settings["label"]
        self.elapsed_ms = elapsed_ms

    def query(self, sql, args=None, what=None):
        """Rows (tuples) of one SELECT or SHOW statement; `args` are bound by the driver."""
        if not _READ_ONLY.match(sql):
            raise ValueError("refusing a statement that is not SELECT or SHOW: %s" % sql.split(None, 1)[0])
        try:
            with self.raw.cursor() as cursor:
                cursor.execute(sql, args)
                return list(cursor.fetchall())
        except self.driver.err.Error as exc:
            raise classify_query_error(exc, self.label, what or sql.split(" FROM ")[0][:60])
        except (OSError, socket.timeout) as exc:
            raise classify_query_error(exc, self.label, what or sql[:60])

    def close(self):
        try:
            self.raw.close()
        except Exception:  # pylint: disable=broad-except
            pass  # closing a broken connection: nothing left to do


def _apply_io_timeout(raw, seconds):
    """PyMySQL takes timeouts only when constructed: the handshake and login ran under connect_timeout;
    the queries that follow run under read_timeout."""
    for attribute in ("_read_timeout", "_write_timeout", "_current_timeout"):
        if hasattr(raw, attribute):
            setattr(raw, attribute, seconds)
    sock = getattr(raw, "_sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def connect(settings):
    """Open a connection within connect_timeout (DNS, TCP, TLS, handshake and login each bounded),
    or raise a classified PrecheckError owned by mysql.connection."""
    if settings.get("problem"):
        raise settings["problem"]
    driver = load_driver()
    timeout = float(settings["connect_timeout"])
    start = time.monotonic()
    if not settings["unix_socket"]:
        resolved = probes.resolve(settings["host"], settings["port"], probes.Deadline(timeout))
        if not resolved["ok"]:
            cause = "timeout" if resolved["cause"] == "timeout" else "dns"
            raise PrecheckError(
                cause, "The MySQL host name %s could not be resolved: %s." % (settings["host"], resolved["detail"]),
                "Check login_host, and that this host's resolver knows the name.", source=CONNECTION_CHECK,
                details={"reason": "dns"})
    kwargs = dict(
        host=settings["host"], port=int(settings["port"]), unix_socket=settings["unix_socket"],
        # UTF-8 bytes, as the mysql client sends them: PyMySQL encodes a str password as Latin-1,
        # which fails a non-ASCII password with a misleading 1045 or an encoding error.
        user=settings["user"], password=(settings["password"] or "").encode("utf-8"),
        connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout,
        charset="utf8mb4", autocommit=None, local_infile=False, program_name="cloudbackup.precheck",
    )
    ssl_options = _ssl_options(settings)
    if ssl_options:
        kwargs["ssl"] = ssl_options
    if not settings["user"]:
        try:
            settings["effective_user"] = getpass.getuser()  # what PyMySQL and the mysql client use
        except (KeyError, OSError, ImportError):
            settings["effective_user"] = None
    else:
        settings["effective_user"] = settings["user"]
    try:
        raw = driver.connect(**kwargs)
    except (driver.err.Error, OSError, RuntimeError, ValueError) as exc:
        raise classify_connect_error(exc, settings)
    _apply_io_timeout(raw, float(settings["read_timeout"]))
    return Connection(raw, driver, settings, int((time.monotonic() - start) * 1000))
