# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `cloudbackup_precheck` host fact, built in Python from the engine tasks' registered results:
every result of this run, whether the host was evaluated at all, and the gate's verdict on them.

The results are taken as the modules returned them (no copy, no templating), so that the fact of
thousands of databases costs a small part of the checks themselves.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import gate

# What core/runner.py says of a check left out by the user's skip list: a choice, not a gap.
SKIPPED_BY_CONFIGURATION = "Skipped by configuration (skip list)."
# Without an endpoint the object-storage path, the one every backup takes, is not checked at all.
UNCONFIGURED_WHEN_SKIPPED = ("host.oss_connectivity",)
# The keys by which a task result is recognized as the fact itself (the role registers it).
FACT_KEYS = ("schema_version", "run_id", "ready", "results", "blocking", "accepted", "policy")
# Each kind of gap, as the report groups hosts by it.
GAP_KINDS = {
    "no_results": "no check ran",
    "all_skipped": "every check of an engine was skipped",
    "not_configured": "object-storage connectivity not configured",
}


def module_runs(registered):
    """The module results among registered values: one module result, a loop's `results`, or
    skipped and never-run tasks (which carry none)."""
    for entry in registered or []:
        if not isinstance(entry, dict):
            continue
        if "results" in entry and isinstance(entry["results"], list):
            yield from module_runs(entry["results"])
        elif isinstance(entry.get("check_results"), list):
            yield entry


def _run_engine(run):
    for result in run["check_results"]:
        if isinstance(result, dict) and result.get("engine"):
            return str(result["engine"])
    return "unknown"


def evaluation(runs):
    """Which engines were evaluated on this host, and why the host was not (if it was not): no engine
    task returned a result, every result of an engine task was skipped, or object-storage
    connectivity was skipped because no endpoint is configured."""
    engines, reasons = {}, []
    for run in runs:
        results = [r for r in run["check_results"] if isinstance(r, dict)]
        if not results:
            # A run with no check selected (the host engine only probing the instances' endpoints).
            continue
        engine = _run_engine(run)
        counts = engines.setdefault(engine, {"runs": 0, "results": 0, "checked": 0})
        checked = [r for r in results if r.get("status") != "skipped"]
        counts["runs"] += 1
        counts["results"] += len(results)
        counts["checked"] += len(checked)
        if not checked:
            targets = sorted(set(str(r.get("target")) for r in results)) or ["(no target)"]
            reasons.append({"engine": engine, "target": ", ".join(targets), "kind": "all_skipped",
                            "reason": "every %s check of %s was skipped (%d skipped): nothing was checked there"
                                      % (engine, ", ".join(targets), len(results))})
        for result in results:
            if (result.get("id") in UNCONFIGURED_WHEN_SKIPPED and result.get("status") == "skipped"
                    and result.get("message") != SKIPPED_BY_CONFIGURATION):
                reasons.append({"engine": engine, "target": str(result.get("target")), "kind": "not_configured",
                                "reason": "%s was not checked: %s" % (result["id"], result.get("message"))})
    if not engines:
        reasons.append({"engine": None, "target": None, "kind": "no_results",
                        "reason": "no check ran on this host: no engine task returned results (host checks are off "
                                  "and no instance is configured, or every engine task was skipped)"})
    for engine, counts in engines.items():
        counts["evaluated"] = counts["checked"] > 0 and not any(r["engine"] == engine for r in reasons)
    return {"evaluated": not reasons, "not_evaluated": reasons, "engines": engines}


def build(registered, run_id, policy=None):
    """The fact of one host. Raises ValueError naming every problem of an invalid policy."""
    problems = gate.validate_policy(policy)
    if problems:
        raise ValueError("Invalid gate policy: " + "; ".join(problems))
    runs = list(module_runs(registered))
    results = [result for run in runs for result in run["check_results"]]
    blocking, accepted = gate.evaluate(results, policy)
    evaluated = evaluation(runs)
    return {
        "schema_version": R.SCHEMA_VERSION,
        "run_id": run_id,
        "generated_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ready": gate.ready(blocking, evaluated, policy),
        "evaluated": evaluated["evaluated"],
        "not_evaluated": evaluated["not_evaluated"],
        "engines": evaluated["engines"],
        "summary": R.summarize(results),
        "results": results,
        "blocking": blocking,
        "accepted": accepted,
        "policy": gate.normalize(policy),
    }
