# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report at fleet scale, through the real callback: 300 hosts with one SQL Server each and
realistic findings (the case that once gave 2,801 cards, 29,941 terminal lines and a 1.5 MB
precheck.md), and the terminal bound at 10,000 hosts."""

from __future__ import absolute_import, division, print_function

import os
import random

import pytest

from ansible_collections.cloudbackup.precheck.tests.support import fleet, report_callback
from ansible_collections.cloudbackup.precheck.tests.support.report_files import validate_dir


def run_fleet(hosts, monkeypatch, **options):
    report_callback.configure(monkeypatch)
    display = report_callback.Display()
    callback = report_callback.callback(display, **options)
    callback.v2_playbook_on_start(report_callback.Playbook())
    names = fleet.feed(callback, hosts)
    callback.v2_playbook_on_stats(fleet.Stats(names))
    assert display.warnings == []
    return "\n".join(display.shown)


def expected_problems(hosts):
    """The distinct (code, status, disposition) of the fleet's findings, from the facts themselves."""
    rng = random.Random(12)
    problems = set()
    blocking_results = 0
    for index in range(hosts):
        _name, events = fleet.host_events(index, rng)
        facts = [r["ansible_facts"]["cloudbackup_precheck"] for kind, task, r in events if "ansible_facts" in r]
        for fact in facts:
            accepted = [dict((k, v) for k, v in a.items() if k != "accepted_reason") for a in fact["accepted"]]
            blocking_results += len(fact["blocking"])
            for result in fact["results"]:
                if result["status"] == "passed":
                    continue
                disposition = ("blocking" if result in fact["blocking"] else
                               "accepted" if result in accepted else "not_blocking")
                problems.add((result["code"], result["status"], disposition))
    return problems, blocking_results


@pytest.fixture(scope="module")
def fleet300(tmp_path_factory):
    output = tmp_path_factory.mktemp("fleet300")
    with pytest.MonkeyPatch.context() as monkeypatch:
        text = run_fleet(300, monkeypatch, output_dir=str(output))
    return text, output


def test_300_hosts_terminal_report_is_bounded(fleet300):
    text, output = fleet300
    lines = text.splitlines()
    assert len(lines) <= 180, len(lines)
    # Only a target or the path of a report file (which depends on where pytest puts it) may be longer.
    assert all(len(line) <= 100 for line in lines if not line.startswith("        target: ") and str(output) not in line)
    doc = validate_dir(output)
    summary = doc["summary"]
    assert "300 host(s): %d ready, %d blocked, %d not evaluated" % (
        summary["ready"], summary["blocked"], summary["not_evaluated"]) in text
    assert summary["ready"] + summary["blocked"] + summary["not_evaluated"] == 300
    # Every blocking problem is named, with its count, before anything that does not block.
    for group in doc["findings"]:
        if group["disposition"] == "blocking":
            assert "%s %s: %d target(s) on %d host(s)" % (group["status"].upper(), group["code"], group["targets"],
                                                          len(group["hosts"])) in text
    assert text.index("BLOCKING FINDINGS") < text.index("ACCEPTED FINDINGS") < text.index("FINDINGS THAT DO NOT BLOCK")


def test_300_hosts_markdown_fits_a_ticket(fleet300):
    _text, output = fleet300
    size = os.path.getsize(str(output / "precheck.md"))
    assert size < 64 * 1024, size
    markdown = (output / "precheck.md").read_text()
    assert "## Blocking findings" in markdown and "## Accepted findings" in markdown
    assert "sqlserver.recovery_model/simple_with_log_planned" in markdown


def test_300_hosts_groups_are_the_distinct_problems(fleet300):
    _text, output = fleet300
    doc = validate_dir(output)
    problems, blocking_results = expected_problems(300)
    assert len(doc["findings"]) == len(problems)
    assert set((g["code"], g["status"], g["disposition"]) for g in doc["findings"]) == problems
    # The same problem on 300 servers is one group, not one per server.
    (simple,) = [g for g in doc["findings"] if g["code"] == "sqlserver.recovery_model/simple_with_log_planned"
                 and g["disposition"] == "blocking"]
    assert len(simple["hosts"]) > 100
    # JUnit agrees with the gate: one failing case per blocking result, one error per host not evaluated.
    junit = (output / "precheck-junit.xml").read_text()
    assert junit.count("<failure ") + junit.count("<error type=\"sqlserver.") == blocking_results
    assert junit.count('<error type="not_evaluated"') == doc["summary"]["not_evaluated"]


def test_10000_hosts_terminal_report_is_under_200_lines(monkeypatch):
    text = run_fleet(10000, monkeypatch)
    assert len(text.splitlines()) < 200, len(text.splitlines())
    assert "10000 host(s): " in text and "BLOCKING FINDINGS" in text
    assert len(text.encode("utf-8")) < 1024 * 1024  # AWX shows at most 1 MiB of job output
