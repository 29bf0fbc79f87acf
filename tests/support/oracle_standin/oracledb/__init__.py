"""A stand-in for the python-oracledb package, for integration tests only (no Oracle Database runs here).

Put the directory that contains this package (tests/support/oracle_standin) first on the Python path
of the module under test (PYTHONPATH); `import oracledb` then finds this package instead of the real
one, and the collection's code path is otherwise unchanged. See ../README.md.

It serves the rows of a scenario, a JSON file named by ORACLE_STANDIN_SCENARIO, keyed by a regular
expression over the SQL text, and raises errors shaped like python-oracledb's: an exception of the
DatabaseError family whose args[0] has `.full_code`, `.code`, `.message`. Every connect and execute
is appended as one JSON line to ORACLE_STANDIN_LOG when that is set (never the password).
"""

import datetime
import json
import os
import re
import sys
import threading
import time

# The documented catalog the stand-in answers by (tests/support/catalogs/oracle.yml).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from catalogs import load as _load_catalog, version_tuple as _version_tuple  # noqa: E402

__version__ = "0.0.0+standin"
STANDIN = True

AUTH_MODE_DEFAULT = 0
AUTH_MODE_PRELIM = 8
AUTH_MODE_SYSASM = 32768
AUTH_MODE_SYSBKP = 131072
AUTH_MODE_SYSDBA = 2
AUTH_MODE_SYSDGD = 262144
AUTH_MODE_SYSKMT = 524288
AUTH_MODE_SYSOPER = 4
AUTH_MODE_SYSRAC = 1048576
DEFAULT_AUTH = AUTH_MODE_DEFAULT
SYSDBA = AUTH_MODE_SYSDBA
SYSBKP = AUTH_MODE_SYSBKP

_MODE_NAMES = {AUTH_MODE_DEFAULT: "default", AUTH_MODE_SYSDBA: "sysdba", AUTH_MODE_SYSBKP: "sysbackup",
               AUTH_MODE_SYSOPER: "sysoper", AUTH_MODE_SYSASM: "sysasm", AUTH_MODE_SYSDGD: "sysdg",
               AUTH_MODE_SYSKMT: "syskm", AUTH_MODE_SYSRAC: "sysrac"}

_STATE = {"thin": True}
_LOCK = threading.Lock()


# --- errors, shaped like python-oracledb's ------------------------------------------------------

class Error(Exception):
    pass


class InterfaceError(Error):
    pass


class DatabaseError(Error):
    pass


class DataError(DatabaseError):
    pass


class OperationalError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class InternalError(DatabaseError):
    pass


class ProgrammingError(DatabaseError):
    pass


class NotSupportedError(DatabaseError):
    pass


class _Error:
    """What python-oracledb puts in exc.args[0]."""

    def __init__(self, message, code=0, full_code=None, offset=0, isrecoverable=False):
        self.message = message
        self.code = code
        self.offset = offset
        self.isrecoverable = isrecoverable
        self.iswarning = False
        self.context = None
        if full_code is None:
            pos = message.find(":")
            full_code = message[:pos] if pos > 0 else ""
        self.full_code = full_code

    def __str__(self):
        return self.message


_EXCEPTIONS = {"DatabaseError": DatabaseError, "OperationalError": OperationalError,
               "InterfaceError": InterfaceError, "ProgrammingError": ProgrammingError,
               "IntegrityError": IntegrityError, "NotSupportedError": NotSupportedError}


def _raise(spec):
    """Raise the error a scenario describes: {full_code, message, [code], [exception]}."""
    full_code = spec["full_code"]
    code = spec.get("code")
    if code is None:
        code = int(full_code[4:]) if full_code.startswith("ORA-") else 0
    message = spec.get("message") or "%s: error from the stand-in scenario" % full_code
    if not message.startswith(full_code):
        message = "%s: %s" % (full_code, message)
    exc_type = _EXCEPTIONS[spec.get("exception", "OperationalError" if full_code.startswith("DPY-6")
                                    else "DatabaseError")]
    raise exc_type(_Error(message, code=code, full_code=full_code))


def _standin_error(number, text):
    raise DatabaseError(_Error("STANDIN-%04d: %s" % (number, text), full_code="STANDIN-%04d" % number))


# --- the scenario -------------------------------------------------------------------------------

_SCENARIO_KEYS = ("description", "server_version", "thick", "connect", "queries", "login")
_LOGIN_KEYS = ("privileges", "container_data")
_CONNECT_KEYS = ("error", "delay_seconds", "user", "password", "modes")
_RULE_KEYS = ("match", "params", "columns", "rows", "error", "delay_seconds", "comment", "con_id")
_ERROR_KEYS = ("full_code", "code", "message", "exception")


def _check_keys(where, spec, allowed):
    unknown = set(spec) - set(allowed)
    if unknown:  # a typo in a scenario must fail loudly, not quietly change the test
        raise ValueError("stand-in scenario %s: unknown key(s) %s (allowed: %s)"
                         % (where, sorted(unknown), sorted(allowed)))


def _load_scenario():
    path = os.environ.get("ORACLE_STANDIN_SCENARIO")
    if not path:
        _standin_error(1, "ORACLE_STANDIN_SCENARIO is not set: the stand-in has no scenario to serve")
    with open(path) as handle:
        scenario = json.load(handle)
    _check_keys("top level", scenario, _SCENARIO_KEYS)
    _check_keys("connect", scenario.get("connect", {}), _CONNECT_KEYS)
    _check_keys("login", scenario.get("login", {}), _LOGIN_KEYS)
    for index, rule in enumerate(scenario.get("queries", [])):
        _check_keys("queries[%d]" % index, rule, _RULE_KEYS)
        if "match" not in rule:
            raise ValueError("stand-in scenario queries[%d]: 'match' is required" % index)
        if "error" in rule:
            _check_keys("queries[%d].error" % index, rule["error"], _ERROR_KEYS)
        for row in rule.get("rows", []):
            if len(row) != len(rule.get("columns", [])):
                raise ValueError("stand-in scenario queries[%d]: row %r does not match columns %r"
                                 % (index, row, rule.get("columns")))
    return scenario


def _log(event):
    path = os.environ.get("ORACLE_STANDIN_LOG")
    if not path:
        return
    with _LOCK:
        with open(path, "a") as handle:
            handle.write(json.dumps(event, sort_keys=True, default=str) + "\n")


def _value(value):
    """JSON values; {"$datetime": "2024-05-01T10:00:00"} becomes a datetime like a DATE column."""
    if isinstance(value, dict) and "$datetime" in value:
        return datetime.datetime.fromisoformat(value["$datetime"])
    return value


# --- module API ---------------------------------------------------------------------------------

def is_thin_mode():
    return _STATE["thin"]


def init_oracle_client(lib_dir=None, config_dir=None, error_url=None, driver_name=None):
    scenario = _load_scenario()
    _log({"event": "init_oracle_client", "lib_dir": lib_dir})
    thick = scenario.get("thick", {"error": {"full_code": "DPI-1047",
                                             "message": "Cannot locate a 64-bit Oracle Client library: "
                                                        "\"libclntsh.so: cannot open shared object file\""}})
    if isinstance(thick, dict) and thick.get("error"):
        _raise(thick["error"])
    _STATE["thin"] = False


def connect(dsn=None, *, user=None, password=None, mode=None, host=None, port=None, service_name=None, sid=None,
            externalauth=None, **kwargs):
    scenario = _load_scenario()
    spec = scenario.get("connect", {})
    mode_name = _MODE_NAMES.get(mode or 0, str(mode))
    _log({"event": "connect", "dsn": dsn, "user": user, "password_given": password is not None, "mode": mode_name,
          "host": host, "port": port, "service_name": service_name, "sid": sid, "externalauth": externalauth,
          "thin": _STATE["thin"], "other_arguments": sorted(kwargs)})
    if spec.get("delay_seconds"):
        time.sleep(float(spec["delay_seconds"]))
    if spec.get("error"):
        _raise(spec["error"])
    if "user" in spec and (user or "").upper() != str(spec["user"]).upper():
        _raise({"full_code": "ORA-01017", "message": "invalid credential or not authorized; logon denied"})
    if "password" in spec and password != spec["password"]:
        _raise({"full_code": "ORA-01017", "message": "invalid credential or not authorized; logon denied"})
    if "modes" in spec and mode_name not in spec["modes"]:
        _raise({"full_code": "ORA-01031", "message": "insufficient privileges"})
    return Connection(scenario, mode_name)


class Connection:
    def __init__(self, scenario, mode_name="default"):
        self._scenario = scenario
        self._fidelity = _Fidelity(scenario, mode_name)
        self._open = True
        self.call_timeout = 0
        self.version = scenario.get("server_version", "19.3.0.0.0")
        self.thin = _STATE["thin"]

    def cursor(self):
        self._check_open()
        return Cursor(self)

    def close(self):
        self._check_open()
        self._open = False

    def _check_open(self):
        if not self._open:
            raise InterfaceError(_Error("DPY-1001: not connected to database", full_code="DPY-1001"))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._open:
            self.close()


_BIND = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class Cursor:
    def __init__(self, connection):
        self.connection = connection
        self.description = None
        self.rowcount = 0
        self.arraysize = 100
        self._rows = []

    def execute(self, statement, parameters=None, **keyword_parameters):
        self.connection._check_open()
        params = dict(parameters or {})
        params.update(keyword_parameters)
        sql = " ".join(statement.split())
        _log({"event": "execute", "sql": sql, "params": params})
        if not re.match(r"^\s*(SELECT|WITH)\b", statement, re.IGNORECASE):
            _standin_error(2, "refused a statement that is not a query: %s" % sql[:80])
        literals_removed = re.sub(r"'[^']*'", "''", statement)
        missing = [name for name in _BIND.findall(literals_removed) if name.lower() not in
                   [key.lower() for key in params]]
        if missing:
            raise DatabaseError(_Error("DPY-4010: a bind variable replacement value for placeholder \":%s\" was "
                                       "not provided" % missing[0], full_code="DPY-4010"))
        fidelity = self.connection._fidelity
        analysis = fidelity.review(statement)
        for rule in self.connection._scenario.get("queries", []):
            if not re.search(rule["match"], statement, re.IGNORECASE | re.DOTALL):
                continue
            if "params" in rule and rule["params"] != params:
                continue
            fidelity.check_answer(statement, analysis, rule)
            self._serve(rule, fidelity.visible(analysis, rule))
            return self
        _standin_error(3, "no scenario rule matches: %s" % sql[:160])

    def _serve(self, rule, visible=None):
        delay = float(rule.get("delay_seconds") or 0)
        timeout_ms = self.connection.call_timeout or 0
        if delay:
            if timeout_ms and delay * 1000 > timeout_ms:
                time.sleep(timeout_ms / 1000.0)
                raise DatabaseError(_Error("DPY-4024: call timeout of %d ms exceeded" % timeout_ms,
                                           full_code="DPY-4024"))
            time.sleep(delay)
        if rule.get("error"):
            _raise(rule["error"])
        columns = rule.get("columns", [])
        self.description = [(str(name).upper(), None, None, None, None, None, True) for name in columns]
        rows = rule.get("rows", []) if visible is None else visible
        self._rows = [tuple(_value(v) for v in row) for row in rows]
        self.rowcount = 0

    def fetchall(self):
        if self.description is None:
            raise InterfaceError(_Error("DPY-1003: the executed statement does not return rows",
                                        full_code="DPY-1003"))
        rows, self._rows = self._rows, []
        self.rowcount += len(rows)
        return rows

    def fetchone(self):
        if not self._rows:
            return None
        self.rowcount += 1
        return self._rows.pop(0)

    def __iter__(self):
        while self._rows:
            yield self.fetchone()

    def close(self):
        self._rows = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --- fidelity to the documented catalog ---------------------------------------------------------

class _Fidelity:
    """Answers as the documented Oracle Database of the scenario's release would
    (tests/support/catalogs/oracle.yml):

    - a view, column or USERENV parameter the release lacks fails as Oracle fails it (ORA-00942,
      ORA-00904, ORA-02003), and is logged as a violation;
    - a rule answering with a column the statement does not return is a violation (STANDIN-0004);
    - with `login` declared (`{"privileges": [...], "container_data": "CURRENT" | "ALL" | [PDB names]}`),
      a view the login may not read fails with ORA-00942, and the rows of container data views whose
      CON_ID is not the root's (1), the whole CDB's (0) or a container the login's CONTAINER_DATA
      names are left out, as they are for a common user in the root. A session AS SYSBACKUP or
      SYSDBA reads every view and container.
    """

    def __init__(self, scenario, mode_name):
        self.catalog = _load_catalog("oracle")
        self.version = _version_tuple(scenario.get("server_version", "19.3.0.0.0"))
        self.login = scenario.get("login")
        self.privileged = mode_name in ("sysbackup", "sysdba")

    def violate(self, text, error):
        _log({"event": "violation", "text": text})
        _raise(error)

    def review(self, statement):
        try:
            analysis = self.catalog.analyze(statement)
        except ValueError as exc:
            self.violate("a statement the catalog cannot read (%s): %s" % (exc, statement[:120]),
                         {"full_code": "STANDIN-0004", "message": "statement not readable: %s" % exc})
        issues = self.catalog.issues(statement, self.version)
        if issues:
            kind, name, _text = issues[0]
            error = {"object": ("ORA-00942", "table or view does not exist"),
                     "column": ("ORA-00904", "\"%s\": invalid identifier" % str(name).upper()),
                     "property": ("ORA-02003", "invalid USERENV parameter")}.get(kind, ("ORA-00904", str(name)))
            self.violate("Oracle %s would reject %s: %s" % (".".join(map(str, self.version)), statement[:120],
                                                            "; ".join(t for _k, _n, t in issues)),
                         {"full_code": error[0], "message": error[1]})
        if self.login is not None and not self.privileged:
            granted = [str(p).upper() for p in self.login.get("privileges", [])]
            for name, _side in analysis.tables.values():
                _canonical, entry = self.catalog.entry(name)
                if entry.get("without") != "error":
                    continue
                view = "G" + entry["permission"][len("SELECT ON "):] if name.startswith("gv$") else \
                    entry["permission"][len("SELECT ON "):]
                if not ({"SELECT_CATALOG_ROLE", "SELECT ANY DICTIONARY", "SELECT ON " + view} & set(granted)):
                    _raise({"full_code": "ORA-00942", "message": "table or view does not exist"})
        return analysis

    def check_answer(self, statement, analysis, rule):
        outputs = [n.lower() for n, _s in analysis.outputs]
        invented = [c for c in rule.get("columns", []) if str(c).lower() not in outputs and not analysis.star]
        if invented:
            self.violate("the rule %r answers %s with column(s) %s, which the statement does not return (it "
                         "returns %s)" % (rule["match"], statement[:120], ", ".join(invented), ", ".join(outputs)),
                         {"full_code": "STANDIN-0004", "message": "the scenario answers column(s) %s that the "
                                                                  "statement does not return" % ", ".join(invented)})

    def visible(self, analysis, rule):
        """The rule's rows the declared login may see, or None for all of them."""
        if self.login is None or self.privileged:
            return None
        allowed = self.login.get("container_data", "CURRENT")
        if allowed == "ALL":
            return None
        containers = [] if allowed == "CURRENT" else [str(n).upper() for n in allowed]
        data = [name for name, _side in analysis.tables.values()
                if (self.catalog.entry(name)[1] or {}).get("container_data")]
        if not data:
            return None
        columns = [str(c).lower() for c in rule.get("columns", [])]
        rows = rule.get("rows", [])
        names = columns.index("name") if "name" in columns else None

        def seen(con_id, row):
            return con_id in (0, 1) or (names is not None and str(row[names]).upper() in containers)
        if "con_id" in columns:
            return [row for row in rows if seen(row[columns.index("con_id")], row)]
        if "con_id" in rule:  # the container of every row, where the statement does not read CON_ID
            return [row for row in rows if seen(rule["con_id"], row)]
        if rows:
            self.violate("the rule %r answers a container data view without saying which container its rows are in "
                         "(a CON_ID column, or \"con_id\" for the rule), so the stand-in cannot tell which rows a "
                         "common user sees" % rule["match"], {"full_code": "STANDIN-0004", "message": "answer CON_ID"})
        return rows
