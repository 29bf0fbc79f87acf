# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""accepted_findings targets: the exact target always matches (also with `[`), a glob still matches
what it describes, and the hint the report prints accepts exactly the finding it names."""

from __future__ import absolute_import, division, print_function

import pytest
import yaml

from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import gate, report

AWKWARD = ["it's [odd]", "[::1]:1433/Sales", "db1:1433/[x]*?", "SQL1 (db1:1433)/a]b[c", "'quoted' \"db\"",
           "name: with {braces}, and # hash", "ünïcode/[é]"]


def finding(target, check="sqlserver.recovery_model"):
    return {"id": check, "code": check + "/simple_with_log_planned", "title": "Recovery model", "engine": "sqlserver",
            "target": target, "status": "failed", "impact": ["log_backup"], "message": "SIMPLE on %s" % target,
            "remediation": "ALTER DATABASE", "details": {}, "references": [], "cause": None, "duration_ms": 1}


@pytest.mark.parametrize("target", AWKWARD)
def test_the_exact_target_is_accepted_even_with_brackets(target):
    entry = {"check": "sqlserver.recovery_model", "target": target, "reason": "known"}
    blocking, accepted = gate.evaluate([finding(target)], {"accepted_findings": [entry]})
    assert blocking == [] and [a["target"] for a in accepted] == [target]


def test_globs_still_match_what_they_describe_and_nothing_else():
    results = [finding("db1:1433/Sales"), finding("db2:1433/Sales"), finding("db3:1433/Sales"), finding("db1:1433/HR")]
    entry = {"check": "sqlserver.recovery_model", "target": "db[12]:1433/*ales", "reason": "replicas"}
    blocking, accepted = gate.evaluate(results, {"accepted_findings": [entry]})
    assert [a["target"] for a in accepted] == ["db1:1433/Sales", "db2:1433/Sales"]
    assert [b["target"] for b in blocking] == ["db3:1433/Sales", "db1:1433/HR"]
    # A bracket glob is still a character class: it does not match the literal bracketed name of another target.
    assert not gate.target_matches("it's [odd]", "it's [o]dd]")
    assert gate.target_matches("it's odd]", "it's [o]dd]")


@pytest.mark.parametrize("target", AWKWARD)
def test_the_printed_hint_accepts_exactly_the_finding_it_names(target):
    """Feed the YAML the terminal report prints back into the gate."""
    other = finding(target + "2")
    collector = report.Collector()
    collector.task_ok("h", "SQL", {"check_results": [finding(target), other]})
    text = report.render_terminal(report.build_report(collector))
    hint = text.split("cloudbackup_precheck_accepted_findings:\n")[1].split("To skip")[0]
    (entry,) = yaml.safe_load(hint)
    assert entry["check"] == "sqlserver.recovery_model"
    blocking, accepted = gate.evaluate([finding(target), other], {"accepted_findings": [entry]})
    assert [a["target"] for a in accepted] == [target]
    assert [b["target"] for b in blocking] == [target + "2"]
