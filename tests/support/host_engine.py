"""Runs host engine items in-process, the way host_precheck does (its argument defaults, its validation,
the runner), so that unit tests judge fixture roots through the real gathering code."""

import os

import pytest

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import registry, runner
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import engine


def params(**overrides):
    values = dict((name, spec.get("default")) for name, spec in engine.ENGINE.argument_spec.items())
    values.update(overrides)
    return values


def run(checks, **overrides):
    """Results of the selected host items with these options; invalid options fail the test."""
    values = params(**overrides)
    problems = engine.validate(values)
    assert not problems, problems
    selected, skipped = registry.select("host", checks, values.get("skip") or [])
    return runner.run_checks(selected, engine.host_context(values), skipped, concurrent=True)


def one(check, **overrides):
    """The one result of a check that gives one."""
    results = run([check], **overrides)
    assert len(results) == 1, results
    return results[0]


def migrate(check, root, **overrides):
    """The one result of a migration readiness item on the fixture root `root`."""
    return one(check, root=str(root), migrate=True, **overrides)


# Tests that switch accounts, mount, or build namespaces and loop devices. CI runs as root; elsewhere they
# are skipped with this reason rather than judged half-way.
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (switches accounts, mounts, namespaces)")
