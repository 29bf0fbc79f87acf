"""A collection tarball built the way a maintainer builds one, from a checkout that has accumulated
everything .gitignore names, and the same tarball installed into an empty collections path."""

import os
import shutil

import pytest

from collection_files import ROOT, checkout_files, gitignore_plants, run, tool


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
