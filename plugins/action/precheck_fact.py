# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller side of cloudbackup.precheck.precheck_fact (documented in plugins/modules)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible import constants as C
from ansible.plugins.action import ActionBase

from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import fact, role_inputs

FACT_NAME = "cloudbackup_precheck"
REPORT_CALLBACK = "cloudbackup.precheck.precheck_report"

ARGUMENT_SPEC = {
    "registered": {"type": "list", "elements": "str", "required": True},
    "run_id": {"type": "str", "required": True},
    "policy": {"type": "dict", "default": {}},
    "cacheable": {"type": "bool", "default": False},
    "skip": {"type": "list", "elements": "raw", "default": []},
    "validate_role_inputs": {"type": "bool", "default": True},
}


def report_dir_warning(task_vars):
    """Asked for report files without the callback that writes them: say it once, on the play's first host."""
    directory = os.environ.get("CLOUDBACKUP_PRECHECK_REPORT_DIR", "")
    first = (task_vars.get("ansible_play_hosts") or [None])[0]
    if not directory or task_vars.get("inventory_hostname") != first:
        return None
    if REPORT_CALLBACK in (C.config.get_config_value("CALLBACKS_ENABLED") or []):
        return None
    return ("CLOUDBACKUP_PRECHECK_REPORT_DIR is set (%s), but the callback %s is not enabled, so no report file is "
            "written there. Enable it with callbacks_enabled = %s in the [defaults] section of ansible.cfg, or "
            "ANSIBLE_CALLBACKS_ENABLED=%s." % (directory, REPORT_CALLBACK, REPORT_CALLBACK, REPORT_CALLBACK))


def headline(host_fact):
    summary = host_fact["summary"]
    counts = ", ".join("%d %s" % (summary[s], s) for s in ("failed", "error", "warning", "passed", "skipped") if summary[s])
    verdict = "ready" if host_fact["ready"] else "not ready"
    if not host_fact["evaluated"]:
        verdict += ", not evaluated"
    return "%d result(s)%s: %s, %d blocking, %d accepted." % (
        summary["total"], " (%s)" % counts if counts else "", verdict, len(host_fact["blocking"]),
        len(host_fact["accepted"]))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        problems = role_inputs.skip_problems(args["skip"])
        if args["validate_role_inputs"]:
            problems += role_inputs.control_character_problems(lambda name: self._variable(task_vars, name))
        if problems:
            return dict(result, failed=True, msg="Invalid role variables: " + "; ".join(problems))
        # The registered results are read as they are: templating them would copy every result.
        registered = [task_vars.get(name) for name in args["registered"]]
        try:
            host_fact = fact.build(registered, args["run_id"], args["policy"])
        except ValueError as exc:
            return dict(result, failed=True, msg=str(exc))
        result.update(host_fact)
        result.update(changed=False, msg=headline(host_fact))
        if args["cacheable"]:
            result["ansible_facts"] = {FACT_NAME: host_fact}
        warning = report_dir_warning(task_vars)
        if warning:
            result.setdefault("warnings", []).append(warning)
        return result

    def _variable(self, task_vars, name):
        value = task_vars.get(role_inputs.PREFIX + name)
        return None if value is None else self._templar.template(value)
