"""What the contract test needs: the statuses each registered item can return (read from its code),
and the (id, status) pairs that the functional tests' runs actually produced."""

import glob
import importlib
import json
import os
import sys
import types
import uuid

from checkout import ROOT

PACKAGE = "ansible_collections.cloudbackup.precheck.plugins.module_utils"
OBSERVED = os.path.join(ROOT, "tests", "output", "observed")
STATUSES = ("passed", "warning", "failed", "error", "skipped")


def engines():
    """Every engine of the checkout, imported so that its items are registered."""
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, "plugins", "module_utils", "*", "engine.py"))):
        name = os.path.basename(os.path.dirname(path))
        found.append(importlib.import_module("%s.%s.engine" % (PACKAGE, name)).ENGINE)
    return found


def registry():
    engines()
    return importlib.import_module(PACKAGE + ".core.registry")


def reachable_names(check):
    """Every name that the item's run function, and the engine functions it reaches, refer to."""
    names, seen, todo = set(), set(), [check.run]
    while todo:
        function = todo.pop()
        if id(function) in seen:
            continue
        seen.add(id(function))
        codes = [function.__code__]
        while codes:
            code = codes.pop()
            codes.extend(const for const in code.co_consts if isinstance(const, types.CodeType))
            for name in code.co_names:
                names.add(name)
                target = function.__globals__.get(name)
                if (isinstance(target, types.FunctionType) and target.__module__.startswith(PACKAGE)
                        and ".core." not in target.__module__):
                    todo.append(target)
    return names


def returnable_statuses(check):
    """The statuses an item's own code can produce: the results.<status>(...) helpers it reaches (the
    runner adds `error` for a PrecheckError and `skipped` for the skip list; those are not counted)."""
    return set(STATUSES) & reachable_names(check)


def record(report):
    """Called by the functional harness for every report a run wrote."""
    if not report:
        return
    pairs = sorted(set((result["id"], result["status"]) for host in report.get("hosts", {}).values()
                       for result in host.get("results", [])))
    os.makedirs(OBSERVED, exist_ok=True)
    with open(os.path.join(OBSERVED, "%d-%s.json" % (os.getpid(), uuid.uuid4().hex)), "w") as handle:
        json.dump(pairs, handle)


def observed():
    pairs = set()
    for path in glob.glob(os.path.join(OBSERVED, "*.json")):
        with open(path) as handle:
            pairs.update(tuple(pair) for pair in json.load(handle))
    return pairs


def missing_scenarios():
    """(id, status) pairs an item can return that no functional run produced."""
    seen = observed()
    return sorted((check.id, status) for check in registry().REGISTRY.values()
                  for status in sorted(returnable_statuses(check)) if (check.id, status) not in seen)


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(ROOT, ".venv", "collections"))
    for pair in missing_scenarios():
        print("%s %s" % pair)
