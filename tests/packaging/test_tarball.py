"""The collection as Galaxy gets it: what the tarball holds, its metadata, and that it installs into an
empty collections path and runs the playbook by its FQCN with only the documented setup."""

import json
import os
import subprocess
import sys
import tarfile

import yaml

from collection_files import ROOT, checkout_files, gitignore_plants, run, tool

# Files of a checkout that only serve its development (galaxy.yml's build_ignore); galaxy.yml itself
# becomes MANIFEST.json.
DEV_ONLY = {".ci/run", ".gitignore", "galaxy.yml"}
GENERATED = {"MANIFEST.json", "FILES.json"}


def members(tarball):
    with tarfile.open(str(tarball)) as archive:
        return set(m.name for m in archive.getmembers() if m.isfile())


def manifest(tarball):
    with tarfile.open(str(tarball)) as archive:
        return json.load(archive.extractfile("MANIFEST.json"))["collection_info"]


def test_the_tarball_is_named_by_galaxy_yml(tarball):
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        galaxy = yaml.safe_load(handle)
    assert tarball.name == "%s-%s-%s.tar.gz" % (galaxy["namespace"], galaxy["name"], galaxy["version"])


def test_the_tarball_holds_the_checkout_and_nothing_it_accumulated(tarball):
    listed = members(tarball)
    expected = set(checkout_files()) - DEV_ONLY
    extra, missing = sorted(listed - expected - GENERATED), sorted(expected - listed)
    assert not extra, "shipped but not part of a clean checkout (add to build_ignore): %s" % extra
    assert not missing, "part of the checkout but not shipped: %s" % missing
    planted = set(gitignore_plants())
    assert planted and not planted & listed
    for required in ("LICENSES/GPL-3.0-or-later.txt", "README.md", "CONTRIBUTING.md", "CHANGELOG.rst",
                     "meta/runtime.yml", "meta/execution-environment.yml", "bindep.txt",
                     "playbooks/precheck.yml", "roles/precheck/tasks/main.yml"):
        assert required in listed, required


def test_the_licence_the_headers_name_ships_and_galaxy_gets_its_spdx_id(tarball, installed):
    info = manifest(tarball)
    assert info["license"] == ["GPL-3.0-or-later"] and not info["license_file"]
    collection = installed / "ansible_collections" / "cloudbackup" / "precheck"
    text = (collection / "LICENSES" / "GPL-3.0-or-later.txt").read_text()
    assert "GNU GENERAL PUBLIC LICENSE" in text and "Version 3, 29 June 2007" in text
    assert "END OF TERMS AND CONDITIONS" in text
    headed = [path for path in collection.rglob("*.py")
              if "see LICENSES/GPL-3.0-or-later.txt" in path.read_text(errors="replace")[:400]]
    assert len(headed) > 40, headed   # every plugin names it


def test_galaxy_metadata_has_no_placeholder_links(tarball):
    info = manifest(tarball)
    for key in ("repository", "documentation", "homepage", "issues"):
        assert info[key] is None or (info[key].startswith("https://") and ".invalid" not in info[key]), (key, info[key])


def test_the_installed_collection_runs_the_playbook_by_fqcn(installed, tmp_path):
    """What the README's installed-collection section says to do, in an empty directory: no ansible.cfg,
    no checkout on the collections path."""
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"db1": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "cloudbackup_precheck_oss_endpoint": "127.0.0.1:9", "cloudbackup_precheck_timeout": 2,
        "cloudbackup_precheck_control_route_addresses": []}}}}))
    reports = tmp_path / "reports"
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("ANSIBLE_"))
    env.update({"ANSIBLE_COLLECTIONS_PATH": str(installed),
                "ANSIBLE_CALLBACKS_ENABLED": "cloudbackup.precheck.precheck_report",
                "CLOUDBACKUP_PRECHECK_REPORT_DIR": str(reports), "ANSIBLE_NOCOLOR": "1",
                "PATH": os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")})
    proc = subprocess.run([tool("ansible-playbook"), "-i", str(inventory), "cloudbackup.precheck.precheck"],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr   # the gate blocks: 127.0.0.1:9 refuses
    assert "db1 is not ready for backup deployment" in proc.stdout
    report = json.loads((reports / "precheck.json").read_text())
    assert report["hosts"]["db1"]["verdict"] == "blocked"
    assert str(installed) in run([tool("ansible-galaxy"), "collection", "list", "cloudbackup.precheck"],
                                 env=env, cwd=str(tmp_path)).stdout


def documented_plugins(kind):
    """The plugin names the checkout documents: one per file, or per sidecar .yml for filters."""
    directory = os.path.join(ROOT, "plugins", kind)
    names = set()
    for name in os.listdir(directory):
        stem, ext = os.path.splitext(name)
        with open(os.path.join(directory, name)) as handle:
            if ext == ".yml" or (ext == ".py" and "DOCUMENTATION = " in handle.read()):
                names.add(stem)
    return names


def test_ansible_doc_renders_every_plugin_of_the_installed_collection(installed):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(installed))
    for kind, doc_type in (("modules", "module"), ("callback", "callback"), ("filter", "filter")):
        listed = json.loads(run([tool("ansible-doc"), "-t", doc_type, "-l", "-j", "cloudbackup.precheck"], env=env).stdout)
        assert set(name.split(".")[-1] for name in listed) == documented_plugins(kind), kind
        docs = json.loads(run([tool("ansible-doc"), "-t", doc_type, "-j"] + sorted(listed), env=env).stdout)
        assert sorted(docs) == sorted(listed) and all(d["doc"]["short_description"] for d in docs.values()), kind
    role = run([tool("ansible-doc"), "-t", "role", "cloudbackup.precheck.precheck"], env=env).stdout
    assert "cloudbackup_precheck_gate_bypass" in role
