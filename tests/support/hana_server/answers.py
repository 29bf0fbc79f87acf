"""How a statement is answered: judged against the documented catalog (an unknown view or column
gets HANA's error and is a violation), then evaluated on the scenario's rows with sqlglot's executor,
so that the answer is what the statement asks of those rows and nothing else."""
import datetime
import re
import sqlglot
from sqlglot import exp
from sqlglot.executor import execute as run_sql
from sqlglot.executor.table import Table

from catalogs import version_tuple

from . import wire

_SYSTEM_SCHEMAS = ("sys", "sys_databases")
_TOP = re.compile(r"\s*SELECT\s+(DISTINCT\s+)?TOP\s+\d", re.IGNORECASE)
_SQL_TYPES = {wire.BIGINT: "BIGINT", wire.INTEGER: "INT", wire.DOUBLE: "DOUBLE", wire.LONGDATE: "TIMESTAMP",
              wire.BOOLEAN: "BOOLEAN"}


class SqlError(Exception):
    def __init__(self, code, message):
        Exception.__init__(self, "%d: %s" % (code, message))
        self.code, self.message = code, message


class Plan:
    """A prepared statement: its text, result columns [(name, type code, table, schema)], the type
    codes of its parameters, and how to answer it (a scenario rule or the parsed tree)."""

    def __init__(self, sql, columns, parameters, tree=None, rule=None, views=()):
        self.sql, self.columns, self.parameters = sql, columns, parameters
        self.tree, self.rule, self.views = tree, rule, views


class Answerer:
    def __init__(self, scenario, on_violation):
        self.scenario = scenario
        self.catalog = scenario.catalog
        self.version = version_tuple(scenario.version)
        self.violate = on_violation

    # -- prepare -----------------------------------------------------------------------------

    def prepare(self, sql):
        tree = self._parse(sql)
        rule = next((r for r in self.scenario.queries if r["match"].search(sql)), None)
        if tree is None:
            if rule is None:
                raise self._refuse(7, "feature not supported: the test server cannot parse %s" % _short(sql))
            return Plan(sql, [(n, c, None, None) for n, c in rule["columns"]], [wire.NVARCHAR] * sql.count("?"),
                        rule=rule)
        if isinstance(tree, (exp.Alias, exp.Column, exp.Identifier, exp.Literal)):
            raise SqlError(257, "sql syntax error: incorrect syntax near \"%s\"" % sql.split()[0])
        if not isinstance(tree, exp.Select):
            raise self._refuse(7, "feature not supported: the test server answers SELECT only, not %s"
                               % type(tree).__name__.upper())
        views = self._qualify(tree)
        self._judge(sql, tree)
        columns = self._outputs(tree)
        parameters = [self._parameter_type(p, tree) for p in tree.find_all(exp.Placeholder, bfs=False)]
        if rule is not None:
            names = [n.upper() for n, _c, _t, _s in columns]
            invented = [n for n, _c in rule["columns"] if n.upper() not in names]
            if invented:
                raise self._refuse(7, "test server: the scenario answers %s with column(s) %s, which the statement "
                                      "does not return (it returns %s)" % (_short(sql), ", ".join(invented), ", ".join(names)))
            columns = [(n, c, None, None) for n, c in rule["columns"]]
        return Plan(sql, columns, parameters, tree=tree, rule=rule, views=views)

    def _parse(self, sql):
        # HANA writes both LIMIT n and TOP n; sqlglot reads TOP in T-SQL only, into the same tree
        dialect = "tsql" if _TOP.match(sql) else self.catalog.dialect or None
        try:
            trees = [t for t in sqlglot.parse(sql, read=dialect) if t is not None]
        except sqlglot.errors.ParseError as exc:
            near = (exc.errors[0].get("highlight") if exc.errors else "") or sql[:20]
            raise self._refuse(257, "sql syntax error: incorrect syntax near \"%s\": %s" % (near, _short(sql)))
        return trees[0] if len(trees) == 1 else None

    def _qualify(self, tree):
        """Public synonyms: an unqualified name of a SYS view is the SYS view. Returns the views read."""
        views = []
        for table in tree.find_all(exp.Table):
            if not table.args.get("db") and self.catalog.entry("sys." + table.name)[1] is not None:
                table.set("db", exp.to_identifier("SYS"))
            schema = (table.db or "").lower()
            if schema == "sys_databases" and self.scenario.database != "SYSTEMDB":
                raise self._refuse(259, "invalid table name:  Could not find table/view %s in schema SYS_DATABASES"
                                   % table.name.upper())
            if schema not in _SYSTEM_SCHEMAS:
                raise self._refuse(259, "invalid table name:  Could not find table/view %s in schema %s"
                                   % (table.name.upper(), (table.db or "SYSTEM").upper()))
            views.append("%s.%s" % (schema.upper(), table.name.upper()))
        return views

    def _judge(self, sql, tree):
        issues = self.catalog.issues(tree, self.version)
        if issues:
            kind, name, text = issues[0]
            schema, _dot, view = str(name).upper().rpartition(".")
            code, message = {"object": (259, "invalid table name:  Could not find table/view %s in schema %s"
                                        % (view, schema)),
                             "column": (260, "invalid column name: %s" % str(name).upper()),
                             "function": (328, "invalid name of function or procedure: %s" % name),
                             }.get(kind, (257, "sql syntax error: %s" % text))
            self.violate("HANA %s would reject %s: %s" % (self.scenario.version, _short(sql),
                                                          "; ".join(t for _k, _n, t in issues)))
            raise SqlError(code, message)
        for table in tree.find_all(exp.Table):
            needed = self.catalog.entry("%s.%s" % (table.db, table.name))[1].get("requires_equality")
            if needed and not _has_equality(tree, needed):
                raise self._refuse(7, "feature not supported: %s needs %s = ... in the WHERE clause (test server "
                                      "wording)" % (table.name.upper(), needed))

    def _refuse(self, code, message):
        self.violate(message)
        return SqlError(code, message)

    def _outputs(self, tree):
        columns = []
        for select in tree.selects:
            if isinstance(select, exp.Star) or (isinstance(select, exp.Column) and isinstance(select.this, exp.Star)):
                for view in self._tables(tree).values():
                    schema, name = view.split(".")
                    columns += [(c, code, name, schema) for c, code in self.scenario.columns(view)]
                continue
            # HANA names an unaliased expression by its text: COUNT(*), MAX(SYS_END_TIME)
            name = select.alias_or_name if isinstance(select, (exp.Alias, exp.Column)) else select.sql()
            name = name[:-2] if name.endswith("()") else name   # CURRENT_USER
            quoted = isinstance(select, exp.Alias) and select.args["alias"].quoted or \
                isinstance(select, exp.Column) and select.this.quoted
            code, table, schema = self._type_of(select.unalias(), tree)
            columns.append((name if quoted else name.upper(), code, table, schema))
        return columns

    def _tables(self, tree):
        return dict((t.alias_or_name.lower(), "%s.%s" % (t.db.upper(), t.name.upper())) for t in tree.find_all(exp.Table))

    def _type_of(self, node, tree):
        if isinstance(node, exp.Column):
            tables = self._tables(tree)
            candidates = [tables[node.table.lower()]] if node.table else list(tables.values())
            for view in candidates:
                found = dict(self.scenario.columns(view)).get(node.name.upper())
                if found is not None:
                    return found, view.split(".")[1], view.split(".")[0]
        if isinstance(node, exp.Count):
            return wire.BIGINT, None, None
        if isinstance(node, (exp.Max, exp.Min)) and isinstance(node.this, exp.Column):
            return self._type_of(node.this, tree)
        if isinstance(node, exp.Literal) and not node.is_string:
            return (wire.INTEGER if node.is_int else wire.DOUBLE), None, None
        return wire.NVARCHAR, None, None

    def _parameter_type(self, placeholder, tree):
        parent = placeholder.parent
        while isinstance(parent, (exp.Tuple, exp.Paren)):
            parent = parent.parent
        column = parent.this if isinstance(parent, (exp.Binary, exp.In, exp.Like)) else None
        if isinstance(column, exp.Column):
            return self._type_of(column, tree)[0]
        return wire.NVARCHAR

    # -- execute -----------------------------------------------------------------------------

    def execute(self, plan, params, user=None):
        for view in plan.views:
            if view in self.scenario.errors:
                raise SqlError(*self.scenario.errors[view])
        if plan.rule is not None:
            if plan.rule["error"]:
                raise SqlError(*plan.rule["error"])
            return plan.rule["rows"]
        tree = plan.tree.copy()
        placeholders = list(tree.find_all(exp.Placeholder, bfs=False))
        if len(placeholders) != len(params):
            raise SqlError(1033, "error while parsing protocol: %d parameters for %d placeholders"
                           % (len(params), len(placeholders)))
        for placeholder, value in zip(placeholders, params):
            placeholder.replace(_literal(value))
        for who in list(tree.find_all(exp.CurrentUser, exp.SessionUser)):
            who.replace(exp.Literal.string(user or ""))
        for identifier in tree.find_all(exp.Identifier):
            identifier.set("quoted", False)
        tables, schemas = {}, {}
        for view in set(self._tables(tree).values()):
            schema, name = view.lower().split(".")
            columns = self.scenario.columns(view)
            rows = [tuple(row[c] for c, _code in columns) for row in self.scenario.rows(view)]
            tables.setdefault(schema, {})[name] = Table(columns=[c.lower() for c, _code in columns], rows=rows)
            schemas.setdefault(schema, {})[name] = dict((c.lower(), _SQL_TYPES.get(code, "VARCHAR"))
                                                        for c, code in columns)
        try:
            result = run_sql(tree, schema=schemas, tables=tables)
        except Exception as exc:  # sqlglot's executor raises whatever its evaluation met
            raise self._refuse(7, "feature not supported: the test server cannot evaluate %s (%s); give a "
                                  "`queries` rule for it" % (_short(plan.sql), exc))
        return [list(row) for row in result.rows]


def _has_equality(tree, column):
    where = tree.args.get("where")
    return where is not None and any(
        isinstance(eq.this, exp.Column) and eq.this.name.upper() == column for eq in where.find_all(exp.EQ))


def _literal(value):
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float)):
        return exp.Literal.number(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    return exp.Literal.string(str(value))


def _short(sql):
    text = " ".join(sql.split())
    return text if len(text) < 140 else text[:137] + "..."
