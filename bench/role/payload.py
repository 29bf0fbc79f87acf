# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each engine module costs per task before it does any work, against ansible.builtin.ping:
the AnsiballZ payload Ansible builds and ships (kept on disk with ANSIBLE_KEEP_REMOTE_FILES), and
the time to import the module from that payload, as the AnsiballZ wrapper does."""

from __future__ import absolute_import, division, print_function

import base64
import glob
import os
import re
import subprocess
import sys
import zipfile

PING = "ping"
ZIP_DATA = re.compile(r"zip_data='([A-Za-z0-9+/=]+)'")
IMPORT = ("import sys, time\n"
          "sys.path.insert(0, sys.argv[1])\n"
          "started = time.perf_counter()\n"
          "__import__(sys.argv[2])\n"
          "print(time.perf_counter() - started)\n")


def fqn(module):
    if module == PING:
        return "ansible.modules.ping"
    return "ansible_collections.cloudbackup.precheck.plugins.modules." + module


def build(playbooks, tree, inventory, modules, directory):
    """Runs ping and each module once (failures are fine: only the payload matters) and returns
    {module: path of its AnsiballZ zip}."""
    remote = os.path.join(directory, "remote-tmp")
    tasks = [{"name": "Build %s" % module, ("ansible.builtin." if module == PING else "cloudbackup.precheck.") + module: {},
              "ignore_errors": True, "timeout": 60} for module in [PING] + list(modules)]
    playbooks.run(tree, [{"name": "Payloads", "hosts": "all", "gather_facts": False, "tasks": tasks}], inventory,
                  env={"ANSIBLE_KEEP_REMOTE_FILES": "1", "ANSIBLE_REMOTE_TMP": remote})
    zips = {}
    for module in [PING] + list(modules):
        (wrapper,) = glob.glob(os.path.join(remote, "*", "AnsiballZ_%s.py" % module))
        with open(wrapper) as handle:
            data = base64.b64decode(ZIP_DATA.search(handle.read()).group(1))
        zips[module] = os.path.join(directory, module + ".zip")
        with open(zips[module], "wb") as handle:
            handle.write(data)
    return zips


def size_kb(path):
    return os.path.getsize(path) / 1024.0


def files(path):
    with zipfile.ZipFile(path) as archive:
        return len(archive.namelist())


def import_ms(path, module):
    """Milliseconds to import the module from its payload, in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", IMPORT, path, fqn(module)], capture_output=True, text=True, check=True)
    return float(out.stdout) * 1000.0
