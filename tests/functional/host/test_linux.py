"""The Linux readiness items through ansible-playbook and the role: a host marked for migration, read from
a fixture root, with five blocking conditions; the file backup items on a real tree as another account;
and a Windows host, on which no Python module may run."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

import endpoints
import fake_powershell
from harness import ROOT, VENV_BIN, fact_play, local_inventory, run_playbook
from host_engine import needs_root
from linux_root import KERNEL, ROOT_UUID, LinuxRoot, ubuntu_vm

# No route probes; and no object-storage endpoint either, so these hosts are judged on their Linux
# items alone (the role would otherwise block them as not evaluated).
NO_ROUTES = {"cloudbackup_precheck_control_route_addresses": [], "cloudbackup_precheck_not_evaluated_blocks": False}
SECRET = "Sup3r-Secret!x"


def five_problems(path):
    root = ubuntu_vm(path)
    root.disk("sda", 30, scsi="0:0:0:0", partitions=[("sda1", 1), ("sda2", 29)])
    root.nic("eth1", physical=True, slot=4)
    root.if_inet6([("::1", "lo"), ("fe80::1", "eth0"), ("2001:db8:5::10", "eth0")])
    root.remove("/boot/grub/i386-pc/modinfo.sh")
    root.remove("/boot/grub/grub.cfg")
    root.file("/boot/grub/stage2", b"\0")
    root.dpkg({"cloud-init": "23.1", "qemu-guest-agent": "1:4.2-3ubuntu6"})
    return root


def test_a_migration_host_with_five_blocking_conditions_is_blocked_naming_each(tmp_path):
    root = five_problems(tmp_path / "root")
    inventory = local_inventory(cloudbackup_precheck_root=str(root.path), cloudbackup_precheck_migrate=True,
                                cloudbackup_precheck_restore_password=SECRET, **NO_ROUTES)
    run = run_playbook(tmp_path, inventory, playbook=fact_play(tmp_path), verbosity=3)
    assert run.rc == 2, run
    fact = json.loads((tmp_path / "localhost.json").read_text())
    blocking = sorted(r["code"] for r in fact["blocking"])
    assert blocking == ["migrate.grub_version/too_old", "migrate.ipv6/configured", "migrate.nics/several",
                        "migrate.qemu_ga/installed", "migrate.system_disk_size/too_small"], blocking
    gate = run.stdout.split("localhost is not ready for backup deployment: 5 blocking finding(s).")[1]
    for text in ("System disk /dev/sda is 30.0 GiB", "2 physical NICs (eth0, eth1)", "2001:db8:5::10 on eth0 (global)",
                 "GRUB 0.97", "The QEMU guest agent is installed (package qemu-guest-agent 1:4.2-3ubuntu6)"):
        assert text in gate, text
    report = run.report["hosts"]["localhost"]
    assert report["verdict"] == "blocked"
    assert run.result("migrate.password_policy")["status"] == "passed"
    assert run.result("host.os_support")["status"] == "passed"
    for where in (run.stdout, run.stderr, json.dumps(run.report), json.dumps(fact), run.markdown or ""):
        assert SECRET not in where


def test_the_same_host_not_marked_for_migration_is_ready(tmp_path):
    root = five_problems(tmp_path / "root")
    run = run_playbook(tmp_path, local_inventory(cloudbackup_precheck_root=str(root.path), **NO_ROUTES))
    assert run.rc == 0, run
    assert set(r["status"] for r in run.results() if r["id"].startswith("migrate.")) == {"skipped"}


def test_skip_entries_of_every_prefix_of_the_host_engine_reach_it(tmp_path):
    root = five_problems(tmp_path / "root")
    inventory = local_inventory(cloudbackup_precheck_root=str(root.path), cloudbackup_precheck_migrate=True,
                                cloudbackup_precheck_skip=["migrate.nics", "migrate.ipv6", "migrate.grub_version",
                                                           "migrate.qemu_ga", "migrate.system_disk_size"], **NO_ROUTES)
    run = run_playbook(tmp_path, inventory)
    assert run.rc == 0, run
    assert run.result("migrate.nics")["message"] == "Skipped by configuration (skip list)."


@pytest.fixture
def tree():
    top = tempfile.mkdtemp(prefix="precheck-role-", dir="/tmp")
    os.chmod(top, 0o755)
    os.makedirs(os.path.join(top, "data", "db"))
    with open(os.path.join(top, "data", "db", "private.key"), "w") as handle:
        handle.write("k")
    os.chmod(os.path.join(top, "data", "db", "private.key"), 0o000)
    os.mkfifo(os.path.join(top, "data", "queue"))
    for directory in ("data", "data/db"):
        os.chmod(os.path.join(top, directory), 0o755)
    yield os.path.join(top, "data")
    shutil.rmtree(top)


@needs_root
def test_file_backup_items_as_the_agent_account(tmp_path, tree):
    inventory = local_inventory(cloudbackup_precheck_backup_paths=[tree], cloudbackup_precheck_agent_user="nobody",
                                cloudbackup_precheck_host_checks=["@files"], **NO_ROUTES)
    run = run_playbook(tmp_path, inventory)
    assert run.rc == 2, run
    unreadable = run.result("files.unreadable", tree)
    assert unreadable["status"] == "failed" and "%s/db/private.key" % tree in unreadable["message"]
    assert run.result("files.special", tree)["status"] == "warning"
    assert "%s/db/private.key" % tree in run.stdout


def windows_inventory(tmp_path, facts, **host_vars):
    """win01 runs 'Windows': its raw commands run here, with a fake powershell.exe first on the PATH, and its
    Python interpreter does not exist, so that any Python module run on it fails loudly."""
    fake = tmp_path / "fake-windows"
    fake.mkdir()
    env = fake_powershell.install(fake, facts, tmp_path / "script.ps1")
    env["PATH"] = os.pathsep.join([str(fake), VENV_BIN, os.environ.get("PATH", "")])
    win = {"ansible_connection": "local", "ansible_python_interpreter": "/nonexistent/python3",
           "cloudbackup_precheck_platform": "windows"}
    win.update(host_vars)
    inventory = {"all": {"vars": NO_ROUTES, "hosts": {
        "win01": win,
        "localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                      "cloudbackup_precheck_host_checks": []}}}}
    return inventory, env


def role_script():
    import yaml
    with open(os.path.join(ROOT, "roles", "precheck", "vars", "main.yml")) as handle:
        return yaml.safe_load(handle)["_cloudbackup_precheck_windows_script"]


def test_a_windows_host_is_judged_on_the_controller_and_runs_no_python(tmp_path):
    facts = fake_powershell.windows_facts(system_disk_size=str(30 * 1024 ** 3))
    inventory, env = windows_inventory(tmp_path, facts, cloudbackup_precheck_migrate=True,
                                       cloudbackup_precheck_restore_password=SECRET)
    run = run_playbook(tmp_path, inventory, env=env, verbosity=3)
    assert run.rc == 2, run
    assert "/nonexistent/python3" not in run.output()       # no Python module ran on win01
    assert (tmp_path / "script.ps1").read_text() == role_script()
    disk = run.result("migrate.system_disk_size", host="win01")
    assert (disk["status"], disk["target"]) == ("failed", "disk 0 (C:)")
    assert run.result("migrate.os_supported", host="win01")["status"] == "passed"
    assert run.result("migrate.grub_version", host="win01")["status"] == "skipped"
    control = run.result("host.control_network", host="win01")
    assert control["status"] == "skipped" and "nothing to check" in control["message"]
    assert run.report["hosts"]["win01"]["verdict"] == "blocked"
    assert SECRET not in run.output() and SECRET not in json.dumps(run.report)


def test_a_windows_instance_without_delegate_to_fails_the_host_naming_it(tmp_path):
    inventory, env = windows_inventory(tmp_path, fake_powershell.windows_facts(), cloudbackup_precheck_sqlserver_instances=[
        {"name": "sales", "login_host": "127.0.0.1", "login_port": 1, "login_user": "sa", "login_password": SECRET}])
    run = run_playbook(tmp_path, inventory, env=env)
    assert run.rc != 0, run
    assert "win01 runs Windows, where no Python module runs: give these instances a delegate_to" in run.stdout
    assert "sales" in run.stdout and SECRET not in run.output()
    assert run.report["hosts"]["win01"]["verdict"] == "not_evaluated"


def test_a_windows_instance_with_delegate_to_is_checked_from_the_linux_host(tmp_path):
    inventory, env = windows_inventory(tmp_path, fake_powershell.windows_facts(), cloudbackup_precheck_sqlserver_instances=[
        {"name": "sales", "login_host": "127.0.0.1", "login_port": 1, "login_user": "sa", "login_password": SECRET,
         "delegate_to": "localhost", "connect_timeout": 2}])
    run = run_playbook(tmp_path, inventory, env=env)
    connection = run.result("sqlserver.connection", host="win01")
    assert connection["status"] == "error" and "127.0.0.1:1" in connection["target"]
    assert "/nonexistent/python3" not in run.output()
    assert SECRET not in run.output()


def test_the_interpreter_canary_does_catch_a_python_module(tmp_path):
    """The proof above holds only if a Python module on win01 would show the missing interpreter."""
    inventory, env = windows_inventory(tmp_path, fake_powershell.windows_facts(), cloudbackup_precheck_platform="linux")
    run = run_playbook(tmp_path, inventory, env=env)
    assert run.rc != 0 and "/nonexistent/python3" in run.output(), run


def scenario_ready(path, listener_port):
    root = ubuntu_vm(path)
    root.file("/srv/data/report.txt", "x")
    root.dir("/srv/restore")
    return root, {"cloudbackup_precheck_backup_paths": ["/srv/data"],
                  "cloudbackup_precheck_restore_target_paths": ["/srv/restore"],
                  "cloudbackup_precheck_restore_min_free_gib": 0,
                  "cloudbackup_precheck_service_hosts": ["127.0.0.1:%d" % listener_port],
                  "cloudbackup_precheck_restore_password": SECRET}


def scenario_warnings(path):
    root = ubuntu_vm(path)
    root.os_release("ubuntu", "22.04", "Ubuntu")
    for gone in ("/etc/issue", "/sys/class/net/eth0", "/etc/netplan/50-cloud-init.yaml", "/boot/grub/i386-pc/modinfo.sh",
                 "/boot/grub/grub.cfg", "/etc/default/grub", "/var/lib/dpkg/status"):
        root.remove(gone)
    root.file("/etc/fstab", "UUID=%s / ext4 defaults 0 1\n/dev/sda1 /boot ext4 defaults 0 2\n" % ROOT_UUID)
    root.kernel(KERNEL, builtin=["block/virtio_blk", "virtio/virtio_pci", "net/virtio_net"], initramfs_names=[])
    root.file("/etc/selinux/config", "SELINUX=enforcing\n")
    log = root.file("/srv/data/app.log", "x")
    root.file("/srv/data/more.txt", "x")
    os.mkfifo(str(root.path / "srv/data/queue"))
    root.mount("/srv/data", "0:50", "nfs4", "nas01:/export/data")
    # pid 77 writes app.log and holds a POSIX lock on it (the kernel prints the device in hex)
    root.link("/proc/77/fd/3", "/srv/data/app.log")
    root.file("/proc/77/fdinfo/3", "pos:\t0\nflags:\t0100001\nmnt_id:\t30\n")
    root.file("/proc/77/comm", "logger\n")
    info = os.stat(str(log))
    root.file("/proc/locks", "1: POSIX  ADVISORY  WRITE 77 %02x:%02x:%d 0 EOF\n"
              % (os.major(info.st_dev), os.minor(info.st_dev), info.st_ino))
    return root, {"cloudbackup_precheck_backup_paths": ["/srv/data"], "cloudbackup_precheck_walk_max_entries": 1}


def scenario_failures(path):
    root = ubuntu_vm(path)
    root.os_release("debian", "12", "Debian GNU/Linux")
    root.file("/etc/issue", "Debian GNU/Linux 12 \\n \\l\n")
    root.disk("sdb", 80, major=8, minor=16, scsi="0:0:1:0", partitions=[("sdb1", 60), ("sdb2", 20)])
    root._mounts = []
    root.mount("/", "8:17", "ext4", "/dev/sdb1")
    root.mount("/var", "8:18", "ext4", "/dev/sdb2")
    root.mount("/boot", "8:1", "ext4", "/dev/sda1")
    root.remove("/usr/bin/cloud-init")
    root.dpkg({"grub-common": "2.04-1ubuntu26"})
    root.file("/etc/netplan/50-cloud-init.yaml", "network:\n  ethernets:\n    eth0:\n      dhcp4: no\n")
    root.file("/etc/fstab", "UUID=%s / ext4 defaults 0 1\nUUID=0000-dead /data xfs defaults 0 2\n" % ROOT_UUID)
    root.file("/boot/grub/grub.cfg", "menuentry 'Debian' {\n\tlinux /vmlinuz root=/dev/sda2 ro\n}\n")
    root.remove("/etc/shadow")
    root.kernel(KERNEL, builtin=[], initramfs_names=[])
    return root, {"cloudbackup_precheck_backup_paths": ["/srv/nothing"],
                  "cloudbackup_precheck_restore_target_paths": ["/srv/no-restore"],
                  "cloudbackup_precheck_service_hosts": ["127.0.0.1:%d" % endpoints.closed_port()],
                  "cloudbackup_precheck_restore_password": "weakling7"}


def scenario_lvm(path):
    root = ubuntu_vm(path)
    root.disk("sdb", 100, major=8, minor=16, scsi="0:0:1:0", partitions=[("sdb1", 100)])
    root.dm("dm-0", "vg0-root", ["sda2", "sdb1"], 150)
    root._mounts = []
    root.mount("/", "253:0", "xfs", "/dev/mapper/vg0-root")
    return root, {}


def scenario_errors(path):
    root = LinuxRoot(path)
    root.disk("loop0", 50, major=7, virtual=True)
    root.mount("/", "7:0", "ext4", "/dev/loop0")
    root.file("/boot/grub/i386-pc/modinfo.sh", 'grub_version="unknown"\n')
    return root, {}


EXPECTED = {
    "ready": dict((check, "passed") for check in (
        "host.os_support", "host.outbound_services", "host.restore_target_path", "files.unreadable", "files.special",
        "files.network_fs", "files.open_for_write", "files.locked", "migrate.os_supported", "migrate.system_disk_size",
        "migrate.system_disk_first", "migrate.root_lvm_span", "migrate.single_root_partition", "migrate.disk_full",
        "migrate.fstab", "migrate.nics", "migrate.ipv6", "migrate.dhcp", "migrate.grub_version",
        "migrate.grub_device_names", "migrate.virtio", "migrate.cloud_init", "migrate.qemu_ga",
        "migrate.shadow_writable", "migrate.selinux", "migrate.password_policy")),
    "warnings": dict((check, "warning") for check in (
        "host.os_support", "files.unreadable", "files.special", "files.network_fs", "files.open_for_write",
        "files.locked", "migrate.fstab", "migrate.nics", "migrate.dhcp", "migrate.grub_version",
        "migrate.grub_device_names", "migrate.virtio", "migrate.qemu_ga", "migrate.selinux")),
    "failures": dict((check, "failed") for check in (
        "files.unreadable", "files.special", "host.restore_target_path", "host.outbound_services",
        "migrate.system_disk_first", "migrate.single_root_partition", "migrate.cloud_init", "migrate.dhcp",
        "migrate.fstab", "migrate.grub_device_names", "migrate.shadow_writable", "migrate.password_policy",
        "migrate.virtio")),
    "lvm": {"migrate.root_lvm_span": "failed"},
    "errors": {"host.os_support": "error", "migrate.os_supported": "error", "migrate.system_disk_first": "error",
               "migrate.grub_version": "error"},
}


def test_every_status_of_the_linux_readiness_items_from_fixture_roots(tmp_path):
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
             "cloudbackup_precheck_migrate": True}
    with endpoints.SilentListener() as listener:
        built = {"ready": scenario_ready(tmp_path / "ready", listener.port), "warnings": scenario_warnings(tmp_path / "warn"),
                 "failures": scenario_failures(tmp_path / "fail"), "lvm": scenario_lvm(tmp_path / "lvm"),
                 "errors": scenario_errors(tmp_path / "errors")}
        hosts = dict((name, dict(local, cloudbackup_precheck_root=str(root.path), **variables))
                     for name, (root, variables) in built.items())
        run = run_playbook(tmp_path, {"all": {"vars": NO_ROUTES, "hosts": hosts}})
    assert run.rc == 2, run
    for host, expected in EXPECTED.items():
        found = {}
        for result in run.results(host):
            found.setdefault(result["id"], set()).add(result["status"])
        wrong = [(check, status, sorted(found.get(check, ()))) for check, status in expected.items()
                 if status not in found.get(check, ())]
        assert not wrong, (host, wrong)
    assert run.report["hosts"]["ready"]["verdict"] == "ready"
    assert SECRET not in run.output() and SECRET not in json.dumps(run.report)


@needs_root
def test_a_full_root_file_system(tmp_path):
    full = tmp_path / "full"
    full.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,nr_inodes=64", "tmpfs", str(full)], check=True)
    try:
        with open(str(full / "filler"), "wb") as handle:
            try:
                handle.write(b"\0" * 512 * 1024)
            except OSError:
                pass
        run = run_playbook(tmp_path, local_inventory(cloudbackup_precheck_root=str(full), cloudbackup_precheck_migrate=True,
                                                     cloudbackup_precheck_host_checks=["migrate.disk_full"], **NO_ROUTES))
    finally:
        subprocess.run(["umount", str(full)], check=True)
    assert run.rc == 2, run
    result = run.result("migrate.disk_full")
    assert (result["status"], result["code"]) == ("failed", "migrate.disk_full/full")
    assert "of its space" in result["message"]
