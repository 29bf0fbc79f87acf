# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report model: the precheck.json document and the views every format renders from it.

`Report` is the document itself (a dict, written as precheck.json) plus what one pass over its
results derives: the fleet summary, the checks table, the findings grouped by what is wrong (finding
code, status and disposition, never target or message), the hosts that were not evaluated grouped by
why, and each host's worst status per check. The terminal, Markdown, JUnit and HTML renderers all read
it, so that no two formats can disagree; a merged report (job slices) is built the same way.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.plugin_utils.report_collect import (
    BLOCKED, NOT_EVALUATED, READY)

# The layout of precheck.json (docs/precheck-report.schema.json); 2: findings grouped by code,
# results stored once (dispositions as indexes), checks table, interruption and merge fields.
REPORT_SCHEMA_VERSION = 2

# Worst first, for sorting hosts; the middle ones are a host without a gate (its worst status).
VERDICT_ORDER = (NOT_EVALUATED, BLOCKED, "error", "failed", "warning", "skipped", "passed", READY)
VERDICT_RANK = dict((verdict, rank) for rank, verdict in enumerate(VERDICT_ORDER))

# How a finding weighs on a host: decided by the gate (fact), or not decided at all (no fact).
BLOCKING = "blocking"
NO_GATE = "no_gate"
ACCEPTED = "accepted"
NOT_BLOCKING = "not_blocking"
DISPOSITIONS = (BLOCKING, NO_GATE, ACCEPTED, NOT_BLOCKING)
DISPOSITION_LABELS = {BLOCKING: "blocking", NO_GATE: "no gate ran", ACCEPTED: "accepted",
                      NOT_BLOCKING: "not blocking"}

STATUS_RANK = dict((status, rank) for rank, status in enumerate(R.SEVERITY_ORDER))
# Columns of every per-status table, in reading order.
STATUS_COLUMNS = ("passed", "warning", "failed", "error", "skipped")


def verdict_label(verdict):
    return verdict.replace("_", " ")


class Group(dict):
    """One finding group of precheck.json (`findings[]`); `occurrences` holds (host, index, reason)
    for the renderers, `results` the same for the file."""


class Report(dict):
    """The precheck.json document, with the derived views as attributes."""

    def __init__(self, hosts, run_id, generated_at, playbook="", interrupted=False, merged_from=None):
        super(Report, self).__init__()
        self.update({
            "schema_version": REPORT_SCHEMA_VERSION,
            "result_schema_version": R.SCHEMA_VERSION,
            "run_id": run_id,
            "generated_at": generated_at,
            "playbook": playbook,
            "interrupted": bool(interrupted),
        })
        if merged_from:
            self["merged_from"] = merged_from
        names = sorted(hosts)
        self.worst = {}        # host -> {check id: worst status}
        self.engines = {}      # host -> sorted engines of its results
        self.dispositions = {}  # host -> {result index: (disposition, accepted reason)}, findings only
        self.kinds = {}        # host -> {(check id, status, disposition or "")}: what a filter can ask
        self.check_info = {}   # check id -> (title, engine)
        groups = {}
        totals = dict((status, 0) for status in R.STATUSES)
        verdicts = {}
        check_hosts = {}       # check id -> {status: hosts whose worst status of the check it is}
        for name in names:
            entry = hosts[name]
            verdicts[entry["verdict"]] = verdicts.get(entry["verdict"], 0) + 1
            entry["summary"] = self._scan(name, entry, groups, totals)
            for check_id, status in self.worst[name].items():
                counts = check_hosts.get(check_id)
                if counts is None:
                    counts = check_hosts[check_id] = dict.fromkeys(R.STATUSES, 0)
                counts[status] += 1
        summary = dict(totals, total=sum(totals.values()), hosts=len(names), ready=verdicts.get(READY, 0),
                       blocked=verdicts.get(BLOCKED, 0), not_evaluated=verdicts.get(NOT_EVALUATED, 0),
                       verdicts=verdicts)
        self.findings = sorted(groups.values(), key=_group_order)
        for group in self.findings:
            group["hosts"] = _distinct(occurrence[0] for occurrence in group.occurrences)
            group["targets"] = len(group.occurrences)
        summary["findings"] = len(self.findings)
        self.checks = [{"id": check_id, "title": self.check_info[check_id][0], "engine": self.check_info[check_id][1],
                        "hosts": check_hosts[check_id]} for check_id in sorted(check_hosts)]
        self.sorted_hosts = sorted(names, key=lambda n: (VERDICT_RANK.get(hosts[n]["verdict"], 0), n))
        self["summary"] = summary
        self["checks"] = self.checks
        self["hosts"] = dict((name, hosts[name]) for name in names)
        self["findings"] = self.findings
        self.not_evaluated = _not_evaluated_groups(self["hosts"], self.sorted_hosts)

    def _scan(self, name, entry, groups, totals):
        """One pass over a host's results: counts, worst status per check, and its findings."""
        results = entry["results"]
        gated = entry["gated"]
        blocking = set(entry["blocking"])
        accepted = dict((a["index"], a.get("accepted_reason", "")) for a in entry["accepted"])
        counts = dict((status, 0) for status in R.STATUSES)
        worst = {}
        engines = set()
        dispositions = {}
        kinds = set()
        rank = STATUS_RANK
        check_info = self.check_info
        for index, result in enumerate(results):
            status = result["status"]
            counts[status] += 1
            check_id = result.get("id")
            previous = worst.get(check_id)
            if previous is None:
                worst[check_id] = status
                if check_id not in check_info:
                    check_info[check_id] = (result.get("title") or "", result.get("engine") or "")
                engines.add(check_info[check_id][1])
            elif rank[status] < rank[previous]:
                worst[check_id] = status
            if status == "passed":
                kinds.add((check_id, status, ""))
                continue
            reason = ""
            if not gated:
                disposition = NO_GATE
            elif index in blocking:
                disposition = BLOCKING
            elif index in accepted:
                disposition, reason = ACCEPTED, accepted[index]
            else:
                disposition = NOT_BLOCKING
            dispositions[index] = (disposition, reason)
            kinds.add((check_id, status, disposition))
            key = (result["code"], status, disposition)
            group = groups.get(key)
            if group is None:
                group = groups[key] = _new_group(result, disposition)
            where = (name, result["target"])
            if where not in group.seen:
                # The same finding from two tasks of one host is one finding of that host.
                group.seen.add(where)
                group.occurrences.append((name, index, reason))
        for status in counts:
            totals[status] += counts[status]
        counts["total"] = len(results)
        self.worst[name] = worst
        self.engines[name] = sorted(engines)
        self.dispositions[name] = dispositions
        self.kinds[name] = kinds
        return counts

    # -- what the renderers ask ------------------------------------------------------------------

    def result(self, host, index):
        return self["hosts"][host]["results"][index]

    def groups(self, disposition, skipped=False):
        """The finding groups of a disposition; skipped results are a section of their own."""
        return [g for g in self.findings if g["disposition"] == disposition and (g["status"] == "skipped") == skipped]

    def skipped_groups(self):
        return [g for g in self.findings if g["status"] == "skipped"]

    def headline(self):
        summary = self["summary"]
        parts = ["%d ready" % summary["ready"], "%d blocked" % summary["blocked"],
                 "%d not evaluated" % summary["not_evaluated"]]
        others = sorted((v, n) for v, n in summary["verdicts"].items() if v not in (READY, BLOCKED, NOT_EVALUATED))
        parts += ["%d %s (no gate)" % (n, v) for v, n in others]
        text = "%d host(s): %s" % (summary["hosts"], ", ".join(parts))
        return ("RUN INTERRUPTED, the report is incomplete: " + text) if self["interrupted"] else text

    def hosts_of(self, disposition):
        return _distinct(o[0] for g in self.findings if g["disposition"] == disposition and g["status"] != "skipped"
                         for o in g.occurrences)


def _new_group(result, disposition):
    group = Group((key, result.get(key)) for key in ("code", "id", "title", "engine", "status"))
    group.update(disposition=disposition, impact=result.get("impact") or [], cause=result.get("cause"),
                 remediation=result.get("remediation") or "", references=result.get("references") or [])
    group.occurrences = []
    group.seen = set()
    return group


def _group_order(group):
    """Worst disposition first; within it the most widespread problem first, and the results that
    only say another check failed (cause `dependency`) last."""
    return (DISPOSITIONS.index(group["disposition"]), group["cause"] == "dependency",
            -len(set(o[0] for o in group.occurrences)), STATUS_RANK[group["status"]], str(group["code"]))


def _distinct(names):
    seen = set()
    ordered = []
    for name in names:
        if name not in seen:
            seen.add(name)
            ordered.append(name)
    return ordered


def _not_evaluated_groups(hosts, sorted_hosts):
    """Hosts not evaluated, grouped by why (the task and kind of failure, without the host's own
    message), largest group first."""
    groups = {}
    for name in sorted_hosts:
        entry = hosts[name]
        if entry["verdict"] != NOT_EVALUATED:
            continue
        groups.setdefault(entry.get("reason_group") or entry["reason"], []).append(name)
    return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))


def group_results_json(group):
    """`findings[].results` of precheck.json: where each target of the group is (host and index
    into its results), with the acceptance reason for accepted ones."""
    if group["disposition"] == ACCEPTED:
        return [{"host": host, "index": index, "reason": reason} for host, index, reason in group.occurrences]
    return [{"host": host, "index": index} for host, index, _reason in group.occurrences]
