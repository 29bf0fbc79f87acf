"""Runs a module the way Ansible does on the target: a Python process given its arguments."""

import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_module(name, args):
    """(what the module printed, as JSON; seconds it took)."""
    args_file = os.path.join(os.environ.get("TMPDIR", "/tmp"), "cbp-args-%d.json" % os.getpid())
    with open(args_file, "w") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".venv", "collections"))
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "ansible_collections.cloudbackup.precheck.plugins.modules." + name,
                           args_file], capture_output=True, text=True, env=env, timeout=60, check=False)
    os.unlink(args_file)
    return json.loads(proc.stdout), time.monotonic() - started
