"""Scenario files of the HANA test server (README.md in this directory): what the server is, who may
log in, the rows of each monitoring view, errors and faults. Checked at load against the documented
catalog (tests/support/catalogs/hana.yml): a view or column SAP does not document for the scenario's
release, or a value that does not fit its column, is an error at once."""
import json
import os
import re

from catalogs import load, version_tuple

from . import wire

_KEYS = {"server", "users", "views", "errors", "queries", "behaviour"}
_SERVER_KEYS = {"version", "sid", "database"}
_BEHAVIOUR_KEYS = {"mode", "drop_on", "delay", "rows_per_fetch"}
MODES = ("normal", "refuse", "silent", "silent_after_init")


class Scenario:
    def __init__(self, spec=None):
        spec = dict(spec or {})
        _only(spec, _KEYS, "scenario")
        self.catalog = load("hana")
        server = dict(spec.get("server") or {})
        _only(server, _SERVER_KEYS, "server")
        self.version = str(server.get("version", "2.00.070.00.1700000000"))
        self.sid = str(server.get("sid", "HDB"))
        self.database = str(server.get("database", "SYSTEMDB")).upper()
        self.users = None
        if spec.get("users") is not None:
            self.users = {}
            for user in spec["users"]:
                _only(user, {"user", "password"}, "users[]")
                self.users[str(user["user"]).upper()] = str(user["password"])
        self.views = dict((self._view_name(name), self._rows(name, rows))
                          for name, rows in (spec.get("views") or {}).items())
        self.errors = {}
        for name, error in (spec.get("errors") or {}).items():
            _only(error, {"code", "message"}, "errors.%s" % name)
            self.errors[self._view_name(name)] = (int(error["code"]), str(error.get("message", "error")))
        self.queries = [_rule(rule) for rule in spec.get("queries") or []]
        behaviour = dict(spec.get("behaviour") or {})
        _only(behaviour, _BEHAVIOUR_KEYS, "behaviour")
        self.mode = behaviour.get("mode", "normal")
        if self.mode not in MODES:
            raise ValueError("behaviour.mode: %r is not one of %s" % (self.mode, ", ".join(MODES)))
        self.drop_on = behaviour.get("drop_on")
        self.rows_per_fetch = behaviour.get("rows_per_fetch")  # None: as many as the client asks for
        delay = dict(behaviour.get("delay") or {})
        _only(delay, {"match", "seconds"}, "behaviour.delay")
        self.delay = (delay.get("match", ""), float(delay["seconds"])) if delay else None

    @classmethod
    def load(cls, source):
        """A dict, a .json / .yml file name, or None (any login, views empty)."""
        if source is None or isinstance(source, dict):
            return cls(source)
        with open(source, encoding="utf-8") as handle:
            if os.path.splitext(source)[1] == ".json":
                return cls(json.load(handle))
            import yaml
            return cls(yaml.safe_load(handle))

    def password_of(self, user):
        return None if self.users is None else self.users.get(user.upper())

    def delay_for(self, sql):
        if self.delay and re.search(self.delay[0], sql, re.IGNORECASE | re.DOTALL):
            return self.delay[1]
        return 0

    def columns(self, view):
        """[(COLUMN, type code)] of a view as the scenario's release has it, in the catalog's order."""
        canonical, entry = self.catalog.entry(view)
        present = self.catalog.columns_of(view, version_tuple(self.version))
        types = entry.get("types") or {}
        names = list(entry["columns"])
        if view.lower().startswith("sys_databases."):
            names.append("DATABASE_NAME")
        return [(n, wire.TYPE_NAMES[types.get(n, "NVARCHAR")]) for n in names if n.lower() in present]

    def rows(self, view):
        """Every row of a view as {column: value}, all columns present."""
        columns = self.columns(view)
        if view in self.views:
            return [dict((c, row.get(c)) for c, _code in columns) for row in self.views[view]]
        if view.startswith("SYS_DATABASES.") and "SYS." + view.split(".", 1)[1] in self.views:
            # not given for every database: this database's own rows
            own = self.views["SYS." + view.split(".", 1)[1]]
            return [dict((c, self.database if c == "DATABASE_NAME" else row.get(c)) for c, _code in columns)
                    for row in own]
        defaults = {"SYS.DUMMY": [{"DUMMY": "X"}],
                    "SYS.M_DATABASE": [{"SYSTEM_ID": self.sid, "DATABASE_NAME": self.database, "HOST": "hanatest",
                                        "START_TIME": "2026-01-01T00:00:00", "VERSION": self.version,
                                        "USAGE": "CUSTOM"}]}
        return [dict((c, row.get(c)) for c, _code in columns) for row in defaults.get(view, [])]

    def _view_name(self, name):
        canonical, entry = self.catalog.entry(str(name))
        if entry is None or "." not in str(name):
            raise ValueError("views: %s is not a documented view (write SCHEMA.VIEW, e.g. SYS.M_DATABASES; known: %s)"
                             % (name, ", ".join(sorted(self.catalog.objects))))
        if not self.catalog.has(entry["since"], version_tuple(self.version)):
            raise ValueError("views: %s exists from %s; the scenario's version is %s" % (name, entry["since"], self.version))
        return str(name).upper()

    def _rows(self, name, rows):
        view = self._view_name(name)
        columns = dict(self.columns(view))
        checked = []
        for row in rows or []:
            unknown = [k for k in row if str(k).upper() not in columns]
            if unknown:
                raise ValueError("views.%s: %s not documented for this view in %s (columns: %s)" % (
                    name, ", ".join(map(str, unknown)), self.version, ", ".join(columns)))
            values = {}
            for key, value in row.items():
                key = str(key).upper()
                try:
                    wire.encode_value(columns[key], value)
                except (ValueError, TypeError) as exc:
                    raise ValueError("views.%s: %s=%r does not fit the column: %s" % (name, key, value, exc))
                values[key] = wire.to_datetime(value) if columns[key] == wire.LONGDATE and value is not None else value
            checked.append(values)
        return checked


def _rule(rule):
    _only(rule, {"match", "columns", "rows", "error"}, "queries[]")
    columns = []
    for column in rule.get("columns") or []:
        column = {"name": column} if isinstance(column, str) else column
        _only(column, {"name", "type"}, "queries[].columns[]")
        kind = str(column.get("type", "NVARCHAR")).upper()
        if kind not in wire.TYPE_NAMES:
            raise ValueError("queries[].columns[].type: %s is not one of %s" % (kind, ", ".join(wire.TYPE_NAMES)))
        columns.append((str(column["name"]), wire.TYPE_NAMES[kind]))
    error = rule.get("error")
    if error is not None:
        _only(error, {"code", "message"}, "queries[].error")
        error = (int(error["code"]), str(error.get("message", "error")))
    rows = [list(r) for r in rule.get("rows") or []]
    return {"match": re.compile(rule["match"], re.IGNORECASE | re.DOTALL), "columns": columns, "rows": rows,
            "error": error}


def _only(spec, allowed, where):
    if not isinstance(spec, dict):
        raise ValueError("%s: expected a mapping, got %r" % (where, spec))
    unknown = set(spec) - set(allowed)
    if unknown:
        raise ValueError("%s: unknown key(s) %s (allowed: %s)"
                         % (where, ", ".join(sorted(unknown)), ", ".join(sorted(allowed))))
