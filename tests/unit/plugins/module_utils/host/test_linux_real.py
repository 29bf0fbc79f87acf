"""The migrate items against real kernel objects, as root: a network namespace with veth, a bridge, an ifb
and a unique-local IPv6 address; loop devices of 30 and 40 GiB (sparse) read through the real /sys; an
ext4 file system on a loop device with an immutable /etc/shadow, remounted read-only, and with its inodes
used up. Everything made is removed again, also when a test fails.

None of these judges this machine itself (it has a global IPv6 ULA and extra NICs): each test builds what
it judges."""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid

import pytest

from checkout import ROOT
from host_engine import needs_root, one
from linux_root import LinuxRoot

pytestmark = needs_root


def sh(*argv):
    return subprocess.run(list(argv), check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def netns():
    name = "pc-test-%s" % uuid.uuid4().hex[:8]
    sh("ip", "netns", "add", name)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)
    assert name not in sh("ip", "netns", "list")


RUN_IN_NAMESPACE = """
import json, sys
sys.path[:0] = sys.argv[1:3]
from host_engine import run
print(json.dumps(run(["migrate.nics", "migrate.ipv6"], migrate=True)))
"""


def judge_in(name):
    out = sh("ip", "netns", "exec", name, sys.executable, "-c", RUN_IN_NAMESPACE,
             os.path.join(ROOT, ".venv", "collections"), os.path.join(ROOT, "tests", "support"))
    return dict((r["id"], r) for r in json.loads(out))


def test_namespace_with_only_virtual_nics_and_link_local_ipv6(netns):
    def ns(*argv):
        sh("ip", "netns", "exec", netns, *argv)
    ns("ip", "link", "set", "lo", "up")
    ns("ip", "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b")
    ns("ip", "link", "add", "br-pc", "type", "bridge")
    ns("ip", "link", "add", "ifb-pc", "type", "ifb")
    ns("ip", "link", "set", "veth-a", "up")
    ns("ip", "link", "set", "veth-b", "up")
    ns("ip", "-6", "addr", "add", "fe80::1234/64", "dev", "veth-a")
    results = judge_in(netns)
    nics, ipv6 = results["migrate.nics"], results["migrate.ipv6"]
    assert (nics["status"], nics["code"]) == ("warning", "migrate.nics/none"), nics
    assert sorted(nics["details"]["ignored"]) == ["br-pc (bridge)", "ifb-pc (virtual)", "lo (loopback)",
                                                  "veth-a (virtual)", "veth-b (virtual)"]
    assert ipv6["status"] == "passed", ipv6
    assert "fe80::1234 on veth-a" in ipv6["message"] and "::1 on lo" in ipv6["message"]


def test_namespace_with_a_unique_local_and_a_global_address(netns):
    def ns(*argv):
        sh("ip", "netns", "exec", netns, *argv)
    ns("ip", "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b")
    ns("ip", "link", "set", "veth-a", "up")
    ns("ip", "-6", "addr", "add", "fd00:5:6::7/64", "dev", "veth-a", "nodad")
    ns("ip", "-6", "addr", "add", "2001:db8::7/64", "dev", "veth-a", "nodad")
    ipv6 = judge_in(netns)["migrate.ipv6"]
    assert (ipv6["status"], ipv6["code"]) == ("failed", "migrate.ipv6/configured"), ipv6
    assert "fd00:5:6::7 on veth-a (unique-local)" in ipv6["message"]
    assert "2001:db8::7 on veth-a (global)" in ipv6["message"]


@contextlib.contextmanager
def loop_device(size_bytes, ext4_inodes=None):
    """A sparse file attached to a loop device (with an ext4 file system on it if `ext4_inodes` is given)."""
    directory = tempfile.mkdtemp(prefix="precheck-loop-")
    image = os.path.join(directory, "disk.img")
    with open(image, "wb") as handle:
        handle.truncate(size_bytes)
    if ext4_inodes is not None:
        sh("mkfs.ext4", "-q", "-F", "-N", str(ext4_inodes), image)
    device = sh("losetup", "--find", "--show", image)
    try:
        yield device
    finally:
        subprocess.run(["losetup", "-d", device], check=False)
        shutil.rmtree(directory)


@contextlib.contextmanager
def mounted(source, target, *options):
    os.makedirs(target, exist_ok=True)
    sh("mount", *(list(options) + [source, target]))
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", target], check=False)


@pytest.mark.parametrize("size_gib, status", [(30, "failed"), (40, "passed")])
def test_system_disk_size_of_a_loop_device_through_the_real_sys(tmp_path, size_gib, status):
    with loop_device(size_gib * 1024 ** 3) as device:
        name = os.path.basename(device)
        with open("/sys/block/%s/dev" % name) as handle:
            number = handle.read().strip()
        root = LinuxRoot(tmp_path)
        root.mount("/", number, "ext4", device)
        with mounted("/sys", str(tmp_path / "sys"), "--bind"):
            result = one("migrate.system_disk_size", root=str(root), migrate=True)
    assert (result["status"], result["target"]) == (status, "disk %s" % device), result
    assert "%.1f GiB" % size_gib in result["message"]


@pytest.fixture
def ext4_root(tmp_path):
    """A root whose /etc is an ext4 file system on a loop device."""
    with loop_device(32 * 1024 ** 2, ext4_inodes=256) as device:
        etc = str(tmp_path / "etc")
        with mounted(device, etc):
            shadow = os.path.join(etc, "shadow")
            with open(shadow, "w") as handle:
                handle.write("root:*:19000:0:99999:7:::\n")
            try:
                yield LinuxRoot(tmp_path), shadow, etc
            finally:
                subprocess.run(["chattr", "-i", "-a", shadow], check=False)


def test_immutable_shadow_on_ext4_fails_and_passes_once_cleared(ext4_root):
    root, shadow, _etc = ext4_root
    assert one("migrate.shadow_writable", root=str(root), migrate=True)["status"] == "passed"
    sh("chattr", "+i", shadow)
    result = one("migrate.shadow_writable", root=str(root), migrate=True)
    assert (result["status"], result["code"]) == ("failed", "migrate.shadow_writable/immutable")
    assert "chattr -i /etc/shadow" in result["remediation"]
    sh("chattr", "-i", shadow)
    sh("chattr", "+a", shadow)
    assert one("migrate.shadow_writable", root=str(root), migrate=True)["code"] == "migrate.shadow_writable/append_only"


def test_shadow_on_a_read_only_file_system_fails(ext4_root):
    root, _shadow, etc = ext4_root
    sh("mount", "-o", "remount,ro", etc)
    result = one("migrate.shadow_writable", root=str(root), migrate=True)
    assert (result["status"], result["code"]) == ("failed", "migrate.shadow_writable/read_only")


def test_root_file_system_out_of_inodes_is_full(tmp_path):
    with loop_device(16 * 1024 ** 2, ext4_inodes=64) as device:
        with mounted(device, str(tmp_path / "root")) as path:
            index = 0
            while True:
                try:
                    os.close(os.open(os.path.join(path, "f%d" % index), os.O_CREAT | os.O_WRONLY))
                except OSError:
                    break
                index += 1
            result = one("migrate.disk_full", root=path, migrate=True)
    assert (result["status"], result["code"]) == ("failed", "migrate.disk_full/full"), result
    assert "100.0 % of its inodes" in result["message"]
