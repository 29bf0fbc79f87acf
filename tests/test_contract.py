"""The contract every check item keeps, whichever engine it belongs to: the test a new item must pass.

An item declared with @register(...) must have its module in its engine's action group, a row in
docs/checks.md, its options passed by the role, and a unit test that calls its judge. That each
status it can return comes out of a functional scenario is checked when the functional suite has
run (tests/conftest.py, at the end of the session).
"""

import os
import re

import pytest
import yaml

import contract

ROOT = contract.ROOT
REGISTRY = contract.registry()
ENGINES = dict((engine.name, engine) for engine in contract.engines())
CHECKS = sorted(REGISTRY.REGISTRY.values(), key=lambda check: check.id)


def read(path):
    with open(os.path.join(ROOT, path)) as handle:
        return handle.read()


def ids(check):
    return check.id


@pytest.mark.parametrize("check", CHECKS, ids=ids)
def test_the_item_has_its_module_in_its_action_group(check):
    name = check.id.replace(".", "_")
    path = "plugins/modules/%s.py" % name
    assert os.path.exists(os.path.join(ROOT, path)), "%s has no module %s" % (check.id, path)
    assert 'run_module(engine.ENGINE, "%s")' % check.id in read(path)
    groups = yaml.safe_load(read("meta/runtime.yml"))["action_groups"]
    assert name in groups[check.engine] and "%s_precheck" % check.engine in groups[check.engine]


@pytest.mark.parametrize("check", CHECKS, ids=ids)
def test_the_item_has_a_catalog_row(check):
    assert re.search(r"^\| `%s` \| %s \|" % (re.escape(check.id), re.escape(check.title)), read("docs/checks.md"), re.M)


@pytest.mark.parametrize("check", CHECKS, ids=ids)
def test_the_role_passes_the_options_of_the_item(check):
    engine = ENGINES[check.engine]
    tasks = yaml.safe_load(read("roles/precheck/tasks/main.yml"))
    (task,) = [t for t in tasks if "cloudbackup.precheck.%s_precheck" % engine.name in t]
    passed = task["cloudbackup.precheck.%s_precheck" % engine.name]
    specs = yaml.safe_load(read("roles/precheck/meta/argument_specs.yml"))["argument_specs"]["main"]["options"]
    for option, declaration in list(check.options.items()) + list(engine.options.items()):
        assert option in passed, "the role does not pass %s of %s" % (option, check.id)
        if declaration.get("role") is False or option in engine.role_args or option == "label":
            continue
        if engine.instances:
            documented = specs["cloudbackup_precheck_" + engine.instances]["options"]
        else:
            documented = specs
            option = "cloudbackup_precheck_" + option
        assert option in documented, "the role's argument spec lacks %s of %s" % (option, check.id)


def judges(check):
    return set(name for name in contract.reachable_names(check) if name.startswith("judge_"))


def unit_test_sources():
    sources = []
    for directory, _dirs, files in os.walk(os.path.join(ROOT, "tests", "unit")):
        sources.extend(read(os.path.join(directory, f)) for f in files if f.endswith(".py"))
    return "\n".join(sources)


UNIT_TESTS = unit_test_sources()


@pytest.mark.parametrize("check", CHECKS, ids=ids)
def test_a_unit_test_calls_the_judge_of_the_item(check):
    found = judges(check)
    assert found, "%s judges nothing in a judge_* function: keep judging separate from gathering" % check.id
    called = [name for name in found if re.search(r"\b%s\(" % name, UNIT_TESTS)]
    assert called, "no unit test calls %s (the judges of %s)" % (", ".join(sorted(found)), check.id)
