# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check items registered by id, selected by name or @tag, and run so that one crash hides nothing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time
import traceback

from ansible_collections.cloudbackup.precheck.plugins.module_utils import results as R

REGISTRY = {}

SECRET_MASK = "********"


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


class SelectionError(ValueError):
    pass


class Check:
    def __init__(self, check_id, title, engine, impact, run, tags=(), references=(), rule="",
                 permissions="", versions="", applies=None):
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


def register(check_id, title, impact, **meta):
    """Decorator: the decorated function takes a Context and returns a list of outcomes."""

    def decorator(run):
        if check_id in REGISTRY:
            raise ValueError("check %s registered twice" % check_id)
        REGISTRY[check_id] = Check(check_id, title, check_id.split(".", 1)[0], impact, run, **meta)
        return run

    return decorator


def checks_for(engine):
    return [check for check in REGISTRY.values() if check.engine == engine]


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


class Context:
    """What checks share during one run: options, the default target, memoized gathering."""

    def __init__(self, params, target, secrets=()):
        self.params = params
        self.target = target
        self.secrets = [s for s in secrets if s]
        self._cache = {}
        self._lock = threading.RLock()

    def cached(self, key, producer):
        """Gather once per run; a failure is remembered too, so a dead server is asked once."""
        with self._lock:
            if key not in self._cache:
                try:
                    self._cache[key] = (producer(), None)
                except PrecheckError as exc:
                    self._cache[key] = (None, exc)
            value, exc = self._cache[key]
        if exc is not None:
            raise exc
        return value


def _complete(check, outcome, duration_ms):
    result = dict(outcome)
    result.update({
        "id": check.id,
        "code": "%s/%s" % (check.id, outcome.get("code") or outcome["status"]),
        "title": check.title,
        "engine": check.engine,
        "impact": list(check.impact),
        "references": list(check.references),
        "duration_ms": duration_ms,
    })
    return dict((key, result[key]) for key in R.RESULT_KEYS)


def _error_outcome(check, exc, context, selected_ids):
    if exc.source and exc.source != check.id and exc.source in selected_ids:
        return R.error(context.target, "Not run: %s failed (%s); see that result." % (exc.source, exc.cause),
                       "dependency", details={"depends_on": exc.source})
    return R.error(context.target, exc.message, exc.cause, exc.remediation, exc.details)


def _run_one(check, context, selected_ids):
    start = time.monotonic()
    try:
        reason = check.applies(context) if check.applies else None
        if reason:
            outcomes = [R.skipped(context.target, reason)]
        else:
            outcomes = check.run(context) or []
    except PrecheckError as exc:
        outcomes = [_error_outcome(check, exc, context, selected_ids)]
    except Exception as exc:  # pylint: disable=broad-except
        # One broken check must not hide the others: it becomes an error result of its own.
        where = traceback.extract_tb(exc.__traceback__)[-1]
        outcomes = [R.error(context.target, "Check %s crashed: %s: %s (%s:%d). Please report this bug."
                            % (check.id, type(exc).__name__, exc, where.filename.rsplit("/", 1)[-1],
                               where.lineno), "internal")]
    duration_ms = int((time.monotonic() - start) * 1000)
    return [_complete(check, o, duration_ms) for o in outcomes]


def parallel_map(function, items):
    """Run independent work side by side (checks, network probes): each piece has its own deadline,
    so the whole costs about one timeout instead of their sum."""
    items = list(items)
    out = [None] * len(items)

    def work(index):
        out[index] = function(items[index])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(items))]
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        thread.join()
    return out


def run_checks(selected, context, skipped=(), concurrent=False):
    """Run the selection; `concurrent` runs the checks side by side (network probes, not SQL
    over one shared connection), so that a host with every endpoint black-holed costs one timeout."""
    selected_ids = set(check.id for check in selected)
    if concurrent:
        chunks = parallel_map(lambda check: _run_one(check, context, selected_ids), selected)
    else:
        chunks = [_run_one(check, context, selected_ids) for check in selected]
    results = [r for chunk in chunks for r in chunk]
    for check in skipped:
        results.append(_complete(check, R.skipped(context.target, "Skipped by configuration (skip list)."), 0))
    return scrub(results, context.secrets)


def scrub(value, secrets):
    """Mask any secret that a driver might have echoed into a message (defence in depth)."""
    if not secrets:
        return value
    if isinstance(value, dict):
        return dict((k, scrub(v, secrets)) for k, v in value.items())
    if isinstance(value, list):
        return [scrub(v, secrets) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, SECRET_MASK)
    return value
