# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The result schema shared by every module, the role, the gate and the report.

Reports, the gate and the fact all read these dicts, so the keys are a contract: add keys only
with a new SCHEMA_VERSION, never rename them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# 2 added `code`, a stable code per kind of finding, so that reports group one problem across targets.
SCHEMA_VERSION = 2

STATUSES = ("passed", "warning", "failed", "error", "skipped")

# Worst first: a host's verdict is its worst status.
SEVERITY_ORDER = ("error", "failed", "warning", "passed", "skipped")

IMPACTS = ("backup", "restore", "log_backup", "incremental_backup", "all_operations")

# Causes of an `error` result, so that a report can tell "fix the network" from "fix the grant".
ERROR_CAUSES = (
    "unreachable",
    "dns",
    "refused",
    "timeout",
    "tls",
    "protocol",
    "login_failed",
    "listener_refused",
    "driver_missing",
    "permission",
    "dependency",
    # The check cannot run on this kind of system: a Linux-only gatherer on Windows, the /proc of an image.
    "unsupported",
    "internal",
)

# The keys of a result, with their type and meaning: the modules' RETURN docs are generated from this.
RESULT_FIELDS = (
    ("id", "str", "The check item id, C(<engine>.<item>)."),
    ("code", "str", "A stable code for the kind of finding, C(<id>/<kind>); the same problem on any target has the "
                    "same code, so that reports group by it."),
    ("title", "str", "What the check item verifies."),
    ("engine", "str", "The engine the item belongs to."),
    ("target", "str", "What was checked: an endpoint, a route, an instance (after its label, if one was given), a "
                      "database."),
    ("status", "str", "V(passed), V(warning), V(failed), V(error) (could not check) or V(skipped) (not applicable)."),
    ("impact", "list", "What a failure prevents: V(backup), V(restore), V(log_backup), V(incremental_backup), "
                       "V(all_operations)."),
    ("message", "str", "One line that names the object, the cause and the consequence."),
    ("remediation", "str", "What to do about it; empty when nothing is to be done."),
    ("details", "dict", "Observed values behind the verdict."),
    ("references", "list", "The vendor codes the item answers, such as V(HBR:OSS_INTERNAL_ENDPOINT_CONNECTIVITY)."),
    ("cause", "str", "The classified cause of an V(error) (and of a network V(failed)), such as V(dns), V(refused), "
                     "V(timeout), V(tls), V(login_failed), V(permission), V(driver_missing), V(dependency); null "
                     "otherwise."),
    ("duration_ms", "int", "How long the check item took."),
)

RESULT_KEYS = tuple(name for name, _kind, _text in RESULT_FIELDS)


def outcome(status, target, message, remediation="", details=None, cause=None, code=None):
    """What a judging function returns; the runner adds the check's identity and timing.

    `code` names the kind of finding within the check (`simple_with_log_planned`); the runner
    prefixes the check id. Without one, an error's kind is its cause (`sqlserver.connection/timeout`)
    and any other outcome's its status (`sqlserver.recovery_model/failed`)."""
    if status not in STATUSES:
        raise ValueError("unknown status %r" % (status,))
    return {
        "code": code or (cause if status == "error" and cause else status),
        "status": status,
        "target": target,
        "message": message,
        "remediation": remediation or "",
        "details": dict(details or {}),
        "cause": cause,
    }


def passed(target, message, details=None, code=None):
    return outcome("passed", target, message, details=details, code=code)


def warning(target, message, remediation="", details=None, code=None):
    return outcome("warning", target, message, remediation, details, code=code)


def failed(target, message, remediation="", details=None, cause=None, code=None):
    return outcome("failed", target, message, remediation, details, cause=cause, code=code)


def error(target, message, cause, remediation="", details=None, code=None):
    return outcome("error", target, message, remediation, details, cause=cause, code=code)


def skipped(target, message, details=None, code=None):
    return outcome("skipped", target, message, details=details, code=code)


def summarize(results):
    """Counts per status, every status present so that consumers need no defaults."""
    counts = dict((status, 0) for status in STATUSES)
    for result in results:
        counts[result["status"]] += 1
    counts["total"] = len(results)
    return counts


def worst_status(results):
    statuses = set(result["status"] for result in results)
    for status in SEVERITY_ORDER:
        if status in statuses:
            return status
    return "skipped"
