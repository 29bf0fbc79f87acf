"""Imports go one way: modules -> an engine's engine.py -> its items -> gathering -> connection -> core.

The core imports no engine, an engine imports no other engine, only core/module.py imports
AnsibleModule, and controller-side code (plugin_utils, filters, callback) only takes the result schema
from module_utils."""

import ast
import glob
import os

from checkout import ROOT
UTILS = "ansible_collections.cloudbackup.precheck.plugins.module_utils"
# Within an engine package, a file may import the files of a lower layer (and its own layer's
# helpers, such as common.py), never a higher one. An engine that reads files of the system it checks
# (hana) has a reader of them beside its connection: instance_files.py.
LAYERS = {"engine": 3, "connection": 0, "instance_files": 0, "gathering": 1, "common": 1.5, "probes": 0}


def imports(path):
    with open(path) as handle:
        tree = ast.parse(handle.read())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.extend("%s.%s" % (node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


def utils_target(name):
    """(package, file) of an import of module_utils, or None."""
    if not name.startswith(UTILS + "."):
        return None
    parts = name[len(UTILS) + 1:].split(".")
    return parts[0], parts[1] if len(parts) > 1 else None


def layer(filename):
    return LAYERS.get(filename, 2)  # item files sit between gathering and engine


def files(pattern):
    return sorted(glob.glob(os.path.join(ROOT, pattern)))


def test_the_core_imports_no_engine_and_only_the_wrapper_imports_ansible_module():
    for path in files("plugins/module_utils/core/*.py"):
        for name in imports(path):
            target = utils_target(name)
            assert target is None or target[0] == "core", "%s imports %s" % (path, name)
            if name.startswith("ansible.module_utils.basic"):
                assert path.endswith("core/module.py"), "%s imports AnsibleModule" % path


def test_an_engine_imports_the_core_and_lower_layers_of_its_own_package_only():
    checked = 0
    for path in files("plugins/module_utils/*/*.py"):
        package = os.path.basename(os.path.dirname(path))
        if package == "core" or path.endswith("__init__.py"):
            continue
        own = layer(os.path.basename(path)[:-3])
        for name in imports(path):
            assert not name.startswith("ansible.module_utils.basic"), "%s imports AnsibleModule" % path
            target = utils_target(name)
            if target is None or target[0] == "core":
                continue
            assert target[0] == package, "%s imports another engine: %s" % (path, name)
            below = layer(target[1]) < own or (own == 2 and layer(target[1]) == 2 and target[1] != "engine")
            assert below, "%s (layer %s) imports %s (layer %s)" % (path, own, name, layer(target[1]))
            checked += 1
    assert checked > 20


def test_modules_import_one_engine_and_the_wrapper():
    for path in files("plugins/modules/*.py"):
        targets = [utils_target(name) for name in imports(path) if utils_target(name)]
        if not targets:
            continue  # the documentation of an action plugin (merge_reports)
        engines = set(package for package, _file in targets if package != "core")
        assert len(engines) == 1, "%s imports %s" % (path, targets)
        assert all(f in ("engine", "module") for _package, f in targets), "%s imports %s" % (path, targets)


# Windows hosts run no module: their facts are judged on the controller with the host engine's own judges.
JUDGES_ON_THE_CONTROLLER = {"plugins/plugin_utils/windows_host.py": "host"}


# What the controller shares with the modules: the result schema, the one rule for masking a secret, and
# what an instance's endpoint is (the role probes them at once).
CONTROLLER_SHARES = (("core", "results"), ("core", "secrets"), ("core", "endpoints"))


def test_controller_code_takes_only_the_result_schema_and_the_masking_rule_from_module_utils():
    for path in files("plugins/plugin_utils/*.py") + files("plugins/filter/*.py") + files("plugins/callback/*.py"):
        engine = JUDGES_ON_THE_CONTROLLER.get(os.path.relpath(path, ROOT))
        for name in imports(path):
            target = utils_target(name)
            allowed = target is None or target in CONTROLLER_SHARES or (engine and target[0] in ("core", engine))
            assert allowed, "%s imports %s" % (path, name)
