# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One wrapper for every module: selection, validation, the run, and the documented return."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import registry
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import runner
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R

SELECTION_ARGS = dict(
    checks=dict(type="list", elements="str", default=["all"]),
    skip=dict(type="list", elements="str", default=[]),
)


def headline(engine, target, results):
    """The task's `msg`: counts, then the first blocking message so that -v output is useful."""
    summary = R.summarize(results)
    counts = ", ".join("%d %s" % (summary[s], s) for s in R.STATUSES if summary[s])
    text = "%s precheck of %s: %s" % (engine, target, counts or "no checks selected")
    for status in ("error", "failed", "warning"):
        for result in results:
            if result["status"] == status:
                return "%s. First %s: %s: %s" % (text, status, result["id"], result["message"])
    return text + "."


class Engine:
    """What a module needs to know of an engine: its options, their validation, how to build the
    run's context (connection, target), whether its checks may run side by side, and the files of
    its items (imported by the engine, so that they are registered and bundled with its modules)."""

    def __init__(self, name, argument_spec, context, validate=None, concurrent=False, items=(), title=None,
                 instances=None, description=None, **module_kwargs):
        self.name = name
        # What the generated docs and role wiring need: a display name, the role variable suffix
        # (cloudbackup_precheck_<instances>) and one sentence for the engine module's docs.
        self.title = title
        self.instances = instances
        self.description = description
        self.items = tuple(items)
        registry.order_items(name, self.items)
        self.argument_spec = argument_spec
        self.context = context
        self.validate = validate
        self.concurrent = concurrent
        self.module_kwargs = module_kwargs


def run_module(engine, check_id=None):
    """The whole of a module's main(). `check_id` makes a per-item module (that one check);
    without it, an engine module with a `checks`/`skip` selection.

    Bad input fails before anything is probed, naming the option and the valid form. Check mode
    runs the same read-only checks: a precheck in check mode must really check."""
    spec = copy.deepcopy(engine.argument_spec)
    if check_id is None:
        spec.update(copy.deepcopy(SELECTION_ARGS))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **engine.module_kwargs)
    problems = list(engine.validate(module.params)) if engine.validate else []
    if problems:
        module.fail_json(msg="Invalid arguments: " + "; ".join(problems))
    try:
        if check_id is None:
            selected, skipped = registry.select(engine.name, module.params["checks"], module.params["skip"])
        else:
            selected, skipped = registry.select(engine.name, [check_id])
    except registry.SelectionError as exc:
        module.fail_json(msg=str(exc))
    context = engine.context(module.params)
    results = runner.run_checks(selected, context, skipped, concurrent=engine.concurrent)
    module.exit_json(
        changed=False,
        schema_version=R.SCHEMA_VERSION,
        check_results=results,
        summary=R.summarize(results),
        msg=headline(engine.name, context.target, results),
    )
