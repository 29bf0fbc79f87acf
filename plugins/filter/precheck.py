# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the role uses to turn registered module results into the host fact and the gate message."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible.errors import AnsibleFilterError

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import gate


def _module_runs(registered):
    """Registered results come as one module result, a loop's `results`, or skipped tasks."""
    for entry in registered or []:
        if not isinstance(entry, dict):
            continue
        if "results" in entry and isinstance(entry["results"], list):
            yield from _module_runs(entry["results"])
        elif "check_results" in entry:
            yield entry


def precheck_fact(registered, run_id, policy=None):
    """The `cloudbackup_precheck` fact: every result of this run and the gate's verdict on them."""
    problems = gate.validate_policy(policy)
    if problems:
        raise AnsibleFilterError("Invalid gate policy: " + "; ".join(problems))
    results = [result for run in _module_runs(registered) for result in run["check_results"]]
    blocking, accepted = gate.evaluate(results, policy)
    return {
        "schema_version": R.SCHEMA_VERSION,
        "run_id": run_id,
        "generated_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ready": not blocking,
        "summary": R.summarize(results),
        "results": results,
        "blocking": blocking,
        "accepted": accepted,
        "policy": gate.normalize(policy),
    }


def gate_message(fact, host):
    """One line per blocking finding, with what to do and how to accept it."""
    lines = ["%s is not ready for backup deployment: %d blocking finding(s)." % (host, len(fact["blocking"]))]
    for result in fact["blocking"]:
        lines.append("- [%s] %s on %s: %s" % (result["status"], result["id"], result["target"], result["message"]))
        if result.get("remediation"):
            lines.append("  Fix: %s" % result["remediation"])
    lines.append("To accept a finding, add {check: <id>, target: <target>, reason: <why>} to "
                 "cloudbackup_precheck_accepted_findings.")
    return "\n".join(lines)


class FilterModule(object):
    def filters(self):
        return {"precheck_fact": precheck_fact, "gate_message": gate_message}
