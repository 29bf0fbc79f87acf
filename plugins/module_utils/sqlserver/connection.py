# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SQL Server connection layer: options, driver choice, a connection string escaped for the
driver that reads it, a connect bounded in time, read-only queries, and driver errors classified
into the causes of results.ERROR_CAUSES on SQLSTATEs and native error numbers.

pyodbc is imported lazily, so that a missing pyodbc or libodbc.so.2 is a classified
`driver_missing` result and not an import failure of the module. The connection string holds the
password: it is never put into a message, a detail or an exception.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import os
import re
import socket
import struct
import sys
import time

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import bounded
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import probes
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.context import instance_target
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError

CONNECTION_CHECK = "sqlserver.connection"

DEFAULT_PORT = 1433
BROWSER_PORT = 1434

# Tried in this order when `driver` is not set; the first one registered with the driver manager wins.
PREFERRED_DRIVERS = ("ODBC Driver 18 for SQL Server", "ODBC Driver 17 for SQL Server", "FreeTDS")

CONNECTION_ARGS = dict(
    login_host=dict(type="str", default="localhost", description=(
        "The host name or address of the SQL Server instance, as seen from the host that runs the module (with "
        "C(delegate_to), the delegate).",
    )),
    login_port=dict(type="int", minimum=1, maximum=65535, description=(
        "The TCP port of the instance. When neither this nor O(instance_name) is set, 1433.",
        "Give either O(login_port) or O(instance_name), not both.",
    )),
    instance_name=dict(type="str", description=(
        "A named instance, for example V(SQLEXPRESS). Its port is looked up through the SQL Server Browser service "
        "on UDP 1434 of O(login_host) (the drivers do this; FreeTDS with C(SERVER=host\\instance)), so the Browser "
        "must run and UDP 1434 must be open.",
        "V(MSSQLSERVER) names the default instance, which listens on O(login_port).",
        "The target of the results is then C(host\\instance) instead of C(host:port).",
    )),
    login_user=dict(type="str", description=(
        "A SQL Server login. Without it, integrated authentication (C(Trusted_Connection=yes)) is used, which on "
        "Linux needs a Kerberos ticket of a domain account.",
    )),
    login_password=dict(type="str", no_log=True, description=(
        "The password of O(login_user). It is sent only inside the ODBC connection string, escaped for the driver, "
        "and never appears in results, messages or logs.",
    )),
    driver=dict(type="str", description=(
        "The ODBC driver to use, by its registered name (see C(odbcinst -q -d)) or the path of its library.",
        "When not set, the first installed of V(ODBC Driver 18 for SQL Server), V(ODBC Driver 17 for SQL Server) and"
        " V(FreeTDS).",
        "A driver that is not installed is an V(error) result with cause V(driver_missing), not a failed task.",
    )),
    encrypt=dict(type="bool", default=True, description=(
        "Encrypt the connection with TLS. Mapped to what each driver understands, C(Encrypt=yes) for the Microsoft "
        "drivers and C(Encryption=require) for FreeTDS (which ignores C(Encrypt) before 1.5).",
        "With V(false) the login packet is still encrypted when the server can.",
    )),
    trust_server_certificate=dict(type="bool", default=False, description=(
        "Accept the server's TLS certificate without verifying it (C(TrustServerCertificate=yes) of the Microsoft "
        "drivers). Needed for the self-signed certificate SQL Server generates when none is configured.",
        "FreeTDS ignores it; it verifies the certificate only when C(ca file) is set in C(freetds.conf).",
    )),
    connect_timeout=dict(type="float", exclusive_minimum=0, maximum=3600, default=10.0, role_default="timeout", description=(
        "Seconds the connection and login may take (the ODBC login timeout, rounded up to whole seconds). A connect "
        "that the driver does not end in time (for example a silent SQL Server Browser) is abandoned 2 seconds later"
        " and reported as V(timeout).",
    )),
    query_timeout=dict(type="float", exclusive_minimum=0, maximum=3600, default=30.0, description=(
        "Seconds each query may take (the ODBC query timeout, rounded up to whole seconds).",
    )),
)

# Seconds the whole connect may take beyond connect_timeout before it is abandoned: the drivers'
# login timeout does not cover everything (FreeTDS spends 16 s on a silent SQL Server Browser).
CONNECT_GRACE = 2.0

INSTALL_HINT = ("Install an ODBC driver for SQL Server on the host that runs the check: on Debian/Ubuntu "
                "`apt-get install unixodbc tdsodbc` (FreeTDS) or Microsoft's msodbcsql18 package "
                "(ACCEPT_EULA=Y apt-get install msodbcsql18, from packages.microsoft.com); on RHEL "
                "`dnf install unixODBC freetds` or msodbcsql18. `odbcinst -q -d` lists the registered drivers.")

# -- native error numbers ---------------------------------------------------------------------

LOGIN_ERRORS = {
    18456: "a wrong password, an unknown login, or SQL Server authentication disabled",
    18452: "a login from an untrusted domain (Windows authentication failed)",
    18470: "the login is disabled",
    18486: "the login is locked out",
    18487: "the password of the login has expired",
    18488: "the password of the login must be changed",
}
PERMISSION_ERRORS = (229, 230, 262, 297, 300, 916, 4060, 15247, 15151, 8189)
TIMEOUT_ERRORS = (258, 20003)
# FreeTDS's own numbers: connect (20009), no host (20012), read/write (20004, 20006), EOF (20017),
# connection closed (20019, 20020); Winsock numbers the Microsoft driver reports.
NETWORK_ERRORS = (20002, 20004, 20006, 20009, 20012, 20017, 20019, 20020, 10053, 10054, 10060, 10061,
                  10065, 11001, 11004)

_TLS_TEXT = re.compile(r"\bSSL\b|\bTLS\b|certificate|encrypt|handshakes? before login", re.IGNORECASE)
_DRIVER_TEXT = re.compile(r"can't open lib|data source name not found|driver could not be loaded|"
                          r"specified driver could not|file not found", re.IGNORECASE)
_RECORD = re.compile(r"\[(?P<state>[0-9A-Z]{5})\]\s*(?P<text>.*?)\s*\((?P<native>-?\d+)\)"
                     r"(?:\s*\(SQL\w+\))?(?=;\s*\[|\s*$)", re.DOTALL)

# -- options ----------------------------------------------------------------------------------

_INSTANCE = re.compile(r"^[A-Za-z_#][A-Za-z0-9_#$]{0,15}$")
_HOST_FORBIDDEN = re.compile(r"[\\,;{}=\s]")


def validate_connection(params):
    """Problems with the connection options, each naming the option and what is valid."""
    problems = []
    host = params.get("login_host")
    if not (host or "").strip():
        problems.append("login_host: must not be empty (a host name or address, default localhost)")
    elif "\\" in host:
        problems.append("login_host: %r contains a backslash: give the host in login_host and the named instance "
                        "in instance_name (for example login_host: %s, instance_name: %s)"
                        % (host, host.split("\\", 1)[0], host.split("\\", 1)[1] or "SQLEXPRESS"))
    elif "," in host:
        problems.append("login_host: %r contains a comma: give the port in login_port, not as host,port" % host)
    elif _HOST_FORBIDDEN.search(host.strip("[]")):
        problems.append("login_host: %r is not a host name or address" % host)
    port = params.get("login_port")
    if port is not None and not 1 <= port <= 65535:
        problems.append("login_port: %r is out of range (valid ports: 1-65535)" % (port,))
    instance = params.get("instance_name")
    if instance is not None:
        if not _INSTANCE.match(instance):
            problems.append("instance_name: %r is not a SQL Server instance name (1 to 16 letters, digits, _, # or $, "
                            "starting with a letter, _ or #; for example SQLEXPRESS)" % instance)
        if port is not None:
            problems.append("instance_name and login_port: give one of them, not both (a named instance's port is "
                            "looked up through the SQL Server Browser on UDP %d; with a static port, set only "
                            "login_port)" % BROWSER_PORT)
    for option in ("connect_timeout", "query_timeout"):
        value = params.get(option)
        if value is None or not 0 < value <= 3600:
            problems.append("%s: must be a number of seconds greater than 0 and at most 3600, got %r" % (option, value))
    for option in ("login_user", "login_password", "driver"):
        value = params.get(option)
        if value is not None and "\x00" in value:
            problems.append("%s: must not contain NUL characters" % option)
    if params.get("driver") is not None and not params["driver"].strip():
        problems.append("driver: must not be empty; omit it to use the first installed of: %s"
                        % ", ".join(PREFERRED_DRIVERS))
    if params.get("login_password") and not params.get("login_user"):
        problems.append("login_password: set login_user too (without login_user, integrated authentication "
                        "(Trusted_Connection) is used and no password is sent)")
    return problems


def format_label(host, port, instance):
    """The instance's name in results: `host:port`, `[v6]:port` or `host\\instance`."""
    if instance and instance.upper() != "MSSQLSERVER":
        return "%s\\%s" % (host, instance)
    if ":" in host and not host.startswith("["):
        return "[%s]:%d" % (host, port)
    return "%s:%d" % (host, port)


def resolve_settings(params):
    """The effective connection settings (never raises)."""
    host = (params.get("login_host") or "localhost").strip()
    instance = params.get("instance_name")
    if instance and instance.upper() == "MSSQLSERVER":
        instance = None  # the default instance's name: it listens on a port, not behind the browser
    port = params.get("login_port") or DEFAULT_PORT
    return {
        "host": host,
        "port": None if instance else port,
        "instance": instance,
        "user": params.get("login_user"),
        "password": params.get("login_password"),
        "driver": params.get("driver"),
        "encrypt": params.get("encrypt", True) is not False,
        "trust_server_certificate": bool(params.get("trust_server_certificate")),
        "connect_timeout": float(params.get("connect_timeout") or 10.0),
        "query_timeout": float(params.get("query_timeout") or 30.0),
        "label": instance_target(format_label(host, port, instance), params.get("label")),
    }


# -- driver -----------------------------------------------------------------------------------

def load_pyodbc():
    """Import pyodbc, or raise a classified `driver_missing` error that says what to install."""
    try:
        import pyodbc  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        text = str(exc)
        if "libodbc" in text or "cannot open shared object" in text:
            message = ("pyodbc cannot load the ODBC driver manager for the Python that runs the module (%s): %s."
                       % (sys.executable, text))
            fix = ("Install unixODBC on the host that runs the check: `apt-get install unixodbc` (Debian/Ubuntu) or "
                   "`dnf install unixODBC` (RHEL), and an ODBC driver for SQL Server. " + INSTALL_HINT)
            reason = "libodbc"
        else:
            message = "pyodbc is not installed for the Python that runs the module (%s): %s." % (sys.executable, text)
            fix = ("`%s -m pip install pyodbc` on the host that runs the check (it needs unixODBC: "
                   "`apt-get install unixodbc`), and an ODBC driver for SQL Server. %s" % (sys.executable, INSTALL_HINT))
            reason = "pyodbc"
        raise PrecheckError("driver_missing", message, fix, source=CONNECTION_CHECK,
                            details={"reason": reason, "python": sys.executable})
    pyodbc.pooling = False  # a pooled connection would outlive the module and hide the real connect
    return pyodbc


def driver_family(name):
    """`freetds` or `msodbc`: the two dialects of connection string and TLS options."""
    return "freetds" if "tds" in os.path.basename(name).lower() else "msodbc"


def _odbcinst_location():
    directory = os.environ.get("ODBCSYSINI") or "/etc"
    return os.path.join(directory, os.environ.get("ODBCINSTINI") or "odbcinst.ini")


def choose_driver(installed, requested):
    """(driver, family) for `requested` (a registered name or a library path) or the first preferred
    driver installed; a classified `driver_missing` error otherwise."""
    installed = list(installed or [])
    listing = ", ".join(installed) if installed else "none"
    details = {"installed_drivers": installed, "odbcinst_ini": _odbcinst_location()}
    if requested:
        if requested in installed or (os.path.isabs(requested) and os.path.isfile(requested)):
            return requested, driver_family(requested)
        raise PrecheckError(
            "driver_missing",
            "The ODBC driver '%s' (option driver) is not installed on this host (registered drivers: %s; from %s)."
            % (requested, listing, details["odbcinst_ini"]),
            "Install it, or set driver to one of the registered drivers or to the path of the driver library, or "
            "omit driver to use the first installed of: %s. %s" % (", ".join(PREFERRED_DRIVERS), INSTALL_HINT),
            source=CONNECTION_CHECK, details=dict(details, reason="driver_not_registered", requested=requested))
    for name in PREFERRED_DRIVERS:
        if name in installed:
            return name, driver_family(name)
    raise PrecheckError(
        "driver_missing",
        "No ODBC driver for SQL Server is installed on this host (registered drivers: %s; from %s)."
        % (listing, details["odbcinst_ini"]),
        INSTALL_HINT, source=CONNECTION_CHECK, details=dict(details, reason="no_driver"))


# -- connection string ------------------------------------------------------------------------

class UnquotableValue(ValueError):
    """A value the driver's connection-string parser cannot carry (the value is never in the text)."""


_SPECIAL = re.compile(r"[\[\]{}(),;?*=!@]")


def odbc_value(value, family):
    """One connection-string value, quoted as the driver's parser reads it.

    The ODBC rule (Microsoft drivers, FreeTDS 1.4 and later): `{...}` with every `}` doubled.
    FreeTDS before 1.4 (Debian 12 ships 1.3) ends a braced value at the first `};` and does not
    undouble `}}`. So for FreeTDS a value is braced only when it must be (`;`, a leading `{`,
    surrounding spaces), which both parsers read the same way as long as it holds no `}`; a value
    with `}` and without those characters goes unquoted, which every parser reads to the next `;`.
    """
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise UnquotableValue("NUL character")
    if family == "freetds":
        must_brace = ";" in text or text.startswith("{") or text != text.strip() or text == ""
        if not must_brace:
            return text
        if "}" in text:
            raise UnquotableValue("'}' together with ';', a leading '{' or surrounding spaces")
        return "{%s}" % text
    if _SPECIAL.search(text) or text != text.strip() or text == "":
        return "{%s}" % text.replace("}", "}}")
    return text


def connection_attributes(settings, driver, family):
    """(key, value) pairs of the connection string, in order; the password last but one."""
    host, port, instance = settings["host"], settings["port"], settings["instance"]
    bare_host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    pairs = [("DRIVER", driver)]
    if family == "freetds":
        # FreeTDS looks a named instance's port up through the SQL Server Browser (UDP 1434).
        pairs.append(("SERVER", "%s\\%s" % (bare_host, instance) if instance else bare_host))
        if not instance:
            pairs.append(("PORT", str(port)))
        pairs.append(("TDS_Version", "7.4"))
        # FreeTDS 1.3 ignores Encrypt=yes; its own setting is Encryption (require, request, off).
        # FreeTDS 1.5 also reads Encrypt. It checks the certificate only with `ca file` in freetds.conf.
        if settings["encrypt"]:
            pairs.append(("Encryption", "require"))
            pairs.append(("Encrypt", "yes"))
        else:
            pairs.append(("Encryption", "request"))  # the login packet is still encrypted when the server can
    else:
        pairs.append(("SERVER", "%s\\%s" % (bare_host, instance) if instance else "tcp:%s,%d" % (bare_host, port)))
        pairs.append(("Encrypt", "yes" if settings["encrypt"] else "no"))
        pairs.append(("TrustServerCertificate", "yes" if settings["trust_server_certificate"] else "no"))
    pairs.append(("DATABASE", "master"))
    pairs.append(("APP", "cloudbackup.precheck"))
    if settings["user"]:
        pairs.append(("UID", settings["user"]))
        pairs.append(("PWD", settings["password"] or ""))
    else:
        pairs.append(("Trusted_Connection", "yes"))
    return pairs


def connection_string(settings, driver, family):
    """The ODBC connection string. It holds the password: never log, echo or raise it.

    Every pair ends with `;`: FreeTDS 1.3 keeps the closing brace of a braced value that ends the string."""
    parts = []
    for key, value in connection_attributes(settings, driver, family):
        if key == "DRIVER" and not os.path.isabs(value):
            parts.append("DRIVER={%s};" % value.replace("}", "}}"))
        elif key == "SERVER" and not re.search(r"[;{}]", value):
            # `tcp:host,port` as every example writes it; host and instance are validated names.
            parts.append("SERVER=%s;" % value)
        else:
            parts.append("%s=%s;" % (key, odbc_value(value, family)))
    return "".join(parts)


# -- errors -----------------------------------------------------------------------------------

def diagnostics(exc):
    """(sqlstate, native, message) of a pyodbc error: the first diagnostic record's SQLSTATE and
    native number, and the text of every record without the driver's [vendor][driver] prefixes."""
    args = getattr(exc, "args", ())
    sqlstate = args[0] if len(args) > 1 and isinstance(args[0], str) else None
    raw = str(args[1] if len(args) > 1 else (args[0] if args else exc))
    records = list(_RECORD.finditer(raw))
    if not records:
        return sqlstate, None, _clean(raw)
    native = int(records[0].group("native"))
    texts = []
    for record in records:
        text = _clean(record.group("text"))
        texts.append("%s (%s)" % (text, record.group("native")) if record.group("native") not in ("0", "-1")
                     else text)
    return sqlstate or records[0].group("state"), native, "; ".join(t for t in texts if t)


def _clean(text):
    text = re.sub(r"^\s*(\[[^\]]*\]\s*)+", "", str(text))
    text = re.sub(r"\s*\(SQL\w+\)\s*$", "", text)
    return " ".join(text.split())


def _natives(native, message):
    found = set(int(n) for n in re.findall(r"\((-?\d+)\)", message or ""))
    if native is not None:
        found.add(int(native))
    return found


def classify(sqlstate, native, message):
    """(cause, reason) of a driver error, from its SQLSTATE, native error number and text.

    The exception class says little: FreeTDS reports a failed login as ProgrammingError and a
    dropped connection as the base Error (SQLSTATE 01000), so the class is never looked at."""
    state = (sqlstate or "").upper()
    natives = _natives(native, message)
    text = message or ""
    if state in ("IM002", "IM003", "IM004", "IM005") or (state in ("01000", "HY000", "") and _DRIVER_TEXT.search(text)
                                                         and not natives - {0, -1}):
        return "driver_missing", "driver_not_loadable"
    for number in sorted(natives & set(LOGIN_ERRORS)):
        return "login_failed", "login_%d" % number
    if state == "28000":
        return "login_failed", "login"
    for number in sorted(natives & set(PERMISSION_ERRORS)):
        return "permission", "permission_%d" % number
    if state in ("HYT00", "HYT01") or natives & set(TIMEOUT_ERRORS):
        return "timeout", "timeout"
    if _TLS_TEXT.search(text) and (state.startswith("08") or state in ("01000", "HY000", "")):
        return "tls", "tls"
    if natives & {20017}:
        return "unreachable", "connection_lost"
    if natives & {20012, 11001, 11004}:
        return "unreachable", "dns"
    if natives & {10061}:
        return "unreachable", "refused"
    if state.startswith("08") or natives & set(NETWORK_ERRORS):
        return "unreachable", "network"
    return "internal", "sqlstate_%s" % (state or "none")


_CONNECT_FIX = {
    "dns": "The host name %(host)s does not resolve from this host: check login_host and this host's DNS.",
    "refused": "Nothing accepts connections at %(where)s: check that SQL Server runs and listens on TCP there "
               "(SQL Server Configuration Manager, TCP/IP enabled; the port in its IPAll settings), and "
               "login_port.",
    "no_route": "This host has no route to %(host)s: check the network path (routes, VPN, security groups).",
    "closed": "Something at %(where)s accepted TCP and closed the connection without speaking TDS: check that "
              "this is the SQL Server port (not a proxy or another service), and the server's error log.",
    "not_sql_server": "%(where)s answered, but not as SQL Server: check login_port (the SQL Server port, default "
                      "1433).",
    "browser_silent": "The SQL Server Browser did not answer on %(host)s UDP 1434: start the SQL Server Browser "
                      "service and allow UDP 1434 through the firewall, or give the instance's static port in "
                      "login_port instead of instance_name.",
    "instance_not_found": "The SQL Server Browser on %(host)s does not know the instance %(instance)s: check "
                          "instance_name (SQL Server Configuration Manager lists the instances), or give its static "
                          "port in login_port.",
    "no_tcp": "The instance %(instance)s has TCP/IP disabled: enable it in SQL Server Configuration Manager "
              "(Protocols for %(instance)s) and restart the service.",
}


def _where(settings, port=None):
    if settings["instance"] and port:
        return "%s:%d (instance %s)" % (settings["host"], port, settings["instance"])
    if settings["instance"]:
        return "%s (instance %s)" % (settings["host"], settings["instance"])
    return settings["label"]


def connect_error(settings, sqlstate, native, message, family=None, probe=None):
    """The PrecheckError (owned by sqlserver.connection) for a failed connect."""
    cause, reason = classify(sqlstate, native, message)
    probe = probe or {}
    if cause in ("unreachable", "internal") and probe.get("reason"):
        cause, reason = probe["cause"], probe["reason"]
    user = settings["user"] or "(integrated authentication)"
    where = _where(settings, probe.get("port"))
    details = {"sqlstate": sqlstate, "native_error": native, "reason": reason, "driver_family": family}
    if probe:
        details["diagnosis"] = dict((k, v) for k, v in probe.items() if k not in ("cause",))
    said = (": %s" % message) if message else ""
    fill = {"host": settings["host"], "where": where, "instance": settings["instance"] or ""}
    if cause == "login_failed":
        number = int(reason.split("_")[1]) if re.match(r"^login_\d+$", reason) else None
        what = LOGIN_ERRORS.get(number, "the login failed")
        native = number if number is not None else native
        fixes = {
            18452: "Windows authentication was refused: use a SQL Server login (login_user, login_password), or run "
                   "the check with a Kerberos ticket of a domain account that SQL Server accepts.",
            18470: "Enable the login: ALTER LOGIN %s ENABLE;" % quote_name(settings["user"] or "login"),
            18486: "Unlock the login (ALTER LOGIN %s WITH PASSWORD = '...' UNLOCK;) and check why it was locked out "
                   "(the Windows password policy counts failed logins)." % quote_name(settings["user"] or "login"),
            18487: "Set a new password for the login (ALTER LOGIN %s WITH PASSWORD = '...';) and update "
                   "login_password." % quote_name(settings["user"] or "login"),
            18488: "Set a new password for the login (ALTER LOGIN %s WITH PASSWORD = '...';) and update "
                   "login_password." % quote_name(settings["user"] or "login"),
        }
        fix = fixes.get(native, "Check login_user and login_password. The login must exist, be enabled and have "
                                "access to master, and SQL Server must accept SQL Server authentication (mixed "
                                "mode). The SQL Server error log tells why (error 18456 state 8: wrong password, "
                                "5: unknown login, 58: Windows authentication only).")
        return PrecheckError("login_failed", "SQL Server %s refused the login '%s' (%s)%s."
                             % (where, user, what, said), fix, source=CONNECTION_CHECK, details=details)
    if cause == "permission":
        return PrecheckError("permission", "SQL Server %s accepted the login '%s' but it may not open master%s."
                             % (where, user, said),
                             "Give the login access to master (it has it by default through the guest user; "
                             "check that guest is enabled in master and that the login's default database exists).",
                             source=CONNECTION_CHECK, details=details)
    if cause == "timeout":
        if probe.get("reason") in _CONNECT_FIX:
            fix = _CONNECT_FIX[probe["reason"]] % fill
        else:
            fix = ("Check that SQL Server runs and answers at %s and that firewalls and security groups let this host "
                   "reach it (a silent drop looks like this); raise connect_timeout for a slow network." % where)
            if settings["instance"]:
                fix += " " + _CONNECT_FIX["browser_silent"] % fill
        return PrecheckError("timeout", "SQL Server %s did not complete the connection and login within %gs "
                             "(connect_timeout)%s." % (where, settings["connect_timeout"], said) + _probe_note(probe),
                             fix, source=CONNECTION_CHECK, details=details)
    if cause == "tls":
        if probe.get("reason") == "server_no_encryption":
            fix = ("The server does not offer encryption. Configure a certificate on SQL Server (SQL Server "
                   "Configuration Manager, Protocols, Certificate), or set encrypt: false if an unencrypted "
                   "connection is acceptable on this network.")
        elif probe.get("reason") == "server_requires_encryption":
            fix = "The server forces encryption: set encrypt: true."
        else:
            fix = ("Check the server certificate: it must be issued by a CA this host trusts and name %s (or set "
                   "trust_server_certificate: true to accept it unverified, with the Microsoft drivers). With "
                   "FreeTDS, set `ca file` in freetds.conf to verify it; ODBC Driver 18 also needs TLS 1.2 on the "
                   "server (SQL Server 2008 to 2014 need the TLS 1.2 updates)." % settings["host"])
        return PrecheckError("tls", "The encrypted connection to SQL Server %s failed%s."
                             % (where, said or " (TLS negotiation)") + _probe_note(probe), fix,
                             source=CONNECTION_CHECK, details=details)
    if cause == "driver_missing":
        return PrecheckError("driver_missing", "The ODBC driver could not be loaded%s." % said, INSTALL_HINT,
                             source=CONNECTION_CHECK, details=details)
    if cause == "unreachable":
        fix = _CONNECT_FIX.get(reason, "Check that SQL Server runs at %(where)s, that it accepts remote TCP "
                                       "connections, and that firewalls and security groups let this host reach it.")
        return PrecheckError("unreachable", "SQL Server %s is not reachable (%s)%s."
                             % (where, reason.replace("_", " "), said) + _probe_note(probe), fix % fill,
                             source=CONNECTION_CHECK, details=details)
    return PrecheckError("internal", "Connecting to SQL Server %s failed (SQLSTATE %s)%s." % (where, sqlstate, said),
                         "Check the connection options and the SQL Server error log.", source=CONNECTION_CHECK,
                         details=details)


def _probe_note(probe):
    return (" Diagnosis: %s." % probe["detail"]) if probe.get("detail") else ""


def query_error(exc_or_tuple, label, what):
    """The PrecheckError (owned by the calling check) for a failed read-only query."""
    if isinstance(exc_or_tuple, tuple):
        sqlstate, native, message = exc_or_tuple
    else:
        sqlstate, native, message = diagnostics(exc_or_tuple)
    cause, reason = classify(sqlstate, native, message)
    details = {"sqlstate": sqlstate, "native_error": native, "reason": reason, "query": what}
    if cause == "permission":
        return PrecheckError("permission", "Not allowed to read %s on %s: %s." % (what, label, message), "",
                             details=details)
    if cause == "timeout":
        return PrecheckError("timeout", "Reading %s on %s took longer than query_timeout: %s." % (what, label, message),
                             "Raise query_timeout, or check what blocks or loads the server (sys.dm_exec_requests).",
                             details=details)
    if cause == "unreachable":
        return PrecheckError("unreachable", "The connection to %s was lost while reading %s: %s."
                             % (label, what, message),
                             "Check the SQL Server error log (a restart, a killed session, or a network device that "
                             "drops the connection) and run the precheck again.", details=details)
    if cause == "login_failed":
        return PrecheckError("login_failed", "The session on %s was refused while reading %s: %s." % (label, what, message),
                             "", details=details)
    return PrecheckError("internal", "Reading %s on %s failed (SQLSTATE %s): %s." % (what, label, sqlstate, message),
                         "", details=details)


def quote_name(name):
    """A T-SQL identifier in brackets, `]` doubled: `it's [odd]` -> `[it's [odd]]]`."""
    return "[%s]" % str(name).replace("]", "]]")


# -- diagnosis of a failed connect ------------------------------------------------------------

ENCRYPT_OFF, ENCRYPT_ON, ENCRYPT_NOT_SUP, ENCRYPT_REQ = 0, 1, 2, 3
_ENCRYPTION_NAMES = {ENCRYPT_OFF: "login only", ENCRYPT_ON: "on", ENCRYPT_NOT_SUP: "not supported",
                     ENCRYPT_REQ: "required"}


def prelogin_packet(encrypt):
    """A TDS PRELOGIN message with the VERSION and ENCRYPTION options (MS-TDS 2.2.6.5)."""
    options = [(0x00, b"\x00" * 6), (0x01, struct.pack("B", ENCRYPT_ON if encrypt else ENCRYPT_OFF))]
    offset = len(options) * 5 + 1
    head, data = b"", b""
    for token, value in options:
        head += struct.pack(">BHH", token, offset + len(data), len(value))
        data += value
    payload = head + b"\xff" + data
    return struct.pack(">BBHHBB", 0x12, 0x01, 8 + len(payload), 0, 1, 0) + payload


def parse_prelogin(message):
    """{'version': (major, minor, build), 'encryption': n} from a PRELOGIN reply; ValueError if it is none."""
    if len(message) < 9 or message[0] != 0x04:
        raise ValueError("not a TDS reply")
    payload = message[8:]
    found, position = {}, 0
    while position < len(payload) and payload[position] != 0xFF:
        if position + 5 > len(payload):
            raise ValueError("truncated PRELOGIN option")
        token, offset, length = struct.unpack(">BHH", payload[position:position + 5])
        found[token] = payload[offset:offset + length]
        position += 5
    if position >= len(payload) or 0x01 not in found or len(found[0x01]) < 1:
        raise ValueError("PRELOGIN reply without ENCRYPTION")
    result = {"encryption": found[0x01][0]}
    version = found.get(0x00, b"")
    if len(version) >= 4:
        result["version"] = "%d.%d.%d" % (version[0], version[1], struct.unpack(">H", version[2:4])[0])
    return result


def browser_lookup(host, instance, deadline):
    """Ask the SQL Server Browser (UDP 1434, MC-SQLR CLNT_UCAST_INST) for an instance's TCP port."""
    resolved = probes.resolve(host, BROWSER_PORT, deadline)
    if not resolved["ok"]:
        return {"ok": False, "reason": "dns", "detail": resolved["detail"]}
    family, _type, _proto, _name, address = resolved["infos"][0]
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.settimeout(deadline.remaining())
        sock.sendto(b"\x04" + instance.encode("ascii", "replace") + b"\x00", (address[0], BROWSER_PORT))
        data, _peer = sock.recvfrom(65535)
    except (socket.timeout, OSError) as exc:
        return {"ok": False, "reason": "browser_silent",
                "detail": "the SQL Server Browser on %s UDP %d did not answer (%s)"
                          % (host, BROWSER_PORT, getattr(exc, "strerror", None) or "timeout")}
    finally:
        sock.close()
    text = data[3:].decode("ascii", "replace") if data[:1] == b"\x05" else ""
    fields = text.split(";")
    pairs = dict((fields[i].lower(), fields[i + 1]) for i in range(0, len(fields) - 1, 2))
    if not text or pairs.get("instancename", "").upper() != instance.upper():
        return {"ok": False, "reason": "instance_not_found",
                "detail": "the SQL Server Browser on %s does not list the instance %s" % (host, instance)}
    if not pairs.get("tcp", "").isdigit():
        return {"ok": False, "reason": "no_tcp", "detail": "the instance %s has no TCP port (TCP/IP disabled)" % instance}
    return {"ok": True, "port": int(pairs["tcp"]), "version": pairs.get("version")}


def diagnose(settings, seconds):
    """Why a connect failed, seen from the network: DNS, TCP, the browser for a named instance, and
    a PRELOGIN exchange (what the server says about encryption). Bounded by `seconds`; sends no
    login. Returns {} when everything looks fine, else {cause, reason, detail, ...}."""
    deadline = probes.Deadline(seconds)
    host = settings["host"].strip("[]")
    port = settings["port"]
    found = {}
    if settings["instance"]:
        lookup = browser_lookup(host, settings["instance"], deadline)
        if not lookup["ok"]:
            return {"cause": "unreachable", "reason": lookup["reason"], "detail": lookup["detail"]}
        port = lookup["port"]
        found["port"] = port
    connected = probes.tcp_connect(host, port, deadline)
    if not connected["ok"]:
        reason = {"dns": "dns", "refused": "refused", "timeout": "timeout"}.get(connected["cause"], "no_route")
        return dict(found, cause="timeout" if reason == "timeout" else "unreachable", reason=reason,
                    detail="TCP to %s port %d: %s" % (host, port, connected["detail"]))
    sock = connected["sock"]
    try:
        sock.settimeout(deadline.remaining())
        sock.sendall(prelogin_packet(settings["encrypt"]))
        reply = b""
        while len(reply) < 8 or len(reply) < struct.unpack(">H", reply[2:4])[0]:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    except (socket.timeout, OSError) as exc:
        if not isinstance(exc, socket.timeout):
            return dict(found, cause="unreachable", reason="closed",
                        detail="%s port %d accepted TCP, then failed: %s" % (host, port, exc))
        return dict(found, cause="timeout", reason="timeout",
                    detail="%s port %d accepted TCP but did not answer the TDS pre-login" % (host, port))
    finally:
        sock.close()
    if not reply:
        return dict(found, cause="unreachable", reason="closed",
                    detail="%s port %d accepted TCP and closed it without answering the TDS pre-login" % (host, port))
    try:
        answer = parse_prelogin(reply)
    except ValueError:
        return dict(found, cause="unreachable", reason="not_sql_server",
                    detail="%s port %d does not answer like SQL Server" % (host, port))
    found.update({"server_encryption": _ENCRYPTION_NAMES.get(answer["encryption"], answer["encryption"]),
                  "server_version": answer.get("version")})
    if settings["encrypt"] and answer["encryption"] == ENCRYPT_NOT_SUP:
        return dict(found, cause="tls", reason="server_no_encryption",
                    detail="encrypt is true but the server at %s port %d does not support encryption" % (host, port))
    if not settings["encrypt"] and answer["encryption"] == ENCRYPT_REQ:
        return dict(found, cause="tls", reason="server_requires_encryption",
                    detail="the server at %s port %d requires encryption but encrypt is false" % (host, port))
    if settings["encrypt"]:
        return dict(found, cause="tls", reason="tls_handshake",
                    detail="the server at %s port %d answers the pre-login and offers encryption, so the TLS "
                           "handshake or the login after it failed" % (host, port))
    return found


# -- the connection ---------------------------------------------------------------------------

_READ_ONLY = re.compile(r"^\s*(SELECT|WITH)\s", re.IGNORECASE)


class Connection:
    """A pyodbc connection that only reads, with the driver and server it talks to."""

    def __init__(self, raw, pyodbc, settings, driver, family, elapsed_ms):
        self.raw = raw
        self.pyodbc = pyodbc
        self.settings = settings
        self.label = settings["label"]
        self.driver = driver
        self.family = family
        self.elapsed_ms = elapsed_ms
        self.driver_version = None
        try:
            self.driver_version = raw.getinfo(pyodbc.SQL_DRIVER_VER)
        except Exception:  # pylint: disable=broad-except
            pass  # informational only

    def query(self, sql, params=(), what=None):
        """The rows of one read-only statement, as dicts keyed by column name. `params` are bound
        (`?`), never formatted into the text."""
        if not _READ_ONLY.match(sql):
            raise ValueError("refusing a statement that is not a SELECT: %s" % sql.split(None, 1)[0])
        what = what or "data"
        cursor = None
        try:
            cursor = self.raw.cursor()
            if params:
                cursor.execute(sql, list(params))
            else:
                cursor.execute(sql)
            if cursor.description is None:
                return []
            columns = [column[0] for column in cursor.description]
            return [dict(zip(columns, row)) for row in cursor.fetchall()]
        except self.pyodbc.Error as exc:
            raise query_error(exc, self.label, what)
        finally:
            if cursor is not None:
                try:
                    cursor.close()
                except Exception:  # pylint: disable=broad-except
                    pass  # a cursor of a dropped connection: nothing left to close

    def close(self):
        try:
            self.raw.close()
        except Exception:  # pylint: disable=broad-except
            pass  # closing a broken connection: nothing left to do


def connect(settings):
    """Open a read-only (autocommit) connection to master within connect_timeout, or raise a
    classified PrecheckError owned by sqlserver.connection."""
    pyodbc = load_pyodbc()
    try:
        installed = pyodbc.drivers()
    except pyodbc.Error as exc:
        raise PrecheckError("driver_missing", "The ODBC driver manager cannot list its drivers: %s."
                            % diagnostics(exc)[2], "Check %s and the unixODBC installation. %s"
                            % (_odbcinst_location(), INSTALL_HINT), source=CONNECTION_CHECK,
                            details={"reason": "driver_manager"})
    driver, family = choose_driver(installed, settings["driver"])
    try:
        text = connection_string(settings, driver, family)
    except UnquotableValue as exc:
        raise PrecheckError(
            "login_failed", "The login cannot be passed to the FreeTDS driver '%s': a value of login_user or "
            "login_password contains %s, which FreeTDS before 1.4 cannot read in a connection string." % (driver, exc),
            "Use the Microsoft ODBC Driver 18 for SQL Server (driver: 'ODBC Driver 18 for SQL Server'), FreeTDS 1.4 "
            "or later with driver set to it, or a password without that combination.",
            source=CONNECTION_CHECK, details={"reason": "unquotable_value", "driver": driver})
    timeout = settings["connect_timeout"]
    start = time.monotonic()
    login_timeout = max(1, int(math.ceil(timeout)))
    exc = None
    # A driver stuck beyond its login timeout (a silent SQL Server Browser, a DNS server that never
    # answers) is abandoned; a connection it opens after that is closed, never used.
    try:
        raw = bounded.call(lambda: pyodbc.connect(text, timeout=login_timeout, autocommit=True),
                           timeout + CONNECT_GRACE, on_late_result=bounded.close_quietly, name="sqlserver-connect")
    except bounded.Abandoned:
        probe = diagnose(settings, min(2.0, timeout)) if settings["instance"] else {}
        raise connect_error(settings, "HYT00", 0, "no answer within %gs (the driver did not return)"
                            % (timeout + CONNECT_GRACE), family, probe)
    except Exception as caught:  # pylint: disable=broad-except
        exc = caught
    del text
    elapsed = time.monotonic() - start
    if exc is not None:
        if not isinstance(exc, pyodbc.Error):
            raise PrecheckError("internal", "Connecting to SQL Server %s failed: %s: %s."
                                % (settings["label"], type(exc).__name__, exc), "", source=CONNECTION_CHECK)
        sqlstate, native, message = diagnostics(exc)
        cause, _reason = classify(sqlstate, native, message)
        probe = {}
        if cause in ("unreachable", "internal", "tls"):
            probe = diagnose(settings, max(0.5, min(3.0, timeout + CONNECT_GRACE - elapsed)))
        raise connect_error(settings, sqlstate, native, message, family, probe)
    try:
        raw.timeout = max(1, int(math.ceil(settings["query_timeout"])))
    except Exception:  # pylint: disable=broad-except
        pass  # a driver without query timeouts still answers; the wall clock of the task bounds it
    return Connection(raw, pyodbc, settings, driver, family, int(elapsed * 1000))
