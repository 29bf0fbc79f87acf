# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller side of cloudbackup.precheck.merge_reports (documented in plugins/modules)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import report, report_merge

ARGUMENT_SPEC = {
    "src": {"type": "list", "elements": "path", "required": True},
    "dest": {"type": "path", "required": True},
    "formats": {"type": "list", "elements": "str", "default": list(report.FORMATS)},
    "list_hosts": {"type": "bool", "default": False},
    "markdown_appendix": {"type": "bool", "default": False},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        formats, unknown = report.parse_formats(args["formats"])
        if unknown or not formats:
            return dict(result, failed=True, msg="formats: unknown format(s) %s; valid formats: %s" % (
                ", ".join(unknown) or "(none given)", ", ".join(report.FORMATS)))
        try:
            merged = report_merge.merge_files(args["src"])
        except report_merge.MergeError as exc:
            return dict(result, failed=True, msg=str(exc))
        written, failures = report.write_reports(merged, args["dest"], formats, list_hosts=args["list_hosts"],
                                                 appendix=args["markdown_appendix"])
        if failures:
            return dict(result, failed=True, files=written, msg="; ".join(
                "%s report failed (%s: %s)" % (fmt, type(exc).__name__, exc) for fmt, exc in failures))
        summary = merged["summary"]
        result.update(
            changed=True, files=written, run_id=merged["run_id"], interrupted=merged["interrupted"],
            summary=dict((key, summary[key]) for key in ("hosts", "ready", "blocked", "not_evaluated", "verdicts")),
            sources=merged["merged_from"],
            report=report.render_terminal(merged, written, list_hosts=args["list_hosts"]).splitlines())
        return result
