"""Scenario: what the fake server knows, how it misbehaves, and which answer each statement gets."""
import datetime
import decimal
import json
import os
import re

from . import protocol
from .datatypes import Column
from .fidelity import Fidelity

MODES = ("normal", "silent", "silent_after_prelogin", "close_on_connect")
_FLAGS = re.IGNORECASE | re.DOTALL


def _check_keys(where, spec, allowed):
    unknown = set(spec) - set(allowed)
    if unknown:  # a typo in a scenario should fail loudly, not silently change the test
        raise ValueError("%s: unknown key(s) %s (allowed: %s)" % (where, sorted(unknown), sorted(allowed)))


class ResultSet:
    def __init__(self, columns, rows, where="result"):
        self.columns = [Column.from_spec(c) for c in columns]
        names = [c.name for c in self.columns]
        self.rows = []
        for row in rows or []:
            if isinstance(row, dict):
                _check_keys(where + " row", row, names)
                row = [row.get(n) for n in names]
            if len(row) != len(names):
                raise ValueError("%s: row %r has %d values for %d columns" % (where, row, len(row), len(names)))
            self.rows.append(list(row))
        # encode once now so that a bad value is reported when the scenario loads, not mid-connection
        self.encoded = [protocol.row(self.columns, r) for r in self.rows]


class Rule:
    KEYS = ("match", "params", "columns", "rows", "results", "error", "rowcount", "delay_seconds", "drop")

    def __init__(self, spec, where="rule", driver=False):
        _check_keys(where, spec, self.KEYS)
        if "match" not in spec:
            raise ValueError("%s: 'match' is required" % where)
        self.pattern = spec["match"]
        self.regex = re.compile(spec["match"], _FLAGS)
        self.params = spec.get("params")
        sets = list(spec.get("results") or [])
        if "columns" in spec:
            sets.insert(0, {"columns": spec["columns"], "rows": spec.get("rows")})
        self.results = [ResultSet(s["columns"], s.get("rows"), where) for s in sets]
        self.error = _error(spec["error"], where) if spec.get("error") else None
        self.rowcount = spec.get("rowcount")
        self.delay = float(spec.get("delay_seconds") or 0)
        self.drop = bool(spec.get("drop"))
        self.driver = driver

    def matches(self, sql, params):
        if not self.regex.search(sql):
            return False
        return self.params is None or (len(self.params) == len(params) and all(map(_same, self.params, params)))


def _error(spec, where):
    _check_keys(where + " error", spec, ("number", "severity", "state", "message"))
    number = int(spec["number"])
    return {"number": number, "severity": int(spec.get("severity", 16)), "state": int(spec.get("state", 1)),
            "message": str(spec.get("message", "Error %d." % number))}


def _same(expected, actual):
    if expected == actual:
        return True
    if isinstance(actual, datetime.datetime) and isinstance(expected, str):
        return actual.isoformat(" ") == expected.replace("T", " ")
    if isinstance(actual, (datetime.date, datetime.time)) and isinstance(expected, str):
        return actual.isoformat() == expected
    if isinstance(actual, decimal.Decimal) and isinstance(expected, (str, float)):
        try:
            return actual == decimal.Decimal(str(expected))
        except decimal.InvalidOperation:
            return False
    return False


# ---------------------------------------------------------------- built-in answers for driver chatter

_TYPE_INFO_COLUMNS = [
    ("TYPE_NAME", "nvarchar"), ("DATA_TYPE", "smallint"), ("PRECISION", "int"), ("LITERAL_PREFIX", "nvarchar"),
    ("LITERAL_SUFFIX", "nvarchar"), ("CREATE_PARAMS", "nvarchar"), ("NULLABLE", "smallint"),
    ("CASE_SENSITIVE", "smallint"), ("SEARCHABLE", "smallint"), ("UNSIGNED_ATTRIBUTE", "smallint"),
    ("MONEY", "smallint"), ("AUTO_INCREMENT", "smallint"), ("LOCAL_TYPE_NAME", "nvarchar"),
    ("MINIMUM_SCALE", "smallint"), ("MAXIMUM_SCALE", "smallint"), ("SQL_DATA_TYPE", "smallint"),
    ("SQL_DATETIME_SUB", "smallint"), ("NUM_PREC_RADIX", "int"), ("INTERVAL_PRECISION", "smallint"),
    ("USERTYPE", "smallint")]
# name, ODBC type, size, prefix, suffix, create params, searchable, unsigned, min/max scale, radix
_TYPES = [
    ("nvarchar", -9, 4000, "N'", "'", "max length", 3, None, None, None, None),
    ("varchar", 12, 8000, "'", "'", "max length", 3, None, None, None, None),
    ("nchar", -8, 4000, "N'", "'", "length", 3, None, None, None, None),
    ("char", 1, 8000, "'", "'", "length", 3, None, None, None, None),
    ("varbinary", -3, 8000, "0x", None, "max length", 2, None, None, None, None),
    ("bit", -7, 1, None, None, None, 2, None, 0, 0, None),
    ("tinyint", -6, 3, None, None, None, 2, 1, 0, 0, 10),
    ("smallint", 5, 5, None, None, None, 2, 0, 0, 0, 10),
    ("int", 4, 10, None, None, None, 2, 0, 0, 0, 10),
    ("bigint", -5, 19, None, None, None, 2, 0, 0, 0, 10),
    ("decimal", 3, 38, None, None, "precision,scale", 2, 0, 0, 38, 10),
    ("numeric", 2, 38, None, None, "precision,scale", 2, 0, 0, 38, 10),
    ("float", 6, 53, None, None, None, 2, 0, None, None, 2),
    ("real", 7, 24, None, None, None, 2, 0, None, None, 2),
    ("datetime", 93, 23, "'", "'", None, 3, None, 3, 3, None),
    ("datetime2", 93, 27, "'", "'", "scale", 3, None, 0, 7, None),
    ("date", 91, 10, "'", "'", None, 3, None, None, None, None),
    ("uniqueidentifier", -11, 36, "'", "'", None, 2, None, None, None, None),
]


def _type_info_rows(sql):
    wanted = re.search(r"sp_datatype_info\w*\s+@?\w*\s*=?\s*(-?\d+)", sql, _FLAGS)
    rows = []
    for name, odbc, size, pre, suf, cp, search, unsigned, smin, smax, radix in _TYPES:
        if wanted and int(wanted.group(1)) not in (0, odbc):
            continue
        sql_type, sub = (9, {91: 1, 93: 3}[odbc]) if odbc in (91, 93) else (odbc, None)
        rows.append([name, odbc, size, pre, suf, cp, 1, 1 if pre else 0, search, unsigned, 0, 0 if radix else None,
                     name, smin, smax, sql_type, sub, radix, None, 0])
    return rows


_DRIVER_RULES = [  # statements FreeTDS and pyodbc send on their own
    (r"^\s*(exec(ute)?\s+)?(\w+\.)*sp_datatype_info", "typeinfo"),
    (r"^\s*(set\s+[^;]*;?\s*)+$", "empty"),
    (r"^\s*if\s+@@trancount\s*>\s*0\s+(commit|rollback)", "empty"),
]


# ---------------------------------------------------------------- SERVERPROPERTY and @@ answers

_YEARS = {10: "2008", 11: "2012", 12: "2014", 13: "2016", 14: "2017", 15: "2019", 16: "2022", 17: "2025"}


class ServerInfo:
    KEYS = ("version", "product_version_major", "edition", "instance", "machine", "product_level",
            "engine_edition", "version_string", "properties")

    def __init__(self, spec):
        spec = dict(spec or {})
        _check_keys("server", spec, self.KEYS)
        self.version = str(spec.get("version", "15.0.2000.5"))
        parts = [int(p) for p in re.findall(r"\d+", self.version)] + [0, 0, 0, 0]
        self.version_tuple = (int(spec.get("product_version_major", parts[0])), parts[1], parts[2], parts[3])
        self.edition = str(spec.get("edition", "Developer Edition (64-bit)"))
        self.instance = str(spec.get("instance", "MSSQLSERVER"))
        self.machine = str(spec.get("machine", "SQLTEST"))
        major = self.version_tuple[0]
        engine = 4 if "express" in self.edition.lower() else 2 if "standard" in self.edition.lower() else 3
        self.server_name = self.machine if self.instance.upper() == "MSSQLSERVER" else "%s\\%s" % (self.machine, self.instance)
        self.properties = {
            "productversion": self.version, "productmajorversion": str(major),
            "productminorversion": str(parts[1]), "productbuild": str(parts[2]),
            "productlevel": str(spec.get("product_level", "RTM")), "productupdatelevel": None,
            "edition": self.edition, "engineedition": int(spec.get("engine_edition", engine)),
            "instancename": None if self.instance.upper() == "MSSQLSERVER" else self.instance,
            "machinename": self.machine, "servername": self.server_name, "collation": "SQL_Latin1_General_CP1_CI_AS",
            "isclustered": 0, "ishadrenabled": 0, "isfulltextinstalled": 0, "isintegratedsecurityonly": 0,
            "issingleuser": 0, "processid": 4242}
        for key, value in (spec.get("properties") or {}).items():
            self.properties[str(key).lower()] = value
        self.version_string = str(spec.get("version_string") or (
            "Microsoft SQL Server %s (%s) - %s (X64) \n\tJan  1 2024 00:00:00 \n\tCopyright (C) Microsoft Corporation\n\t%s "
            "on Linux (Debian GNU/Linux 12)" % (
                _YEARS.get(major, str(major)), self.properties["productlevel"], self.version, self.edition)))


class _Unknown(Exception):
    pass


def _split_top(text):
    items, depth, quote, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        elif not quote and depth == 0 and ch == ",":
            items.append(text[start:i])
            start = i + 1
    return items + [text[start:]]


def _eval(expr, info, ctx):
    e = expr.strip()
    m = re.fullmatch(r"cast\s*\((.*)\s+as\s+(\w+)(\s*\([^)]*\))?\s*\)", e, _FLAGS) or \
        re.fullmatch(r"convert\s*\(\s*(\w+)(\s*\([^)]*\))?\s*,(.*)\)", e, _FLAGS)
    if m:
        inner, target = (m.group(1), m.group(2)) if e[:4].lower() == "cast" else (m.group(3), m.group(1))
        value = _eval(inner, info, ctx)
        if value is None:
            return None
        return int(value) if target.lower() in ("int", "bigint", "smallint", "tinyint", "bit") else str(value)
    m = re.fullmatch(r"serverproperty\s*\(\s*N?'([^']*)'\s*\)", e, _FLAGS)
    if m:
        return info.fidelity.server_property(m.group(1), info.properties.get(m.group(1).lower()))
    m = re.fullmatch(r"has_perms_by_name\s*\(\s*null\s*,\s*null\s*,\s*N?'([^']*)'\s*\)", e, _FLAGS) or \
        re.fullmatch(r"is_srvrolemember\s*\(\s*N?'(sysadmin)'\s*\)", e, _FLAGS)
    if m and info.fidelity.login is not None:  # the scenario declared the login: answer from that
        return info.fidelity.permission_function(e.split("(")[0].strip().upper(), m.group(1))
    simple = {"@@version": info.version_string, "@@servername": info.server_name, "@@servicename": info.instance,
              "@@spid": ctx["spid"], "@@trancount": ctx["trancount"], "@@language": "us_english",
              "@@max_precision": 38, "db_name()": ctx["database"], "suser_sname()": ctx["user"],
              "suser_name()": ctx["user"], "system_user": ctx["user"], "original_login()": ctx["user"],
              "user_name()": "dbo", "current_user": "dbo"}
    key = re.sub(r"\s+", "", e.lower())
    if key in simple:
        return simple[key]
    if re.fullmatch(r"-?\d+", e):
        return int(e)
    m = re.fullmatch(r"N?'((?:[^']|'')*)'", e, _FLAGS)
    if m:
        return m.group(1).replace("''", "'")
    raise _Unknown(e)


def evaluate_select(sql, info, ctx):
    """Answer a FROM-less SELECT of server functions (SERVERPROPERTY, @@VERSION, DB_NAME() ...)."""
    m = re.fullmatch(r"\s*select\s+(.+?)\s*;?\s*", sql, _FLAGS)
    if not m or re.search(r"\bfrom\b", m.group(1), _FLAGS):
        return None
    columns, values = [], []
    for item in _split_top(m.group(1)):
        item = item.strip()
        named = re.fullmatch(r"(\[[^\]]+\]|\w+)\s*=\s*(.+)", item, _FLAGS)
        aliased = re.fullmatch(r"(.*?[\w)'\]])\s+(?:as\s+)?(\[[^\]]+\]|\w+|'[^']*')", item, _FLAGS)
        if named and not item.startswith("@"):
            alias, expr = named.group(1), named.group(2)
        elif aliased and aliased.group(1).lower() not in ("system", "current"):
            expr, alias = aliased.group(1), aliased.group(2)
        else:
            expr, alias = item, ""
        try:
            value = _eval(expr, info, ctx)
        except _Unknown:
            return None
        values.append(value)
        kind = "int" if isinstance(value, int) and not isinstance(value, bool) else "nvarchar"
        columns.append({"name": alias.strip("[]'"), "type": kind})
    return ResultSet(columns, [values])


# ---------------------------------------------------------------- the scenario itself

class Scenario:
    KEYS = ("server", "logins", "login_failure", "behaviour", "behavior", "queries", "default", "login")

    def __init__(self, spec=None):
        spec = dict(spec or {})
        _check_keys("scenario", spec, self.KEYS)
        self.server = ServerInfo(spec.get("server"))
        # What the documented SQL Server of this release answers, and what the declared login may see.
        self.fidelity = self.server.fidelity = Fidelity(self.server.version, spec.get("login"))
        self.logins = None
        if spec.get("logins") is not None:
            self.logins = [(str(entry["user"]), str(entry.get("password", ""))) for entry in spec["logins"]]
        self.login_failure = None
        if spec.get("login_failure"):
            failure = dict(spec["login_failure"])
            failure.setdefault("number", 18456)
            failure.setdefault("severity", 14)
            failure.setdefault("message", "Login failed for user '{user}'.")
            self.login_failure = _error(failure, "login_failure")
        behaviour = dict(spec.get("behaviour") or spec.get("behavior") or {})
        _check_keys("behaviour", behaviour, ("mode", "delay_seconds", "drop_on"))
        self.mode = behaviour.get("mode", "normal")
        if self.mode not in MODES:
            raise ValueError("behaviour.mode must be one of %s" % (MODES,))
        self.delay = float(behaviour.get("delay_seconds") or 0)
        self.drop_on = re.compile(behaviour["drop_on"], _FLAGS) if behaviour.get("drop_on") else None
        self.rules = [Rule(r, "queries[%d]" % i) for i, r in enumerate(spec.get("queries") or [])]
        self.default = spec.get("default", "empty")
        if self.default not in ("empty", "error"):
            raise ValueError("default must be 'empty' or 'error'")
        self._driver_rules = [Rule({"match": pattern}, driver=True) for pattern, _kind in _DRIVER_RULES]
        self._driver_rules[0].results = [ResultSet([{"name": n, "type": t} for n, t in _TYPE_INFO_COLUMNS], [])]

    @classmethod
    def load(cls, source):
        """Accept a Scenario, a dict, or a path to a YAML or JSON file."""
        if isinstance(source, Scenario):
            return source
        if source is None or isinstance(source, dict):
            return cls(source)
        path = os.fspath(source)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        if path.endswith(".json"):
            return cls(json.loads(text))
        import yaml  # only needed for YAML files; ansible-core brings it
        return cls(yaml.safe_load(text))

    def login_error(self, user, password):
        """None when the login is accepted, else the error dict to send."""
        if self.login_failure:
            return dict(self.login_failure, message=self.login_failure["message"].replace("{user}", user))
        if self.logins is not None and (user, password) not in self.logins:
            return {"number": 18456, "severity": 14, "state": 1, "message": "Login failed for user '%s'." % user}
        return None

    def answer(self, sql, params, ctx):
        """Return the rule that answers a statement (built-ins first for the driver's own chatter)."""
        for rule, (_pattern, kind) in zip(self._driver_rules, _DRIVER_RULES):
            if rule.matches(sql, []):
                if kind == "typeinfo":
                    columns = rule.results[0].columns
                    rule = Rule({"match": "."}, driver=True)
                    rule.results = [ResultSet(columns, _type_info_rows(sql))]
                return rule
        matching = next((rule for rule in self.rules if rule.matches(sql, params)), None)
        result = evaluate_select(sql, self.server, ctx)
        if self.fidelity.login is not None and result is not None and re.search(
                r"has_perms_by_name|is_srvrolemember", sql, _FLAGS):
            if matching is not None:
                self.fidelity.violate("the scenario declares the login and also answers %r with rule %r: declare "
                                      "the login's permissions once" % (sql[:80], matching.pattern))
            return _answer(None, [result])
        if matching is not None:
            return self.fidelity.review(sql, matching, ctx, _answer, ResultSet)
        if result is not None:
            return _answer(None, [result])
        if self.default == "error":
            name = re.search(r"\b(?:from|join|into|update|exec(?:ute)?)\s+([\w.\[\]\"#@]+)", sql, _FLAGS)
            return self.fidelity.review(sql, Rule({"match": ".", "error": {
                "number": 208, "message": "Invalid object name '%s'." % (name.group(1) if name else "?")}}), ctx,
                _answer, ResultSet)
        return self.fidelity.review(sql, Rule({"match": "."}), ctx, _answer, ResultSet)


def _answer(error, results=()):
    """A rule made by the server itself: an error, or result sets."""
    rule = Rule({"match": "."})
    rule.error = _error(error, "answer") if error else None
    rule.results = list(results)
    return rule
