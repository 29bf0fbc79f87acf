# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check items: their declaration, the registry they are kept in, and selection by name or @tag."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R

REGISTRY = {}

# engine -> the names of its item modules, in the order its results and its catalog list them.
ITEM_ORDER = {}


class PrecheckError(Exception):
    """A check could not run: the cause is classified so that the report can say what to fix.

    `source` names the check that owns the failure (the connection check owns a failed login), so
    that the other checks say they were not run instead of repeating the same error.
    """

    def __init__(self, cause, message, remediation="", source=None, details=None):
        super(PrecheckError, self).__init__(message)
        self.cause = cause
        self.message = message
        self.remediation = remediation
        self.source = source
        self.details = details or {}


def missing_driver(driver, package, exc, source, where="on the host that runs the check"):
    """The `driver_missing` error of an engine whose Python driver `package` could not be imported;
    `driver` names it in the message ("The MySQL driver PyMySQL")."""
    return PrecheckError(
        "driver_missing",
        "%s is not installed for the Python that runs the module (%s): %s." % (driver, sys.executable, exc),
        "pip install %s (with the interpreter %s %s)." % (package, sys.executable, where), source=source)


class SelectionError(ValueError):
    pass


class Check:
    """One check item, declared once: everything else (its module, the role's plumbing, the catalog,
    the option docs) is derived from this declaration by tools/generate.py.

    `options` are the item's own options, declared like the engine's (an AnsibleModule spec entry
    plus its `description`); an option several items read belongs to the engine."""

    def __init__(self, check_id, title, engine, impact, run, tags=(), references=(), rule="",
                 permissions="", versions="", applies=None, options=None):
        unknown = [i for i in impact if i not in R.IMPACTS]
        if unknown:
            raise ValueError("check %s: unknown impact %s" % (check_id, unknown))
        self.id = check_id
        self.short_name = check_id.split(".", 1)[1]
        self.title = title
        self.engine = engine
        self.impact = list(impact)
        self.run = run
        self.tags = list(tags)
        self.references = list(references)
        self.rule = rule
        self.permissions = permissions
        self.versions = versions
        self.applies = applies
        self.options = dict(options or {})


def register(check_id, title, impact, engine=None, **meta):
    """Decorator: the decorated function takes a Context and returns a list of outcomes.

    An item belongs to the engine its id starts with, unless `engine` names another: the host
    engine runs `files.*` and `migrate.*` items in its one task, because they read the same host.
    Short names must stay unique within an engine, since selection accepts them."""

    def decorator(run):
        if check_id in REGISTRY:
            raise ValueError("check %s registered twice" % check_id)
        check = Check(check_id, title, engine or check_id.split(".", 1)[0], impact, run, **meta)
        clash = [c.id for c in REGISTRY.values() if c.engine == check.engine and c.short_name == check.short_name]
        if clash:
            raise ValueError("check %s: short name %s is already used by %s" % (check_id, check.short_name, clash[0]))
        REGISTRY[check_id] = check
        return run

    return decorator


def order_items(engine, modules):
    """Fix the order of an engine's items by the order of their files, whatever the import order."""
    ITEM_ORDER[engine] = [module.__name__ for module in modules]


def checks_for(engine):
    checks = [check for check in REGISTRY.values() if check.engine == engine]
    order = ITEM_ORDER.get(engine, [])

    def rank(check):
        module = check.run.__module__
        return order.index(module) if module in order else len(order)
    return sorted(checks, key=rank)  # stable: registration order within a file


def select(engine, names, skip=()):
    """Resolve `names` (ids, short names, `@tag`, `all`) and `skip` into (selected, skipped).

    Unknown names fail, listing what is known, before anything runs.
    """
    available = checks_for(engine)
    by_name = {}
    for check in available:
        by_name[check.id] = check
        by_name[check.short_name] = check
    tags = sorted(set(tag for check in available for tag in check.tags))

    def resolve(name, option):
        if name in ("all", "@all"):
            return available
        if name.startswith("@"):
            tagged = [check for check in available if name[1:] in check.tags]
            if not tagged:
                raise SelectionError("%s: unknown tag '%s'; known tags: %s"
                                     % (option, name, ", ".join("@" + t for t in ["all"] + tags)))
            return tagged
        if name not in by_name:
            raise SelectionError("%s: unknown check '%s'; known checks: %s"
                                 % (option, name, ", ".join(check.id for check in available)))
        return [by_name[name]]

    wanted = set()
    for name in names:
        wanted.update(check.id for check in resolve(name, "checks"))
    unwanted = set()
    for name in skip:
        unwanted.update(check.id for check in resolve(name, "skip"))
    selected = [check for check in available if check.id in wanted and check.id not in unwanted]
    skipped = [check for check in available if check.id in wanted and check.id in unwanted]
    return selected, skipped
