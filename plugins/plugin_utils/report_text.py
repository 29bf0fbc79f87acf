# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The terminal report and precheck.md: bounded by what a person reads, not by the fleet.

Both show the headline, the checks by status with host counts, the finding groups (blocking first)
with a few example targets each, and the hosts that were not evaluated grouped by why. The terminal
report fits a line budget: it shows as much detail as fits (every target for a small fleet, a few
examples, then one line per group) and says where the rest is.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import textwrap

from ansible_collections.cloudbackup.precheck.plugins.plugin_utils.report_model import (
    ACCEPTED, BLOCKING, DISPOSITION_LABELS, NO_GATE, NOT_BLOCKING, NOT_EVALUATED, READY, STATUS_COLUMNS,
    verdict_label)

WIDTH = 100
# Up to this many hosts the host table is printed; beyond, hosts are counted (option list_hosts).
SMALL_FLEET = 20
HOSTS_SHOWN = 8
NOT_EVALUATED_LISTED = 10
NOT_EVALUATED_GROUPS = 8

SECTIONS = (
    (BLOCKING, "BLOCKING FINDINGS (the gate stops these hosts)"),
    (NO_GATE, "FINDINGS ON HOSTS WITHOUT A GATE (no fact from the role: judge them)"),
    (ACCEPTED, "ACCEPTED FINDINGS (would block, accepted by configuration)"),
    (NOT_BLOCKING, "FINDINGS THAT DO NOT BLOCK"),
)
MD_SECTIONS = (
    (BLOCKING, "Blocking findings"), (NO_GATE, "Findings on hosts without a gate"),
    (ACCEPTED, "Accepted findings"), (NOT_BLOCKING, "Findings that do not block"),
)


def _wrap(text, indent="    ", subsequent=None):
    return textwrap.wrap(" ".join(str(text).split()), width=WIDTH, initial_indent=indent,
                         subsequent_indent=subsequent if subsequent is not None else indent + "  ",
                         break_long_words=True, break_on_hyphens=False) or [indent.rstrip()]


def names(items, shown=HOSTS_SHOWN):
    items = list(items)
    text = ", ".join(str(item) for item in items[:shown])
    return text + (" and %d more" % (len(items) - shown) if len(items) > shown else "")


def yaml_quote(value):
    return "'%s'" % str(value).replace("'", "''")


def counts_text(group):
    hosts = len(group["hosts"])
    return "%d target(s) on %d host(s)" % (group["targets"], hosts)


def group_hosts(report, group, shown):
    """The hosts of a group as text; an accepted group's hosts come under each reason given."""
    if group["disposition"] != ACCEPTED:
        return names(group["hosts"], shown)
    by_reason = {}
    for host, _index, reason in group.occurrences:
        members = by_reason.setdefault(reason or "no reason given", [])
        if host not in members:
            members.append(host)
    return "; ".join("%s (%s)" % (names(members, shown), reason) for reason, members in by_reason.items())


# ---------------------------------------------------------------------------------------------
# Terminal


def examples_of(group, count):
    """Up to `count` occurrences, from as many different hosts as possible."""
    picked, hosts = [], set()
    for occurrence in group.occurrences:
        if len(picked) == count:
            break
        if occurrence[0] not in hosts:
            picked.append(occurrence)
            hosts.add(occurrence[0])
    for occurrence in group.occurrences:
        if len(picked) >= count:
            break
        if occurrence not in picked:
            picked.append(occurrence)
    return picked


def _group_lines(report, group, examples):
    """A group with up to `examples` targets in detail; `examples=0` is one compact line."""
    label = DISPOSITION_LABELS[group["disposition"]]
    head = "%s %s: %s" % (group["status"].upper(), group["code"], counts_text(group))
    if examples == 0:
        return _wrap("%s, %s on %s" % (head, label, group_hosts(report, group, 3)), indent="", subsequent="    ")
    lines = _wrap(head, indent="")
    if group["title"]:
        lines += _wrap(group["title"], indent="    ")
    picked = examples_of(group, examples)
    for host, index, reason in picked:
        result = report.result(host, index)
        accepted = " (accepted: %s)" % reason if reason else ""
        lines += _wrap("%s: %s %s @ %s%s" % (host, result["status"].upper(), result["id"], result["target"], accepted),
                       indent="  ")
        lines += _wrap(result.get("message"), indent="      ", subsequent="        ")
        if result.get("remediation"):
            lines += _wrap("Fix: %s" % result["remediation"], indent="      ", subsequent="        ")
    rest = [o for o in group.occurrences if o not in picked]
    if rest:
        lines += _wrap("... and %d more target(s) on %d host(s)" % (len(rest), len(set(o[0] for o in rest))),
                       indent="  ")
    lines += _wrap("%s on %d host(s): %s" % (label, len(group["hosts"]), group_hosts(report, group, HOSTS_SHOWN)),
                   indent="  ")
    return lines


def _section_lines(report, disposition, title, examples, limit=None):
    groups = report.groups(disposition)
    if not groups:
        return []
    lines = [""] + _wrap("%s: %d problem(s) on %d host(s)" % (title, len(groups), len(report.hosts_of(disposition))),
                         indent="")
    shown = groups if limit is None else groups[:limit]
    for group in shown:
        # "Not run: <check> failed" says nothing of its own: one line, whatever the detail.
        lines += _group_lines(report, group, 0 if group["cause"] == "dependency" else examples)
    if len(shown) < len(groups):
        lines.append("... and %d more problem(s): see precheck.md or precheck.html" % (len(groups) - len(shown)))
    return lines


def _skipped_lines(report, limit=None, examples=0):
    groups = report.skipped_groups()
    if not groups:
        return []
    shown = groups if limit is None else groups[:limit]
    lines = ["", "SKIPPED CHECKS: %d" % len(groups)]
    for group in shown:
        lines += _group_lines(report, group, examples)
    if len(shown) < len(groups):
        lines.append("... and %d more skipped check(s): see precheck.json" % (len(groups) - len(shown)))
    return lines


# (examples for blocking and no-gate groups, examples for the others); 0 is one line per group.
_LEVELS = ((None, None), (3, 3), (3, 0), (1, 0), (0, 0))


def _findings_lines(report, budget, examples):
    """The finding sections in the most detail that fits `budget` lines."""
    occurrences = sum(len(g.occurrences) for g in report.findings)
    for first, rest in _LEVELS:
        if first is None and occurrences > budget:
            continue  # every target in detail cannot fit
        first = examples if first == 3 else first
        rest = examples if rest == 3 else rest
        lines = []
        for disposition, title in SECTIONS:
            count = first if disposition in (BLOCKING, NO_GATE) else rest
            lines += _section_lines(report, disposition, title, occurrences if count is None else count)
        lines += _skipped_lines(report, examples=occurrences if rest is None else rest)
        if len(lines) <= budget:
            return lines
    # Even one line per group does not fit: as many groups as fit, blocking first.
    lines = []
    remaining = budget
    for disposition, title in SECTIONS:
        limit = max(0, remaining // 2 - 2)
        section = _section_lines(report, disposition, title, 0, limit=limit)
        lines += section
        remaining -= len(section)
    lines += _skipped_lines(report, limit=max(0, remaining // 2 - 2))
    return lines


def check_table(report):
    width = min(max([len("CHECK")] + [len(str(c["id"])) for c in report.checks]), 44)
    row = "%-{0}s %6s %7s %7s %6s %6s %7s".format(width)
    lines = [row % ("CHECK", "HOSTS", "PASSED", "WARNING", "FAILED", "ERROR", "SKIPPED")]
    for check in report.checks:
        counts = check["hosts"]
        lines.append(row % ((str(check["id"]),) + (sum(counts.values()),) + tuple(counts[s] for s in STATUS_COLUMNS)))
    return lines


def host_table(report, host_names):
    hosts = report["hosts"]
    width = min(max([len("HOST")] + [len(name) for name in host_names]), 40)
    row = "%-{0}s  %-13s  %6s %7s %6s %5s %7s".format(width)
    lines = [row % ("HOST", "VERDICT", "PASSED", "WARNING", "FAILED", "ERROR", "SKIPPED")]
    for name in host_names:
        counts = hosts[name]["summary"]
        lines.append(row % ((name, verdict_label(hosts[name]["verdict"])) + tuple(counts[s] for s in STATUS_COLUMNS)))
    return lines


def _not_evaluated_lines(report):
    hosts = report["hosts"]
    count = report["summary"]["not_evaluated"]
    if not count:
        return []
    lines = ["", "NOT EVALUATED (never counted as passed): %d host(s)" % count]
    if count <= NOT_EVALUATED_LISTED:
        for name in report.sorted_hosts:
            if hosts[name]["verdict"] == NOT_EVALUATED:
                lines += _wrap("%s: %s" % (name, hosts[name]["reason"]), indent="")
        return lines
    for reason, members in report.not_evaluated[:NOT_EVALUATED_GROUPS]:
        lines += _wrap("%s: %d host(s): %s" % (reason, len(members), names(members)), indent="")
        example = hosts[members[0]]["reason"]
        if example != reason:
            lines += _wrap("e.g. %s: %s" % (members[0], example[:180]), indent="    ")
    rest = report.not_evaluated[NOT_EVALUATED_GROUPS:]
    if rest:
        lines.append("... and %d more reason(s) on %d host(s): see precheck.md" % (
            len(rest), sum(len(m) for _r, m in rest)))
    return lines


def accept_hint(report):
    """How to accept the first blocking finding: its exact target, which always matches itself
    (a target is also a glob, but `[` in a target would otherwise be a character class)."""
    for disposition in (BLOCKING, NO_GATE):
        for group in report.groups(disposition):
            host, index, _reason = group.occurrences[0]
            result = report.result(host, index)
            return [
                "To accept a finding in the role's gate (it stays in the report, marked accepted), set:",
                "    cloudbackup_precheck_accepted_findings:",
                "      - check: %s" % result["id"],
                "        target: %s" % yaml_quote(result["target"]),
                "        reason: '...'",
                "To skip a check entirely:",
                "    cloudbackup_precheck_skip: [%s]" % result["id"],
            ]
    return []


def render_terminal(report, files=(), show_passed=False, list_hosts=False, max_lines=180, examples=3):
    """The fleet report printed at the end of the play: within `max_lines` lines of 100 columns
    (unless `list_hosts` asks for every host)."""
    title = " cloudbackup.precheck report "
    head = [title.center(WIDTH, "="),
            "Run %s at %s%s" % (report["run_id"], report["generated_at"],
                                ", playbook %s" % report["playbook"] if report["playbook"] else "")]
    if report.get("merged_from"):
        head += _wrap("Merged from %d report(s): %s" % (len(report["merged_from"]), names(
            m.get("source") or m.get("run_id") for m in report["merged_from"])), indent="")
    head += [report.headline(), ""] + check_table(report)
    if list_hosts or report["summary"]["hosts"] <= SMALL_FLEET:
        head += [""] + host_table(report, report.sorted_hosts)
    elif report["summary"]["hosts"] > report["summary"]["ready"]:
        head += [""] + _wrap("Hosts: %d ready are counted, not listed; the hosts with findings are named below "
                             "(callback option list_hosts lists every host)." % report["summary"]["ready"], indent="")
    tail = _not_evaluated_lines(report)
    hint = accept_hint(report)
    tail += [""] + hint if hint else []
    if show_passed:
        tail += _passed_lines(report)
    if files:
        tail += ["", "Report files:"] + ["    %s" % path for path in files]
        html = [path for path in files if path.endswith(".html")]
        if html:
            tail.append("Every host and result, with filters: %s" % html[0])
    budget = max_lines - len(head) - len(tail) - 1
    body = _findings_lines(report, max(budget, 4), examples)
    return "\n".join(head + body + tail + ["=" * WIDTH])


def _passed_lines(report):
    """One line per check: how many targets passed on how many hosts."""
    counts = {}
    hosts = report["hosts"]
    for name in report.sorted_hosts:
        for result in hosts[name]["results"]:
            if result["status"] == "passed":
                entry = counts.setdefault(result["id"], [0, set()])
                entry[0] += 1
                entry[1].add(name)
    if not counts:
        return []
    lines = ["", "PASSED CHECKS: %d" % len(counts)]
    for check_id in sorted(counts):
        lines.append("PASSED %s: %d target(s) on %d host(s)" % (check_id, counts[check_id][0], len(counts[check_id][1])))
    return lines


def render_verdicts(report):
    """One line per host: what is printed when a richer format failed, so no bug hides a verdict."""
    hosts = report["hosts"]
    return "\n".join("precheck verdict: %s: %s%s" % (name, verdict_label(hosts[name]["verdict"]),
                                                     " (%s)" % hosts[name]["reason"] if hosts[name]["reason"] else "")
                     for name in report.sorted_hosts)


# ---------------------------------------------------------------------------------------------
# Markdown


MD_EXAMPLES = 5
MD_HOSTS = 30
MD_GROUPS = 40
MD_HOST_ROWS = 50


def _md(value):
    """Text safe inside a Markdown table cell or list item."""
    return " ".join(str(value if value is not None else "").split()).replace("|", "\\|")


def _md_code(value):
    text = _md(value)
    return "`%s`" % text if "`" not in text else text


def _md_group(report, group, examples):
    lines = ["", "### %s %s: %s" % (group["status"].upper(), _md_code(group["code"]), counts_text(group))]
    facts = []
    if group["title"]:
        facts.append(_md(group["title"]))
    if group["impact"]:
        facts.append("Impact: %s." % ", ".join(_md(i) for i in group["impact"]))
    if group["references"]:
        facts.append("References: %s." % ", ".join(_md_code(r) for r in group["references"]))
    if facts:
        lines += ["", " ".join(facts)]
    if examples:
        accepted = group["disposition"] == ACCEPTED
        lines += ["", "| Host | Target | Message | Remediation%s |" % (" | Accepted because" if accepted else ""),
                  "|---|---|---|---|%s" % ("---|" if accepted else "")]
        for host, index, reason in group.occurrences[:examples]:
            result = report.result(host, index)
            lines.append("| %s | %s | %s | %s |%s" % (
                _md(host), _md_code(result["target"]), _md(result.get("message")), _md(result.get("remediation")),
                " %s |" % (_md(reason) or "no reason given") if accepted else ""))
        rest = len(group.occurrences) - examples
        if rest > 0:
            lines += ["", "... and %d more target(s): every one is in precheck.html and precheck.json." % rest]
    lines += ["", "%s on %d host(s): %s." % (DISPOSITION_LABELS[group["disposition"]].capitalize(),
                                             len(group["hosts"]), _md(group_hosts(report, group, MD_HOSTS)))]
    return lines


def _md_checks(report):
    lines = ["", "## Checks (hosts by each check's worst status)", "",
             "| Check | Title | Hosts | Passed | Warning | Failed | Error | Skipped |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for check in report.checks:
        counts = check["hosts"]
        cells = " | ".join(str(counts[s]) for s in STATUS_COLUMNS)
        lines.append("| %s | %s | %d | %s |" % (_md_code(check["id"]), _md(check["title"]), sum(counts.values()), cells))
    return lines


def _md_host_rows(report, host_names):
    hosts = report["hosts"]
    lines = ["", "| Host | Verdict | Passed | Warning | Failed | Error | Skipped | Reason |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for name in host_names:
        entry = hosts[name]
        lines.append("| %s | %s | %s | %s |" % (_md(name), verdict_label(entry["verdict"]),
                                                " | ".join(str(entry["summary"][s]) for s in STATUS_COLUMNS),
                                                _md(entry["reason"])))
    return lines


def _md_not_evaluated(report):
    if not report["summary"]["not_evaluated"]:
        return []
    lines = ["", "## Not evaluated: %d host(s), never counted as passed" % report["summary"]["not_evaluated"], "",
             "| Why | Hosts | Example |", "|---|---|---|"]
    hosts = report["hosts"]
    for reason, members in report.not_evaluated:
        lines.append("| %s | %d: %s | %s: %s |" % (_md(reason), len(members), _md(names(members, MD_HOSTS)),
                                                   _md(members[0]), _md(hosts[members[0]]["reason"])))
    return lines


def _md_appendix(report):
    lines = ["", "## Every host"]
    hosts = report["hosts"]
    for name in report.sorted_hosts:
        entry = hosts[name]
        lines += ["", "### %s: %s" % (_md(name), verdict_label(entry["verdict"])), ""]
        if entry["reason"]:
            lines += [_md(entry["reason"]), ""]
        lines += ["| Check | Target | Status | Message |", "|---|---|---|---|"]
        lines += ["| %s | %s | %s | %s |" % (_md_code(r["id"]), _md_code(r["target"]), r["status"], _md(r.get("message")))
                  for r in entry["results"]]
    return lines


def render_markdown(report, list_hosts=False, appendix=False):
    """What a person pastes into a ticket: bounded for any fleet unless `appendix` adds every host."""
    lines = ["# Backup precheck report", "",
             "Run %s at %s%s." % (_md_code(report["run_id"]), report["generated_at"],
                                  ", playbook %s" % _md_code(report["playbook"]) if report["playbook"] else "")]
    if report.get("merged_from"):
        lines += ["", "Merged from %d report(s): %s." % (len(report["merged_from"]), _md(names(
            (m.get("source") or m.get("run_id") for m in report["merged_from"]), MD_HOSTS)))]
    lines += ["", "**%s**" % _md(report.headline())]
    lines += _md_checks(report)
    shown = 0
    for disposition, title in MD_SECTIONS:
        groups = report.groups(disposition)
        if not groups:
            continue
        lines += ["", "## %s: %d problem(s) on %d host(s)" % (title, len(groups), len(report.hosts_of(disposition)))]
        for group in groups:
            detailed = shown < MD_GROUPS
            lines += _md_group(report, group, MD_EXAMPLES if detailed else 0)
            shown += 1
    skipped = report.skipped_groups()
    if skipped:
        lines += ["", "## Skipped checks", ""]
        lines += ["- %s: %s, on %s" % (_md_code(g["code"]), counts_text(g), _md(names(g["hosts"], MD_HOSTS)))
                  for g in skipped]
    lines += _md_not_evaluated(report)
    not_ready = [name for name in report.sorted_hosts if report["hosts"][name]["verdict"] != READY]
    if list_hosts or appendix or report["summary"]["hosts"] <= SMALL_FLEET:
        lines += ["", "## Hosts"] + _md_host_rows(report, report.sorted_hosts)
    elif not_ready:
        lines += ["", "## Hosts that are not ready: %d (%d ready hosts are counted, not listed)" % (
            len(not_ready), report["summary"]["ready"])]
        lines += _md_host_rows(report, not_ready[:MD_HOST_ROWS])
        if len(not_ready) > MD_HOST_ROWS:
            lines += ["", "... and %d more: see precheck.html." % (len(not_ready) - MD_HOST_ROWS)]
    if appendix:
        lines += _md_appendix(report)
    return "\n".join(lines) + "\n"
