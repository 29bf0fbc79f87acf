# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Saves the first result of each engine module (BENCH_CAPTURE_MODULES) as
$BENCH_CAPTURE_DIR/<module>.json, without what Ansible adds to it, with the names of the arguments
the module keeps secret (no_log): the floor's trivial modules return exactly that."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible.plugins.callback import CallbackBase

HIDDEN = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
ADDED = ("invocation", "item", "ansible_loop_var", "ansible_index_var", "ansible_loop")


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_capture"
    CALLBACK_NEEDS_ENABLED = True

    def v2_runner_on_ok(self, result):
        if not result._task.loop:
            self._keep(result)

    def v2_runner_item_on_ok(self, result):
        self._keep(result)

    def _keep(self, result):
        name = result._task.action.rsplit(".", 1)[-1]
        if name not in os.environ["BENCH_CAPTURE_MODULES"].split(","):
            return
        path = os.path.join(os.environ["BENCH_CAPTURE_DIR"], name + ".json")
        if os.path.exists(path):
            return
        returned = dict(result._result)
        arguments = returned.get("invocation", {}).get("module_args", {})
        dropped = set(ADDED) | set([returned.get("ansible_loop_var")])
        kept = dict((key, value) for key, value in returned.items() if key not in dropped and not key.startswith("_ansible"))
        with open(path, "w") as handle:
            json.dump({"no_log": [key for key, value in arguments.items() if value == HIDDEN], "result": kept}, handle,
                      default=str)
