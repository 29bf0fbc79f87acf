# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One wrapper for every module: selection, validation, the run, and the documented return."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.parameters import remove_values

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import options as O
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.endpoints import endpoint_of
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import registry
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import runner
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import secrets

# Keys of an option declaration that document it (tools/generate.py) or that core checks (core/options.py),
# and that AnsibleModule does not take.
DOC_KEYS = ("description", "role_default", "role", "version_added") + O.RULE_KEYS

SELECTION_OPTIONS = dict(
    checks=dict(type="list", elements="str", default=["all"], description=(
        "The check items to run, by id (V(sqlserver.recovery_model)), by short name (V(recovery_model)), by tag "
        "(V(@network)), or V(all).",
        "An unknown name or tag fails the task before anything runs, listing the known ones.",
    )),
    skip=dict(type="list", elements="str", default=[], description=(
        "Check items not to run, in the same forms as O(checks). Each appears in RV(check_results) as V(skipped), "
        "so that a report shows what was left out on purpose.",
    )),
)

# Every engine that checks configured instances (a role list of them) takes this option.
LABEL_OPTION = dict(type="str", description=(
    "A name for this instance, shown in every target before its address in parentheses, and in the reports. "
    "The role passes the C(name) of the instance.",
))

# A host pays one timeout for every silent endpoint of its engines: the host engine, which runs
# first, probes the endpoints of the instances checked from the host, all at once, and each
# instance's module is told which stayed silent (no TCP answer), so that it does not wait again.
PROBE_OPTION = dict(type="list", elements="str", default=[], role=False, description=(
    "The C(host:port) endpoints of the instances that are checked from this host (the role passes them), to probe "
    "with TCP at once with the host's own probes, within O(timeout). Those that do not answer are returned in "
    "RV(unanswered_endpoints).",
))

UNANSWERED_OPTION = dict(type="list", elements="str", default=[], role=False, description=(
    "C(host:port) endpoints that did not answer TCP in an earlier probe from the same host (the role passes the "
    "RV(cloudbackup.precheck.host_precheck#module:unanswered_endpoints) of the host's task). When this instance's "
    "endpoint is one of them, the connection check is an V(error) of cause V(timeout) at once, naming the endpoint, "
    "and the other checks are not run: the host does not wait for a silent endpoint twice.",
))


def argument_spec(options):
    """The AnsibleModule argument spec of option declarations: their documentation keys stripped."""
    spec = {}
    for name, option in options.items():
        entry = dict((key, copy.deepcopy(value)) for key, value in option.items() if key not in DOC_KEYS)
        if "options" in entry:
            entry["options"] = argument_spec(entry["options"])
        spec[name] = entry
    return spec


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
    """An engine, declared once: its options (AnsibleModule spec entries with their `description`),
    their validation, how to build the run's context (connection, target), whether its checks may
    run side by side, and the files of its items (imported by the engine, so that they are registered
    and bundled with its modules). The rest documents the engine for tools/generate.py: `title`,
    `description`, `examples` (YAML of tasks for the engine module), `requirements`, `notes`, and
    `instances`, the suffix of the role variable listing what to check (None: the host itself, whose
    options are role variables of their own); `role_args` maps an option to the Jinja expression
    the role passes for it instead of the instance's value. `endpoint` declares how an instance's
    `host:port` is found in its options (core.endpoints.endpoint_of), `endpoint_prober(endpoints, params)`
    makes the engine the one that probes them first (the host engine): it starts the probe and
    returns a function that gives the endpoints that did not answer."""

    def __init__(self, name, options, context, validate=None, concurrent=False, items=(), title=None,
                 description=(), examples="", requirements=(), notes=(), instances=None, role_args=None,
                 endpoint=None, endpoint_prober=None, **module_kwargs):
        self.name = name
        self.items = tuple(items)
        registry.order_items(name, self.items)
        self.options = dict(options)
        if instances:
            self.options["label"] = LABEL_OPTION
        self.endpoint = endpoint
        if endpoint:
            self.options["unanswered_endpoints"] = UNANSWERED_OPTION
        self.endpoint_prober = endpoint_prober
        if endpoint_prober:
            self.options["probe_endpoints"] = PROBE_OPTION
        self.context = context
        self.validate = validate
        self.concurrent = concurrent
        self.title = title or name
        self.description = tuple(description)
        self.examples = examples
        self.requirements = tuple(requirements)
        self.notes = tuple(notes)
        self.instances = instances
        self.role_args = dict(role_args or {})
        self.module_kwargs = module_kwargs
        self.argument_spec = argument_spec(self.all_options())

    def problems(self, params):
        """What is wrong with the module's arguments: the rules declared with the options, checked in
        core for every engine (core/options.py), then the engine's own validation, less what it says
        again of an option that broke a declared rule."""
        problems = O.problems(self.all_options(), params)
        named = set(problem.split(":", 1)[0] for problem in problems)
        own = self.validate(params) if self.validate else []
        return problems + [problem for problem in own if problem.split(":", 1)[0] not in named]

    def all_options(self):
        """The engine's options, then each item's own, in the order of the items."""
        options = dict(self.options)
        for check in registry.checks_for(self.name):
            for option, declaration in check.options.items():
                if option in options:
                    raise ValueError("option %s of %s is declared twice" % (option, check.id))
                options[option] = declaration
        return options


def run_module(engine, check_id=None):
    """The whole of a module's main(). `check_id` makes a per-item module (that one check);
    without it, an engine module with a `checks`/`skip` selection.

    Bad input fails before anything is probed, naming the option and the valid form. Check mode
    runs the same read-only checks: a precheck in check mode must really check."""
    spec = copy.deepcopy(engine.argument_spec)
    if check_id is None:
        spec.update(argument_spec(SELECTION_OPTIONS))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **engine.module_kwargs)
    problems = engine.problems(module.params)
    if problems:
        finish(module, failed=True, msg="Invalid arguments: " + "; ".join(problems))
    try:
        if check_id is None:
            selected, skipped = registry.select(engine.name, module.params["checks"], module.params["skip"])
        else:
            selected, skipped = registry.select(engine.name, [check_id])
    except registry.SelectionError as exc:
        finish(module, failed=True, msg=str(exc))
    context = engine.context(module.params)
    extra = {}
    if engine.endpoint_prober:
        probing = engine.endpoint_prober(module.params["probe_endpoints"], module.params)
    results = runner.run_checks(selected, context, skipped, concurrent=engine.concurrent,
                                precondition=silent_before(engine, module.params))
    if engine.endpoint_prober:
        extra["unanswered_endpoints"] = probing()
    finish(module, changed=False, schema_version=R.SCHEMA_VERSION, check_results=results,
           summary=R.summarize(results), msg=headline(engine.name, context.target, results), **extra)


def finish(module, failed=False, **returned):
    """Exit or fail with secrets masked by the collection's rule (core/secrets.py): the results are
    scrubbed already, field by field, and `msg` is masked here. AnsibleModule would mask every no_log
    value in every returned string, enumerated fields too: a password `e` turned `passed` into
    `pass********d`, `p` an option named in a message into `esxi_********orts`. Only the module's
    arguments, as Ansible returns them in `invocation`, are masked its way."""
    returned["msg"] = secrets.mask_text(returned["msg"], module.no_log_values)
    returned["invocation"] = {"module_args": remove_values(module.params, module.no_log_values)}
    module.no_log_values = set()
    if failed:
        module.fail_json(**returned)
    module.exit_json(**returned)


def silent_before(engine, params):
    """The PrecheckError every check of this run raises when the instance's endpoint stayed silent in
    the host's earlier probe: its connection check owns it, the others are not run."""
    endpoint = endpoint_of(params, engine.endpoint) if engine.endpoint else None
    if endpoint is None or endpoint not in (params.get("unanswered_endpoints") or []):
        return None
    return registry.PrecheckError(
        "timeout", "%s did not answer: its TCP connection timed out when this host probed its engines' endpoints "
        "at once, earlier in this run, so it was not tried again." % endpoint,
        "Check that the server listens on %s and that no firewall or security group drops the traffic from this host "
        "to it." % endpoint, source="%s.connection" % engine.name,
        details={"endpoint": endpoint, "silent_in_earlier_probe": True})
