# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The test server answers as the documented SQL Server would (tests/support/catalogs/sqlserver.yml).

For every statement that reads a system object (sys.*, msdb.*, master.*, SERVERPROPERTY and the
permission functions):

- a view, column, function or SERVERPROPERTY name that the scenario's release does not have gets the
  error SQL Server gives (208, 207, 195), and is recorded as a violation;
- a scenario rule that answers with a column the statement does not return is a violation (the real
  server returns the statement's columns, nothing else), and the statement gets an error;
- when the scenario declares the login (`login: {sysadmin: false, permissions: [...]}`), objects the
  login may not read are answered as the catalog says SQL Server answers: the DMV's error, or the
  catalog view's rows filtered (only the rows `visible_without`, or none; LEFT JOINed objects
  contribute NULLs), and HAS_PERMS_BY_NAME / IS_SRVROLEMEMBER('sysadmin') are answered from the
  declaration, so that a scenario cannot contradict itself.

Violations are kept in `violations`; TdsServer.stop() raises when there are any, so that a scenario
or a statement the real engine would not accept fails the test that used it.
"""

import re
import threading

from sqlglot import exp

from catalogs import load, version_tuple

_SYSTEM = re.compile(r"\b(sys|msdb|master)\s*\.|\b(SERVERPROPERTY|HAS_PERMS_BY_NAME|IS_SRVROLEMEMBER)\s*\(",
                     re.IGNORECASE)


class Fidelity:
    def __init__(self, version, login=None):
        self.catalog = load("sqlserver")
        self.version = version_tuple(version)
        self.release = self.catalog.release_of(self.version) or version
        self.login = _login(login)
        self.violations = []
        self._lock = threading.Lock()

    # -- permissions ---------------------------------------------------------------------------

    def holds(self, permission):
        """Whether the declared login holds a server permission (directly, or implied: sysadmin holds
        everything, VIEW SERVER STATE covers VIEW SERVER PERFORMANCE STATE ...). True without a
        declaration."""
        if self.login is None or self.login["sysadmin"]:
            return True
        wanted = permission.upper()
        implies = self.catalog.spec.get("implies") or {}
        for held in self.login["permissions"]:
            covered = [p.upper() for p in implies.get(held, implies.get(held.title(), []))]
            if held == wanted or "*" in covered or wanted in covered:
                return True
        return False

    def may_read(self, entry):
        needed = [entry["permission"]]
        if entry.get("permission_2022") and self.version >= self.catalog.since("2022"):
            needed.append(entry["permission_2022"])
        return any(self.holds(p) for p in needed)

    def permission_function(self, name, argument):
        """HAS_PERMS_BY_NAME(NULL, NULL, 'x') and IS_SRVROLEMEMBER('sysadmin') for the declared login;
        NULL for a permission name the release does not know (HAS_PERMS_BY_NAME (Transact-SQL))."""
        if name == "IS_SRVROLEMEMBER":
            return 1 if self.login["sysadmin"] else 0
        known = self.catalog.functions["HAS_PERMS_BY_NAME"]["properties"]
        first = dict((k.upper(), v) for k, v in known.items()).get(str(argument).upper())
        if first is None or not self.catalog.has(first, self.version):
            return None
        return 1 if self.holds(argument) else 0

    def server_property(self, name, value):
        """SERVERPROPERTY of a property the release does not support is NULL."""
        known = dict((k.lower(), v) for k, v in self.catalog.functions["SERVERPROPERTY"]["properties"].items())
        first = known.get(name.lower())
        if first is None:
            self.violate("SERVERPROPERTY('%s') is not in the catalog: the test server cannot tell what SQL Server "
                         "answers" % name)
            return None
        return value if self.catalog.has(first, self.version) else None

    # -- statements ----------------------------------------------------------------------------

    def violate(self, text):
        with self._lock:
            self.violations.append(text)

    def review(self, sql, rule, ctx, make_rule, make_result):
        """The rule that answers `sql` as SQL Server of the scenario's release would."""
        if rule.driver or not _SYSTEM.search(sql):
            return rule
        try:
            statement = self.catalog.analyze(sql)
        except ValueError as exc:
            self.violate("a statement on system objects that the catalog cannot read (%s): %s" % (exc, _short(sql)))
            return make_rule({"number": 50000, "message": "test server: %s" % exc})
        issues = self.catalog.issues(sql, self.version)
        if issues:
            texts = "; ".join(text for _k, _n, text in issues)
            self.violate("SQL Server %s would reject %s: %s" % (self.release, _short(sql), texts))
            return make_rule(_engine_error(issues[0]))
        outputs = [name.lower() for name, _sources in statement.outputs]
        invented = [c.name for result in rule.results for c in result.columns
                    if c.name.lower() not in outputs and not statement.star]
        if invented:
            self.violate("the scenario answers %s with column(s) %s, which the statement does not return (it "
                         "returns %s)" % (_short(sql), ", ".join(invented), ", ".join(outputs)))
            return make_rule({"number": 50000, "message": "test server: the scenario answers column(s) %s that "
                                                          "the statement does not return" % ", ".join(invented)})
        if self.login is None:
            return rule
        return self._as_the_login_sees_it(statement, rule, ctx, make_rule, make_result)

    def _as_the_login_sees_it(self, statement, rule, ctx, make_rule, make_result):
        hidden, nulled = [], []
        for alias, (name, side) in statement.tables.items():
            _canonical, entry = self.catalog.entry(name)
            if entry is None or entry.get("without") in (None, "none"):
                continue
            if not self.may_read(entry):
                if entry["without"] == "error":
                    return make_rule(dict(entry["error"], severity=14))
                hidden.append((alias, side, entry))
            elif entry.get("nulls_without_sysadmin") and not self.login["sysadmin"]:
                nulled.append((alias, entry))
        if not hidden and not nulled:
            return rule
        results = []
        for result in rule.results:
            names = [c.name.lower() for c in result.columns]
            sources = dict((n.lower(), s) for n, s in statement.outputs)
            rows = [list(r) for r in result.rows]
            for alias, side, entry in hidden:
                rows = _hide(rows, names, sources, alias, side, entry, ctx)
            for alias, entry in nulled:
                rows = _null_mirror_values(rows, names, sources, alias, entry, statement)
            results.append(make_result(result.columns, rows))
        return make_rule(None, results)


def _login(spec):
    if spec is None:
        return None
    unknown = set(spec) - {"sysadmin", "permissions"}
    if unknown:
        raise ValueError("login: unknown key(s) %s (allowed: permissions, sysadmin)" % sorted(unknown))
    return {"sysadmin": bool(spec.get("sysadmin")), "permissions": [str(p).upper() for p in spec.get("permissions") or []]}


def _short(sql):
    text = " ".join(sql.split())
    return text if len(text) < 140 else text[:137] + "..."


def _engine_error(issue):
    """The error SQL Server sends for the first issue of a statement."""
    kind, name, _text = issue
    if kind == "column":
        return {"number": 207, "message": "Invalid column name '%s'." % name}
    if kind in ("function", "property"):
        return {"number": 195, "message": "'%s' is not a recognized built-in function name." % name}
    return {"number": 208, "message": "Invalid object name '%s'." % name}


def _outputs_of(sources, alias, column=None):
    return [n for n, s in sources.items() if any(a == alias and (column is None or c == column) for a, c in s)]


def _hide(rows, names, sources, alias, side, entry, ctx):
    """Rows of a catalog object the login may not read: the `visible_without` ones stay; a LEFT JOINed
    object gives NULLs instead of dropping the row."""
    visible = entry.get("visible_without") or {}

    def stays(row):
        for column, values in visible.items():
            allowed = [ctx.get("spid") if v == "own" else v for v in values]
            outputs = [n for n in _outputs_of(sources, alias, column) if n in names]
            if not outputs:
                return False
            if row[names.index(outputs[0])] not in allowed:
                return False
        return bool(visible)
    if side == "left":
        columns = [names.index(n) for n in _outputs_of(sources, alias) if n in names]
        return [row if stays(row) else [None if i in columns else v for i, v in enumerate(row)] for row in rows]
    return [row for row in rows if stays(row)]


def _null_mirror_values(rows, names, sources, alias, entry, statement):
    """sys.database_mirroring shows a mirror database's values only to sysadmin; a row whose nulled
    column the statement requires IS NOT NULL is then not returned at all."""
    nulled = [c.lower() for c in entry["nulls_without_sysadmin"]]
    role = [n for n in _outputs_of(sources, alias, "mirroring_role_desc") if n in names]
    if not role:
        return rows
    required = set()
    for node in statement.tree.find_all(exp.Not):
        if isinstance(node.this, exp.Is) and isinstance(node.this.this, exp.Column):
            required.add(node.this.this.name.lower())
    out = []
    for row in rows:
        if str(row[names.index(role[0])] or "").upper() != "MIRROR":
            out.append(row)
            continue
        if required & set(nulled):
            continue
        out.append([None if any(n in _outputs_of(sources, alias, c) for c in nulled) else v
                    for n, v in zip(names, row)])
    return out
