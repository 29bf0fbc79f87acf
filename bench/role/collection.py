# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two collections the benchmark runs: a copy of the collection under test, and the floor, the
same copy with every engine module (plugins/modules/<engine>_precheck.py) replaced by a trivial
module that returns the result the real module returned in a capture run. The floor keeps the
role's own files as they are, so it follows whatever shape the role has."""

from __future__ import absolute_import, division, print_function

import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURE_PLUGINS = os.path.join(HERE, "capture")
PRUNED = shutil.ignore_patterns(".venv", ".git", "tests", "docs", "bench", "changelogs", "__pycache__", "*.tar.gz")

# Accepts any arguments (no_log where the real module has it, so Ansible scrubs the same values from
# the same result) and returns the captured result.
TRIVIAL_MODULE = '''#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible.module_utils.basic import AnsibleModule, _load_params

NO_LOG = %(no_log)r
RESULT_FILE = %(result_file)r


def main():
    spec = dict((name, {"type": "raw", "no_log": name in NO_LOG}) for name in _load_params())
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    with open(RESULT_FILE) as handle:
        module.exit_json(**json.load(handle))


if __name__ == "__main__":
    main()
'''


def engine_modules(collection):
    """plugins/modules/<engine>_precheck for each engine package of plugins/module_utils."""
    utils = os.path.join(collection, "plugins", "module_utils")
    names = []
    for engine in sorted(os.listdir(utils)):
        module = os.path.join(collection, "plugins", "modules", engine + "_precheck.py")
        if os.path.isfile(os.path.join(utils, engine, "engine.py")) and os.path.isfile(module):
            names.append(engine + "_precheck")
    return names


def install(collection, directory, name):
    """Copies the collection as <directory>/<name>/ansible_collections/cloudbackup/precheck and
    returns the collections path (<directory>/<name>)."""
    tree = os.path.join(directory, name)
    shutil.copytree(collection, os.path.join(tree, "ansible_collections", "cloudbackup", "precheck"), ignore=PRUNED)
    return tree


def installed(tree):
    return os.path.join(tree, "ansible_collections", "cloudbackup", "precheck")


def install_floor(collection, directory, captured):
    """The floor collection: every engine module that the capture run saw replaced."""
    tree = install(collection, directory, "floor")
    for name in engine_modules(collection):
        capture = os.path.join(captured, name + ".json")
        if not os.path.exists(capture):
            continue
        with open(capture) as handle:
            seen = json.load(handle)
        result_file = os.path.join(captured, name + ".result.json")
        with open(result_file, "w") as handle:
            json.dump(seen["result"], handle)
        with open(os.path.join(installed(tree), "plugins", "modules", name + ".py"), "w") as handle:
            handle.write(TRIVIAL_MODULE % {"no_log": sorted(seen["no_log"]), "result_file": result_file})
    return tree


def capture_env(directory, modules):
    """The environment that makes a run save the first result of each engine module in `directory`."""
    return {"ANSIBLE_CALLBACK_PLUGINS": CAPTURE_PLUGINS, "BENCH_CAPTURE_DIR": directory,
            "BENCH_CAPTURE_MODULES": ",".join(modules)}
