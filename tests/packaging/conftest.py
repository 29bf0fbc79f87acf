"""A collection tarball built the way a maintainer builds one, from a checkout that has accumulated
everything .gitignore names, and the same tarball installed into an empty collections path."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
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


@pytest.fixture(scope="session")
def dirty_checkout(tmp_path_factory):
    source = tmp_path_factory.mktemp("checkout") / "precheck"
    for path in checkout_files():
        os.makedirs(os.path.dirname(str(source / path)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, path), str(source / path))
    for plant in gitignore_plants():
        target = source / plant
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("accumulated in a checkout; must not ship\n")
    return source


@pytest.fixture(scope="session")
def tarball(dirty_checkout, tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    run([tool("ansible-galaxy"), "collection", "build", "--output-path", str(dist), str(dirty_checkout)])
    (built,) = dist.iterdir()
    return built


@pytest.fixture(scope="session")
def installed(tarball, tmp_path_factory):
    """The collections path (it holds ansible_collections/) with only this collection in it."""
    collections = tmp_path_factory.mktemp("collections")
    run([tool("ansible-galaxy"), "collection", "install", "--offline", "-p", str(collections), str(tarball)],
        env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections)))
    return collections
