# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gate policy: which findings block deployment. Runs on the controller (filters, callback)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R

DEFAULT_POLICY = {
    "block_on": list(R.IMPACTS),
    "warnings_block": False,
    "errors_block": True,
    "accepted_findings": [],
}


def normalize(policy):
    merged = dict(DEFAULT_POLICY)
    merged.update(dict((k, v) for k, v in (policy or {}).items() if v is not None))
    return merged


def accepted_by(result, accepted_findings):
    """The accepted finding that covers `result`: same check id, and a target pattern (glob) that
    matches, or no target at all (the whole check accepted on this host)."""
    for entry in accepted_findings:
        if entry.get("check") != result["id"]:
            continue
        pattern = entry.get("target")
        if pattern is None or fnmatch.fnmatchcase(str(result["target"]), str(pattern)):
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


def validate_policy(policy):
    """Problems with a policy, each naming the setting and the valid values."""
    problems = []
    policy = policy or {}
    for impact in policy.get("block_on") or []:
        if impact not in R.IMPACTS:
            problems.append("block_on: unknown impact %r; valid impacts: %s" % (impact, ", ".join(R.IMPACTS)))
    for index, entry in enumerate(policy.get("accepted_findings") or []):
        if not isinstance(entry, dict) or not entry.get("check"):
            problems.append("accepted_findings[%d]: must be a mapping with a 'check' id and an optional "
                            "'target' (glob) and 'reason', got %r" % (index, entry))
    return problems
