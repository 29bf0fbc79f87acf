"""Helpers of the packaging tests: the files of the checkout, what .gitignore says a checkout
accumulates, and running the collection tools of the test's virtual environment."""

import os
import subprocess
import sys

from checkout import ROOT

VENV_BIN = os.path.dirname(sys.executable)


def tool(name):
    return os.path.join(VENV_BIN, name)


def run(command, **kwargs):
    """Runs a command; a failure shows its output."""
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False, **kwargs)
    assert proc.returncode == 0, "%s failed (%d):\n%s\n%s" % (command, proc.returncode, proc.stdout, proc.stderr)
    return proc


def checkout_files():
    """What a clean clone holds, plus what is new and not ignored (this change before its commit)."""
    listing = run(["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]).stdout
    return sorted(path for path in listing.split("\0") if path and os.path.isfile(os.path.join(ROOT, path)))


def gitignore_plants():
    """One file per .gitignore pattern, at the top and, for patterns that match at any depth, below
    plugins/modules/: what a checkout accumulates (virtual environments, caches, reports, output)."""
    plants = []
    with open(os.path.join(ROOT, ".gitignore")) as handle:
        patterns = [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    for pattern in patterns:
        path = pattern.strip("/").replace("*", "planted")
        places = [path] if "/" in pattern.strip("/") or pattern.startswith("/") else [path, "plugins/modules/" + path]
        for place in places:
            plants.append(place + "/planted.txt" if pattern.endswith("/") else place)
    return plants
