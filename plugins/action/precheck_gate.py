# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller side of cloudbackup.precheck.precheck_gate (documented in plugins/modules)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.plugins.action import ActionBase

from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import gate

ARGUMENT_SPEC = {
    "run_id": {"type": "str"},
    "bypass": {"type": "bool", "default": False},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host = task_vars.get("inventory_hostname", "this host")
        host_fact = task_vars.get("cloudbackup_precheck")
        if (not isinstance(host_fact, Mapping) or args["run_id"] is None
                or host_fact.get("run_id") != args["run_id"]):
            return dict(result, failed=True, msg=(
                "%s has no precheck results from this run (a cached or earlier fact does not count): run the role "
                "cloudbackup.precheck.precheck before the gate." % host))
        blocking = host_fact.get("blocking") or []
        # Anything but an explicit "ready" blocks: a malformed fact must not pass a host.
        if host_fact.get("ready") is True and not blocking:
            return dict(result, changed=False, ready=True, msg="%s is ready for backup deployment." % host)
        if not args["bypass"]:
            return dict(result, failed=True, ready=False, msg=gate.gate_message(host_fact, host))
        text = ("The precheck gate is BYPASSED for %s (cloudbackup_precheck_gate_bypass): %d blocking finding(s)%s "
                "were not enforced." % (host, len(blocking), "" if host_fact.get("evaluated", True)
                                        else " and a host that was not evaluated"))
        return dict(result, changed=False, ready=False, bypassed=True, msg=text, warnings=[text])
