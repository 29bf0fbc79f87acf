# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Collecting the fleet report: task events in, one record per host out, and each host's entry of
precheck.json (verdict, reason, results and which of them block or were accepted).

Fleet scale decides the shape: a module's results are kept as the list Ansible handed over and only
read when the host ends without the role's fact (which holds the same results again), so that a run
of 10,000 hosts pays for its results once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import secrets as S
from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import fact as F

RESULT_KEY = "check_results"
FACT_NAME = "cloudbackup_precheck"

READY = "ready"
BLOCKED = "blocked"
NOT_EVALUATED = "not_evaluated"

REASON_LIMIT = 300

# Module arguments whose values must never reach a report, even if a module echoed them.
_SECRET_ARG = re.compile(r"pass|secret|token|credential|private_key|api_key", re.IGNORECASE)
# What Ansible puts in `invocation` for a no_log argument: already masked, nothing to scrub.
_NO_LOG_PLACEHOLDER = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
# Ansible's own message for a loop with a failed item: the item's message is the one that explains.
_LOOP_FAILED = "One or more items failed"
_STATUSES = frozenset(R.STATUSES)


class HostRecord:
    """What the run told us about one host."""

    __slots__ = ("name", "pending", "fact", "secrets", "stop", "stop_group", "last_failure", "last_group",
                 "note", "completed_tasks", "skipped_tasks")

    def __init__(self, name):
        self.name = name
        self.pending = []         # (module results as returned, secrets): read only if no fact comes
        self.fact = None
        self.secrets = set()      # values of secret module arguments seen on this host
        self.stop = None          # why the host stopped before its precheck completed
        self.stop_group = None    # the same without the host-specific message, to group hosts by it
        self.last_failure = None  # the latest failed task, to explain a host without results
        self.last_group = None
        self.note = None          # e.g. a task whose output no_log hid
        self.completed_tasks = 0
        self.skipped_tasks = 0


class Collector:
    """Turns task events into per-host records. Never raises: a result it cannot read makes the
    host `not evaluated` instead of silently dropping checks (which could make it look passed)."""

    def __init__(self):
        self.hosts = {}
        self.playbooks = []
        self.interrupted = False

    def host(self, name):
        record = self.hosts.get(name)
        if record is None:
            record = self.hosts[name] = HostRecord(name)
        return record

    def task_ok(self, host, task_name, result):
        self._guarded(host, task_name, result, self._ok)

    def task_failed(self, host, task_name, result, ignore_errors=False):
        self._guarded(host, task_name, result, self._failed, ignore_errors)

    def task_unreachable(self, host, task_name, result):
        self._guarded(host, task_name, result, self._unreachable)

    def task_skipped(self, host):
        self.host(host).skipped_tasks += 1

    def seen(self, host):
        self.host(host)

    def _guarded(self, host, task_name, result, handler, *args):
        record = self.host(host)
        try:
            handler(record, task_name, result, *args)
        except Exception as exc:  # pylint: disable=broad-except
            record.stop_group = "the report could not read the result of task '%s'" % task_name
            record.stop = "%s (%s: %s)" % (record.stop_group, type(exc).__name__, exc)

    def _ok(self, record, task_name, result):
        record.completed_tasks += 1
        if not _ingest(record, result) and result.get("censored"):
            record.note = "task '%s' hid its output (no_log), so its check results cannot be read" % task_name

    def _failed(self, record, task_name, result, ignore_errors):
        record.completed_tasks += 1
        carried = _ingest(record, result)
        failed_item = _failed_item(result)
        if carried and failed_item is None:
            # A failed task that returned results (e.g. failed_when on them) is a judged check.
            return
        group = "task '%s' failed" % task_name
        if failed_item is not None:
            label, message = failed_item
            detail = "%s%s" % ("item %s: " % label if label else "", message)
        else:
            detail = result.get("msg") or result.get("censored") or "no message"
        reason = "%s: %s" % (group, one_line(detail))
        record.last_failure, record.last_group = reason, group
        if not ignore_errors:
            record.stop, record.stop_group = reason, group

    def _unreachable(self, record, task_name, result):
        record.stop_group = "unreachable at task '%s'" % task_name
        record.stop = "%s: %s" % (record.stop_group, one_line(result.get("msg")))


def fact_of(result):
    """The role's fact in a task result: the result of cloudbackup.precheck.precheck_fact itself (the
    role registers it as the fact), or a set_fact's `ansible_facts` (playbooks using the filter)."""
    if all(key in result for key in F.FACT_KEYS):
        return result
    facts = result.get("ansible_facts")
    fact = facts.get(FACT_NAME) if isinstance(facts, dict) else None
    return fact if isinstance(fact, dict) else None


def _ingest(record, result):
    """Keep the check results and the fact of one task result (and of its loop items); True if it
    carried any."""
    fact = fact_of(result)
    if fact is not None:
        record.secrets.update(_secrets_of(result))
        record.fact = fact
        # The fact holds every result of the run: the module returns are not needed any more.
        record.pending = []
        return True
    found = False
    for part in [result] + loop_items(result):
        checks = part.get(RESULT_KEY)
        secrets = _secrets_of(part)
        record.secrets.update(secrets)
        if isinstance(checks, list):
            record.pending.append((checks, secrets))
            found = True
    return found


def loop_items(result):
    # Any module may return its own `results` key: only a list of dicts is a loop.
    items = result.get("results")
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _failed_item(result):
    """(label, message) of the first loop item that failed without results: Ansible's own task
    message then only says that an item failed, the item's says why (the option it names)."""
    for item in loop_items(result):
        if item.get("failed") and not isinstance(item.get(RESULT_KEY), list):
            label = item.get("_ansible_item_label", item.get("item"))
            return (one_line(label, 80) if label not in (None, "") else "",
                    item.get("msg") or item.get("censored") or "no message")
    if result.get("msg") == _LOOP_FAILED:
        return "", _LOOP_FAILED
    return None


def _secrets_of(part):
    """Values of the module's secret arguments: read only to mask them, never stored in a report."""
    invocation = part.get("invocation")
    args = invocation.get("module_args") if isinstance(invocation, dict) else None
    if not isinstance(args, dict):
        return ()
    return tuple(value for key, value in args.items()
                 if _SECRET_ARG.search(str(key)) and isinstance(value, str)
                 and value != _NO_LOG_PLACEHOLDER)


def scrub(result, secrets):
    """The result with secrets masked by the modules' own rule (core/secrets.py): in its free text
    only, whole tokens only, so that a short or common secret cannot change what the gate or a
    report reads."""
    return S.scrub_result(result, secrets)


def normalize_results(value, secrets=()):
    """Result dicts only; a status outside the schema counts as an error, so that a module bug can
    neither crash the report nor pass a host. A result is copied only if it must change."""
    normalized = []
    for result in value if isinstance(value, list) else ():
        if not isinstance(result, dict):
            continue
        if result.get("status") not in _STATUSES:
            result = dict(result, status="error", cause="internal", code="%s/internal" % result.get("id"),
                          message="Result with invalid status %r: %s" % (result.get("status"), result.get("message")))
        if "code" not in result:
            # Schema 1 results: the kind of a finding is its status.
            result = dict(result, code="%s/%s" % (result.get("id"), result["status"]))
        if not isinstance(result.get("target"), str):
            result = dict(result, target=str(result.get("target")))
        if secrets:
            result = scrub(result, secrets)
        normalized.append(result)
    return normalized


def one_line(value, limit=REASON_LIMIT):
    text = " ".join(str(value if value is not None else "no message").split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def finding_key(result):
    return (result.get("id"), result.get("target"), result.get("status"), result.get("message"))


def host_entry(record, interrupted=False):
    """The host's entry of precheck.json. With the role's fact, the gate has decided (the fact
    holds the same results the modules returned, so those are not counted again)."""
    secrets = tuple(record.secrets)
    if record.fact is not None:
        entry = _gated_entry(record.fact, secrets)
    else:
        results = [r for checks, _secrets in record.pending for r in normalize_results(checks, secrets)]
        verdict, reason, group = _ungated_verdict(record, results, interrupted)
        entry = {"verdict": verdict, "reason": reason, "gated": False, "run_id": None, "policy": None,
                 "results": results, "blocking": [], "accepted": []}
        if group:
            entry["reason_group"] = group
    return entry


def _gated_entry(fact, secrets):
    results = normalize_results(fact.get("results"), secrets)
    blocking_keys = set(finding_key(r) for r in normalize_results(fact.get("blocking"), secrets))
    accepted_reasons = dict((finding_key(r), str(r.get("accepted_reason") or ""))
                            for r in normalize_results(fact.get("accepted"), secrets))
    blocking, accepted = [], []
    for index, result in enumerate(results):
        if result["status"] == "passed":
            continue
        key = finding_key(result)
        if key in blocking_keys:
            blocking.append(index)
        elif key in accepted_reasons:
            accepted.append({"index": index, "accepted_reason": accepted_reasons[key]})
    # Anything but an explicit, consistent "ready" blocks: a malformed fact must not pass a host.
    ready = fact.get("ready") is True and not blocking_keys
    gaps = [] if fact.get("evaluated", True) is True else [g for g in fact.get("not_evaluated") or []
                                                           if isinstance(g, dict)]
    entry = {"gated": True, "run_id": fact.get("run_id"), "policy": fact.get("policy"),
             "results": results, "blocking": blocking, "accepted": accepted}
    if gaps:
        why = "; ".join(S.mask_text(one_line(gap.get("reason")), secrets) for gap in gaps)
        group = "not evaluated: %s" % ", ".join(sorted(set(F.GAP_KINDS.get(gap.get("kind"), "nothing checked")
                                                           for gap in gaps)))
        if ready:
            # The policy (not_evaluated_blocks: false) let it pass: ready, and the report says on what.
            return dict(entry, verdict=READY, reason=one_line("passed the gate without being evaluated: " + why))
        if not blocking:
            return dict(entry, verdict=NOT_EVALUATED, reason=one_line("not evaluated: " + why), reason_group=group)
    if ready:
        reason = "%d accepted finding(s)" % len(accepted) if accepted else ""
    elif blocking:
        reason = "%d blocking finding(s): %s" % (
            len(blocking), ", ".join(sorted(set(str(results[i].get("id")) for i in blocking))))
    else:
        reason = "the gate did not declare the host ready"
    return dict(entry, verdict=READY if ready else BLOCKED, reason=reason)


def _ungated_verdict(record, results, interrupted):
    """(verdict, reason, reason group) of a host without the role's fact."""
    stop, group = record.stop, record.stop_group
    if not stop and interrupted:
        group = "the run was interrupted before the host's precheck completed"
        stop = group
    if stop:
        if results:
            return NOT_EVALUATED, "%s (after %d check result(s): the precheck did not complete)" % (
                stop, len(results)), group
        return NOT_EVALUATED, stop, group
    if results:
        return R.worst_status(results), "no gate ran on this host: the verdict is its worst check status", None
    if record.last_failure or record.note:
        return NOT_EVALUATED, record.last_failure or record.note, record.last_group or record.note
    if record.skipped_tasks and not record.completed_tasks:
        reason = "every task was skipped on this host: no check ran"
        return NOT_EVALUATED, reason, reason
    reason = "no check results were reported for this host"
    return NOT_EVALUATED, reason, reason
