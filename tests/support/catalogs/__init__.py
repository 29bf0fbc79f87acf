# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The documented catalogs of the engines (sqlserver.yml, oracle.yml, mysql.yml, hana.yml in this directory)
and the checks made against them.

    from catalogs import load
    catalog = load("sqlserver")
    catalog.problems(sql, "10.50.6000.34")     # [] or what the engine would reject or not have
    catalog.analyze(sql).outputs                # the result columns and the catalog columns behind each

One file per engine lists every object the collection reads, its columns with the first release of
each, the permission it needs and what the engine does without it, each naming the vendor's
reference page. The statement tests (tests/unit/plugins/module_utils/<engine>/test_statements.py),
the TDS test server and the Oracle stand-in all judge statements with this module, so that none of
them can agree with a statement or an answer that the real engine would not give.
"""

import os
import re

import sqlglot
from sqlglot import exp

HERE = os.path.dirname(os.path.abspath(__file__))
_CACHE = {}


def load(engine):
    if engine not in _CACHE:
        import yaml  # ansible-core brings PyYAML
        with open(os.path.join(HERE, engine + ".yml"), encoding="utf-8") as handle:
            _CACHE[engine] = Catalog(yaml.safe_load(handle))
    return _CACHE[engine]


def version_tuple(text):
    """`13.0.5026.0`, `19.3.0.0.0`, `8.0.29` -> a tuple of ints (non-numbers end it)."""
    numbers = []
    for part in str(text).split("."):
        match = re.match(r"\d+", part.strip())
        if not match:
            break
        numbers.append(int(match.group()))
    return tuple(numbers)


class Statement:
    """What one SELECT reads: `tables` {alias: (object, join side)}, `columns` [(alias or None,
    name)], `outputs` [(result name, [(alias or None, column)])], `calls` [(FUNCTION, [literal
    arguments])]."""

    def __init__(self, tables, columns, outputs, calls, star, tree):
        self.tables = tables
        self.columns = columns
        self.outputs = outputs
        self.calls = calls
        self.star = star
        self.tree = tree

    def objects(self):
        return sorted(set(name for name, _side in self.tables.values() if name))


class Catalog:
    def __init__(self, spec):
        self.spec = spec
        self.engine = spec["engine"]
        self.dialect = spec["dialect"]
        self.releases = dict((name, version_tuple(first)) for name, first in (spec.get("versions") or {}).items())
        self.objects = dict((name.lower(), entry) for name, entry in (spec.get("objects") or {}).items())
        self.functions = dict((name.upper(), entry) for name, entry in (spec.get("functions") or {}).items())
        self.statements = spec.get("statements") or {}

    # -- versions ----------------------------------------------------------------------------

    def since(self, release):
        """The version tuple a release name ("2016 SP2", "12.1") starts at."""
        if release in self.releases:
            return self.releases[release]
        return version_tuple(release)

    def release_of(self, version):
        """The newest release name whose first version is not above `version` ("13.0.5026.0" -> "2016 SP2")."""
        version = version_tuple(version) if not isinstance(version, tuple) else version
        found = None
        for name, first in sorted(self.releases.items(), key=lambda item: item[1]):
            if version >= first:
                found = name
        return found

    def has(self, release, version):
        return version_tuple(version) >= self.since(release) if not isinstance(version, tuple) else \
            version >= self.since(release)

    # -- objects -----------------------------------------------------------------------------

    def entry(self, name):
        """(canonical name, entry) of a catalog object, or (None, None). `master.sys.x` is sys.x
        (read in master); an Oracle gv$ view is its v$ view with INST_ID."""
        name = name.lower()
        candidates = [name]
        if name.startswith("master.") and name.count(".") == 2:
            candidates.append(name[len("master."):])
        if self.engine == "oracle" and name.startswith("gv$"):
            candidates.append(name[1:])
        if self.engine == "hana" and name.startswith("sys_databases."):
            candidates.append("sys." + name[len("sys_databases."):])
        for candidate in candidates:
            if candidate in self.objects:
                return candidate, self.objects[candidate]
        return None, None

    def columns_of(self, name, version=None):
        """{column: first release} of an object; only those present in `version` when given."""
        canonical, entry = self.entry(name)
        if entry is None:
            return None
        columns = dict((c.lower(), r) for c, r in (entry.get("columns") or {}).items())
        if self.engine == "oracle" and name.lower().startswith("gv$"):
            columns["inst_id"] = entry.get("since")
        if self.engine == "hana" and name.lower().startswith("sys_databases."):
            columns["database_name"] = entry.get("since")  # the SYSTEMDB's view of every database
        if version is None:
            return columns
        return dict((c, r) for c, r in columns.items() if self.has(r, version))

    # -- statements ----------------------------------------------------------------------------

    def parse(self, sql):
        """The one statement of `sql` parsed in the engine's dialect (sqlglot), or raise ValueError."""
        try:
            trees = [t for t in sqlglot.parse(_placeholders(sql), read=self.dialect) if t is not None]
        except sqlglot.errors.ParseError as exc:
            raise ValueError("does not parse as %s: %s" % (self.dialect, str(exc).splitlines()[0]))
        if len(trees) != 1:
            raise ValueError("%d statements where one was expected" % len(trees))
        return trees[0]

    def analyze(self, sql):
        tree = self.parse(sql) if isinstance(sql, str) else sql
        if not isinstance(tree, exp.Select):
            raise ValueError("not a SELECT: %s" % type(tree).__name__)
        tables = {}
        for table in tree.find_all(exp.Table):
            full = ".".join(p for p in (table.catalog, table.db, table.name) if p)
            tables[table.alias_or_name.lower()] = (full.lower(), _side(table))
        for lateral in tree.find_all(exp.Lateral):   # CROSS APPLY sys.dm_db_log_stats(...) AS ls
            call = lateral.this
            name = _call_name(call)
            if name:
                tables[(lateral.alias or name).lower()] = (name.lower(), "inner")
        aliases = set(s.alias.lower() for s in tree.selects if s.alias)
        columns = []
        for column in tree.find_all(exp.Column):
            if isinstance(column.this, exp.Star):
                continue
            owner = column.table.lower() or None
            if owner is None and column.name.lower() in aliases:
                continue  # ORDER BY an output alias
            columns.append((owner, column.name.lower()))
        outputs = []
        star = False
        for select in tree.selects:
            if isinstance(select, exp.Star) or (isinstance(select, exp.Column) and isinstance(select.this, exp.Star)):
                star = True
                continue
            sources = [(c.table.lower() or None, c.name.lower()) for c in select.find_all(exp.Column)]
            outputs.append((select.alias_or_name, sources))
        calls = []
        for call in tree.find_all(exp.Anonymous):
            if isinstance(call.parent, exp.Lateral) or isinstance(call.parent.parent, exp.Lateral):
                continue
            literals = [a.this if isinstance(a, exp.Literal) else None for a in call.expressions]
            calls.append((str(call.this).upper(), literals))
        return Statement(tables, columns, outputs, calls, star, tree)

    def problems(self, sql, version):
        """What the engine of `version` would reject in `sql`, or would not have: an unknown object
        or function, a column or property not in the catalog for that version. [] when none."""
        return [text for _kind, _name, text in self.issues(sql, version)]

    def issues(self, sql, version):
        """problems() as (kind, name, text): kind is parse, object, column, function or property."""
        try:
            statement = self.analyze(sql)
        except ValueError as exc:
            return [("parse", None, str(exc))]
        found = []
        release = self.release_of(version) or str(version)
        known = {}
        for alias, (name, _side) in statement.tables.items():
            canonical, entry = self.entry(name)
            if entry is None:
                found.append(("object", name, "%s is not in the %s catalog" % (name, self.engine)))
                continue
            if not self.has(entry.get("since"), version):
                found.append(("object", name, "%s exists from %s; this is %s" % (name, entry.get("since"), release)))
                continue
            known[alias] = (name, self.columns_of(name, version), self.columns_of(name))
        for owner, column in statement.columns:
            owners = [known[owner]] if owner in known else ([] if owner else list(known.values()))
            if owner and owner not in known and owner in statement.tables:
                continue  # the object itself is already reported
            if owner and owner not in statement.tables:
                found.append(("column", column, "column %s.%s names no table of the statement" % (owner, column)))
                continue
            if not owners:
                continue
            if any(column in present for _n, present, _all in owners):
                continue
            newer = [(n, every[column]) for n, _present, every in owners if column in every]
            if newer:
                found.append(("column", column, "%s.%s exists from %s; this is %s" % (newer[0][0], column, newer[0][1], release)))
            else:
                found.append(("column", column, "column %s is not a documented column of %s" % (
                    column, " or ".join(n for n, _p, _a in owners))))
        for name, literals in statement.calls:
            entry = self.functions.get(name) or self.functions.get(name.split(".")[-1])
            if entry is None:
                if self.entry("sys." + name.lower())[1] is None:
                    found.append(("function", name, "function %s is not in the %s catalog" % (name, self.engine)))
                continue
            if not self.has(entry.get("since"), version):
                found.append(("function", name, "%s exists from %s; this is %s" % (name, entry.get("since"), release)))
            properties = entry.get("properties")
            if properties:
                argument = _property_argument(name, literals)
                if argument is None:
                    continue
                match = dict((p.lower(), (p, r)) for p, r in properties.items()).get(argument.lower())
                if match is None:
                    found.append(("property", argument, "%s('%s') is not in the %s catalog" % (name, argument, self.engine)))
                elif not self.has(match[1], version) and entry.get("newer_property") != "null":
                    found.append(("property", argument, "%s('%s') exists from %s; this is %s" % (name, argument, match[1], release)))
        return list(dict.fromkeys(found))

    def printed_problems(self, statement, version):
        """What is wrong with a statement a remediation prints for `version`: a form newer than the
        release, a SELECT that reads what the release lacks, or text that does not parse in the dialect.
        Statements sqlglot has no grammar for (T-SQL BACKUP, RESTORE, DBCC; RMAN and SQL*Plus commands)
        are only checked for their form."""
        found = self.statement_forms(statement, version)
        if statement.upper().startswith("SELECT"):
            return found + self.problems(statement, version)
        try:
            self.parse(statement)
        except ValueError as exc:
            if not re.match(r"(BACKUP|RESTORE|DBCC|EXECUTE AS|SHUTDOWN|STARTUP|CHECKPOINT)\b", statement, re.I):
                found.append("%s: %s" % (statement[:60], exc))
        return found

    def statement_forms(self, text, version):
        """The printed statement forms of `text` that `version` does not accept yet."""
        found = []
        for name, form in self.statements.items():
            if form.get("since") is None or self.has(form["since"], version):
                continue
            if re.search(form["match"], text.strip(), re.IGNORECASE | re.DOTALL):
                found.append("%s exists from %s (%s); this is %s%s" % (
                    name, form["since"], form["reference"], self.release_of(version) or version,
                    ": use %s" % form["older"] if form.get("older") else ""))
        return found


def _placeholders(sql):
    """PyMySQL's %s placeholders as ? so that sqlglot reads them as parameters."""
    return sql.replace("%s", "?")


def _side(table):
    join = table.parent
    if isinstance(join, exp.Join) and join.args.get("side"):
        return join.args["side"].lower()
    return "inner"


def _call_name(node):
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Anonymous):
        return "%s.%s" % (node.this.name, node.expression.this)
    if isinstance(node, exp.Anonymous):
        return str(node.this)
    return None


def _property_argument(name, literals):
    """The literal that names the property: SERVERPROPERTY('x'), SYS_CONTEXT('USERENV', 'x'),
    HAS_PERMS_BY_NAME(NULL, NULL, 'x')."""
    index = {"SYS_CONTEXT": 1, "HAS_PERMS_BY_NAME": 2}.get(name, 0)
    return literals[index] if len(literals) > index else None


_STATEMENT_START = re.compile(
    r"(?<![\w@$.'])(SELECT|ALTER|GRANT|REVOKE|CREATE|DROP|BACKUP|RESTORE|USE|EXEC|EXECUTE|DBCC|SHOW|SET GLOBAL|"
    r"SET DEFAULT ROLE|CHECKPOINT|SHUTDOWN|STARTUP)\b")


def statements_in(text):
    """The SQL statements a remediation prints: each runs from its first keyword to its `;` (or to a
    closing parenthesis it did not open, or the end of the text). Prose between them is skipped."""
    found, position = [], 0
    while True:
        match = _STATEMENT_START.search(text, position)
        if not match:
            return found
        depth, quote, end = 0, None, len(text)
        for index in range(match.start(), len(text)):
            char = text[index]
            if quote:
                if char == quote and not (quote == "]" and text[index + 1:index + 2] == "]"):
                    quote = None
                elif quote == "]" and char == "]":
                    quote = "]]"  # the first of an escaped ]]: the next ] is part of the name
                elif quote == "]]":
                    quote = "]"
            elif char == "[":
                quote = "]"   # a bracketed T-SQL name may hold quotes and semicolons
            elif char in "'\"":
                quote = char
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth < 0:
                    end = index
                    break
            elif char == ";":
                end = index
                break
        statement = text[match.start():end].strip()
        if statement:
            found.append(statement)
        position = max(end, match.end())
