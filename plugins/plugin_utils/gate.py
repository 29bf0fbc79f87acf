# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gate policy: which findings block deployment, and whether a host was evaluated at all. Runs on
the controller (the role's action plugins, the filters, the callback)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import fnmatch

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import catalog

DEFAULT_POLICY = {
    "block_on": list(R.IMPACTS),
    "warnings_block": False,
    "errors_block": True,
    "not_evaluated_blocks": True,
    "accepted_findings": [],
}

_ACCEPT_HINT = ("To accept a finding, add {check: <id>, target: <target>, reason: <why>} to "
                "cloudbackup_precheck_accepted_findings.")


def normalize(policy):
    merged = dict(DEFAULT_POLICY)
    merged.update(dict((k, v) for k, v in (policy or {}).items() if v is not None))
    return merged


def target_matches(target, pattern):
    """An accepted finding's `target` matches a result's target when it is that target exactly, or a
    glob (`*`, `?`, `[...]`) that matches it. The exact form comes first, so that any target, also one
    with `[` (`it's [odd]`, `[::1]:1433/db`), can be accepted as the report prints it."""
    target, pattern = str(target), str(pattern)
    return target == pattern or fnmatch.fnmatchcase(target, pattern)


def accepted_by(result, accepted_findings):
    """The accepted finding that covers `result`: same check id, and a target that matches (see
    target_matches), or no target at all (the whole check accepted on this host)."""
    for entry in accepted_findings:
        if entry.get("check") != result["id"]:
            continue
        pattern = entry.get("target")
        if pattern is None or target_matches(result["target"], pattern):
            return entry
    return None


def _blocking_status(result, policy):
    status = result["status"]
    return (status == "failed"
            or (status == "error" and policy["errors_block"])
            or (status == "warning" and policy["warnings_block"]))


def _blocking_impact(result, policy):
    # A finding that prevents all operations prevents whatever the policy protects.
    impacts = set(result.get("impact") or [])
    return "all_operations" in impacts or bool(impacts & set(policy["block_on"]))


def evaluate(results, policy=None):
    """Split results into (blocking, accepted): the findings that block under the policy, and the
    ones that would block but were accepted (kept, so that a report shows them)."""
    policy = normalize(policy)
    blocking, accepted = [], []
    for result in results:
        if not (_blocking_status(result, policy) and _blocking_impact(result, policy)):
            continue
        entry = accepted_by(result, policy["accepted_findings"])
        if entry is None:
            blocking.append(result)
        else:
            accepted.append(dict(result, accepted_reason=entry.get("reason", "")))
    return blocking, accepted


def unknown_check(option, name):
    """The problem with a check id that no engine has, naming the closest ids and every valid one."""
    close = difflib.get_close_matches(str(name), catalog.CHECK_IDS, n=3, cutoff=0.85)
    return "%s: unknown check %r%s; valid check ids: %s" % (
        option, name, " (did you mean %s?)" % " or ".join(close) if close else "", ", ".join(catalog.CHECK_IDS))


def validate_policy(policy):
    """Problems with a policy, each naming the setting and the valid values."""
    problems = []
    policy = policy or {}
    block_on = policy.get("block_on") or []
    if isinstance(block_on, str):
        # Iterating the string would judge its letters ("unknown impact 'b'").
        problems.append("block_on: must be a list of impacts, got the string %r (write block_on: [%s]); valid impacts: %s"
                        % (block_on, block_on, ", ".join(R.IMPACTS)))
        block_on = []
    for impact in block_on:
        if impact not in R.IMPACTS:
            problems.append("block_on: unknown impact %r; valid impacts: %s" % (impact, ", ".join(R.IMPACTS)))
    for index, entry in enumerate(policy.get("accepted_findings") or []):
        if not isinstance(entry, dict) or not entry.get("check"):
            problems.append("accepted_findings[%d]: must be a mapping with a 'check' id and an optional "
                            "'target' (glob) and 'reason', got %r" % (index, entry))
        elif entry["check"] not in catalog.CHECK_IDS:
            problems.append(unknown_check("accepted_findings[%d].check" % index, entry["check"]))
    return problems


def ready(blocking, evaluation, policy):
    """The verdict: nothing blocks, and the host was evaluated unless the policy lets such a host pass."""
    return not blocking and (evaluation["evaluated"] or not normalize(policy)["not_evaluated_blocks"])


def gate_message(fact, host):
    """Why the gate blocks `host`: one line per blocking finding, with what to do and how to accept it,
    and the reasons a host that was not evaluated stays blocked."""
    lines = []
    blocking = fact.get("blocking") or []
    not_evaluated = [] if fact.get("evaluated", True) else fact.get("not_evaluated") or []
    if blocking or not not_evaluated:
        lines.append("%s is not ready for backup deployment: %d blocking finding(s)." % (host, len(blocking)))
    for result in blocking:
        lines.append("- [%s] %s on %s: %s" % (result["status"], result["id"], result["target"], result["message"]))
        if result.get("remediation"):
            lines.append("  Fix: %s" % result["remediation"])
    if lines:
        lines.append(_ACCEPT_HINT)
    if not_evaluated:
        lines.append("%s is not evaluated, so it is not ready for backup deployment:" % host)
        lines.extend("- %s" % entry["reason"] for entry in not_evaluated)
        lines.append("Configure what the precheck should check, or set cloudbackup_precheck_not_evaluated_blocks: "
                     "false to let a host that was not evaluated pass.")
    return "\n".join(lines)
