# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake SQL Server connection for unit tests that obeys the documented catalog
(tests/support/catalogs/sqlserver.yml): a statement that reads a column or view the server's version
does not have fails as SQL Server fails it (error 207/208, cause internal), and an answer that holds a
column the statement does not return is a test error, so a canned answer cannot agree with a wrong
statement. Every statement is recorded with its bound values."""

from ansible_collections.cloudbackup.precheck.tests.support.catalogs import load

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError

CATALOG = load("sqlserver")

# A ProductVersion for each release the catalog knows (2016 before SP2 is 13.0.4001, SP1).
VERSIONS = {"2008": "10.0.6000.29", "2008 R2": "10.50.6000.34", "2012": "11.0.7001.0", "2014": "12.0.6024.0",
            "2016": "13.0.4001.0", "2016 SP2": "13.0.5026.0", "2017": "14.0.3456.2", "2019": "15.0.4298.1",
            "2022": "16.0.4135.4"}


class CatalogConnection:
    driver, family, driver_version, elapsed_ms = "FreeTDS", "freetds", "01.03.0017", 5

    def __init__(self, answers, version):
        """`answers`: [(substring of the statement, rows or an exception)], the first match wins."""
        self.answers = answers
        self.version = version
        self.statements = []

    def query(self, sql, params=(), what=None):
        self.statements.append((sql, tuple(params)))
        problems = CATALOG.problems(sql, self.version)
        if problems:
            raise PrecheckError("internal", "SQL Server %s rejects the statement: %s" % (
                CATALOG.release_of(self.version), "; ".join(problems)), details={"native_error": 207})
        statement = CATALOG.analyze(sql)
        outputs = [name.lower() for name, _sources in statement.outputs]
        # An answer written for a newer release may hold the columns this one lacks: they are not returned.
        newer = set()
        for name in statement.objects():
            newer.update(set(CATALOG.columns_of(name) or {}) - set(CATALOG.columns_of(name, self.version) or {}))
        for keyword, answer in self.answers:
            if keyword in sql:
                if isinstance(answer, Exception):
                    raise answer
                rows = []
                for row in answer:
                    invented = [key for key in row if key.lower() not in outputs and key.lower() not in newer]
                    assert not invented, "the answer to %r has columns the statement does not return: %s" % (
                        keyword, invented)
                    rows.append(dict((name, row.get(name)) for name in outputs))
                return rows
        raise AssertionError("unexpected statement: %s" % sql)

    def close(self):
        pass
