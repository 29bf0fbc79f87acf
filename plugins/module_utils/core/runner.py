# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs a selection of checks so that one crash hides nothing, and scrubs secrets from the results'
free text (core/secrets.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time
import traceback

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import secrets
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError


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


def _outcomes(check, context, selected_ids, precondition=None):
    try:
        if precondition is not None:
            # Not even `applies`: it may read the server that is known to be silent.
            raise precondition
        reason = check.applies(context) if check.applies else None
        if reason:
            return [R.skipped(context.target, reason)]
        return check.run(context) or []
    except PrecheckError as exc:
        return [_error_outcome(check, exc, context, selected_ids)]


def _crash(check, context, exc):
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return R.error(context.target, "Check %s crashed: %s: %s (%s:%d). Please report this bug."
                   % (check.id, type(exc).__name__, exc, where.filename.rsplit("/", 1)[-1], where.lineno), "internal")


def _run_one(check, context, selected_ids, precondition=None):
    """The check's results; any crash, also one in making results of what it returned, becomes an
    `internal` error result of its own, so that one broken check hides nothing."""
    start = time.monotonic()
    try:
        outcomes = _outcomes(check, context, selected_ids, precondition)
        return [_complete(check, o, int((time.monotonic() - start) * 1000)) for o in outcomes]
    except Exception as exc:  # pylint: disable=broad-except
        return [_complete(check, _crash(check, context, exc), int((time.monotonic() - start) * 1000))]


def parallel_map(function, items):
    """Run independent work side by side (checks, network probes): each piece has its own deadline,
    so the whole costs about one timeout instead of their sum. A piece that raised raises here, once
    all are done: a lost exception would leave a hole in the results."""
    items = list(items)
    out = [None] * len(items)
    raised = [None] * len(items)

    def work(index):
        try:
            out[index] = function(items[index])
        except BaseException as exc:  # pylint: disable=broad-except
            raised[index] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(items))]
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        thread.join()
    for exc in raised:
        if exc is not None:
            raise exc
    return out


def run_checks(selected, context, skipped=(), concurrent=False, precondition=None):
    """Run the selection; `concurrent` runs the checks side by side (network probes, not SQL
    over one shared connection), so that a host with every endpoint black-holed costs one timeout.
    `precondition`, a PrecheckError, is what every check raises instead of running (the instance is
    known to be silent): the check it names as its source reports it, the others are not run."""
    selected_ids = set(check.id for check in selected)
    if precondition is not None and precondition.source not in selected_ids:
        # Without its owner selected, each check reports the failure itself.
        precondition = PrecheckError(precondition.cause, precondition.message, precondition.remediation,
                                     details=precondition.details)
    if concurrent:
        chunks = parallel_map(lambda check: _run_one(check, context, selected_ids, precondition), selected)
    else:
        chunks = [_run_one(check, context, selected_ids, precondition) for check in selected]
    results = [r for chunk in chunks for r in chunk]
    for check in skipped:
        results.append(_complete(check, R.skipped(context.target, "Skipped by configuration (skip list)."), 0))
    return [secrets.scrub_result(result, context.secrets) for result in results]
