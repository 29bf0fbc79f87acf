"""An AWX execution environment built from the example definition gets every driver: ansible-builder
creates the build context (no container engine needed), and the introspection step of that context,
run on the tarball installed the way the build installs it, lists the Python and system packages."""

import os
import shutil
import subprocess
import sys

import yaml

from collection_files import ROOT, run, tool

EXAMPLE = os.path.join(ROOT, "examples", "execution-environment")


def test_builder_create_gives_a_context_that_installs_every_driver(tarball, tmp_path):
    work = tmp_path / "ee"
    shutil.copytree(EXAMPLE, str(work))
    shutil.copy2(str(tarball), str(work))
    run([tool("ansible-builder"), "create", "--output-filename", "Containerfile"], cwd=str(work))
    context = work / "context"
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile and "-r requirements.yml" in containerfile
    assert "introspect.py introspect" in containerfile and "install-from-bindep" in containerfile
    assert "ansible-core>=2.16,<2.20" in containerfile
    assert "epel-release" in containerfile            # FreeTDS on CentOS Stream and RHEL
    assert (context / "_build" / "collections" / tarball.name).is_file()

    # The galaxy stage runs `ansible-galaxy collection install -r requirements.yml` in /build, a copy
    # of _build/: here the same with _build/ for /build.
    build = context / "_build"
    requirements = yaml.safe_load((build / "requirements.yml").read_text())
    (entry,) = requirements["collections"]
    assert entry["name"] == "/build/collections/" + tarball.name, entry
    local = tmp_path / "requirements.yml"
    local.write_text(yaml.safe_dump({"collections": [dict(entry, name=str(build / "collections" / tarball.name))]}))
    collections = tmp_path / "usr-share-ansible-collections"
    run([tool("ansible-galaxy"), "collection", "install", "--offline", "-r", str(local), "-p", str(collections)],
        env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections)))

    # The builder stage's introspection, from the generated context, on what the galaxy stage installed.
    pip, system = tmp_path / "requirements.txt", tmp_path / "bindep.txt"
    run([sys.executable, str(build / "scripts" / "introspect.py"), "introspect", str(collections),
         "--write-pip", str(pip), "--write-bindep", str(system)])
    python_packages = [line.split()[0] for line in pip.read_text().splitlines() if line.strip()]
    assert sorted(python_packages) == ["PyMySQL>=1.1", "alibabacloud-oss-v2>=1.1", "hdbcli>=2.30", "oracledb>=2.0",
                                       "pyodbc>=5.0", "pyvmomi>=8.0"], pip.read_text()
    assert "ansible-core" not in pip.read_text()
    system_lines = system.read_text().splitlines()
    for package in ("unixODBC [platform:rpm]", "unixodbc [platform:dpkg]",
                    "freetds [platform:rpm]", "tdsodbc [platform:dpkg]"):
        assert any(line.startswith(package) and "cloudbackup.precheck" in line for line in system_lines), package


def test_bindep_file_gives_the_odbc_driver_manager_and_driver_on_debian():
    def listed(*profiles):
        proc = subprocess.run([tool("bindep"), "-f", os.path.join(ROOT, "bindep.txt"), "-l", "newline"] + list(profiles),
                              capture_output=True, text=True, timeout=60, check=False)
        assert proc.returncode in (0, 1), proc.stderr   # 1: something listed is not installed here
        return proc.stdout.split()

    assert listed() == ["unixodbc", "tdsodbc", "libstdc++6"]
    assert listed("compile") == ["unixodbc", "tdsodbc", "libstdc++6", "unixodbc-dev", "g++", "python3-dev"]
