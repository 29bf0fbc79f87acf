"""Every judge of the host engine's Linux readiness items on plain data (the gathering is tested on
fixture roots and real trees in the other test_host_* files)."""

import ipaddress

from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import (
    boot, disks, files, guest, network, os_support, paths, services)

GIB = 1024 ** 3


def summary(**overrides):
    found = {"path": "/data", "entries": 10, "files": 8, "directories": 2, "symlinks": 0, "missing": False,
             "stopped": None, "locked_keys": [], "elapsed_ms": 5}
    for name in ("unreadable", "special", "mounts_not_walked", "too_deep"):
        found[name] = {"count": 0, "first": [], "listed": 20}
    found.update(overrides)
    return found


def test_judge_unreadable():
    assert files.judge_unreadable("/data", summary(), "backup")["status"] == "passed"
    bad = summary(unreadable={"count": 3, "first": [{"path": "/data/a", "error": "not readable"}], "listed": 1})
    result = files.judge_unreadable("/data", bad, "backup")
    assert result["code"] == "unreadable" and "/data/a and 2 more" in result["message"]
    stopped = summary(stopped={"reason": "seconds", "limit": 1.0, "at": "/data/x"})
    assert files.judge_unreadable("/data", stopped, "backup")["code"] == "walk_incomplete"
    assert files.judge_unreadable("/data", summary(missing=True), "backup")["code"] == "missing"


def test_judge_special():
    found = summary(special={"count": 1, "first": [{"path": "/data/q", "kind": "fifo"}], "listed": 20})
    result = files.judge_special("/data", found)
    assert result["status"] == "warning" and "/data/q (fifo)" in result["message"]
    assert files.judge_special("/data", summary())["status"] == "passed"


def test_judge_network_fs():
    nfs = {"mountpoint": "/data", "fstype": "nfs4", "source": "nas:/x", "options": ["rw"], "super_options": ["rw"]}
    ext4 = dict(nfs, fstype="ext4", source="/dev/sdb1")
    assert files.judge_network_fs("/data", nfs, [], False, 0)["status"] == "warning"
    assert files.judge_network_fs("/data", ext4, [], False, 0)["status"] == "passed"
    result = files.judge_network_fs("/data", ext4, [], True, 0)
    assert result["status"] == "warning" and "fscrypt" in result["message"]
    fuse = dict(nfs, mountpoint="/data/cloud", fstype="fuse.sshfs", super_options=["rw", "user_id=1000"])
    assert "without allow_other by uid 1000" in files.judge_network_fs("/data", ext4, [fuse], False, 0)["message"]


def test_judge_open_for_write():
    scan = {"files": [], "hidden_pids": 0, "complete": True}
    writer = {"path": "/data/db", "pid": 9, "comm": "postgres", "write": True, "key": "8:1:2"}
    assert files.judge_open_for_write("/data", [writer], scan)["code"] == "open_for_write"
    assert files.judge_open_for_write("/data", [dict(writer, write=False)], scan)["status"] == "passed"
    assert files.judge_open_for_write("/data", [], dict(scan, hidden_pids=4))["code"] == "scan_incomplete"


def test_judge_locked():
    lock = {"type": "POSIX", "access": "WRITE", "pid": 9, "key": "8:1:2", "path": "/data/db"}
    assert "/data/db (POSIX write lock, pid 9)" in files.judge_locked("/data", [lock], summary())["message"]
    assert files.judge_locked("/data", [], summary())["status"] == "passed"


def test_judge_backup_client_linux():
    dist = {"id": "ubuntu", "version": "18.04", "name": "Ubuntu", "source": "/etc/os-release"}
    assert os_support.judge_backup_client_linux("h", dist, [])[0]["status"] == "passed"
    assert os_support.judge_backup_client_linux("h", dict(dist, id=None), [])[0]["status"] == "error"
    assert os_support.judge_backup_client_linux("h", dict(dist, version="23.10"), ["ubuntu:23.10"])[0]["code"] == \
        "listed_extra"


def test_judge_cloud_instance_linux_and_issue():
    dist = {"id": "centos", "version": "7.9.2009", "name": "CentOS", "source": "/etc/os-release"}
    found = os_support.judge_cloud_instance_linux("h", dist, "\\S\nKernel \\r on an \\m\n")
    assert [r["status"] for r in found] == ["passed"]
    assert os_support.judge_issue("h", dist, "Debian GNU/Linux 12 \\n \\l")["code"] == "issue_disagrees"
    assert os_support.judge_issue("h", dist, None)["code"] == "issue_missing"


def test_judge_service():
    probe = {"ok": False, "step": "tcp", "cause": "timeout", "detail": "timed out", "address": "10.0.0.1",
             "elapsed_ms": 2000}
    proxies = {"https_proxy": {"value": "http://proxy:3128", "from": "environment"}}
    result = services.judge_service("login.example.com", 443, probe, proxies)
    assert result["cause"] == "timeout" and "A proxy is set (https_proxy=http://proxy:3128" in result["message"]
    ok = dict(probe, ok=True)
    assert services.judge_service("login.example.com", 443, ok, {})["status"] == "passed"


def test_judge_restore_path():
    probe = {"exists": True, "directory": True, "writable": True, "read_only": False, "free_bytes": 5 * GIB,
             "free_bytes_root": 6 * GIB, "files": 100, "free_files": 10}
    account = ("backup", 1001, 1001, [1001])
    assert paths.judge_restore_path("/r", probe, 4, account)["status"] == "passed"
    assert paths.judge_restore_path("/r", probe, 5.5, account)["code"] == "low_space"
    assert paths.judge_restore_path("/r", probe, 5.5, ("root", 0, 0, [0]))["status"] == "passed"  # reserved blocks
    assert paths.judge_restore_path("/r", dict(probe, free_files=0), 1, account)["code"] == "no_inodes"
    error = paths.judge_restore_path("/r", dict(probe, statvfs_error="Permission denied"), 1, account)
    assert (error["status"], error["cause"]) == ("error", "permission")


def test_judge_disk_size_and_first_disk_and_span():
    assert disks.judge_disk_size("/dev/vda", 39.9 * GIB)["code"] == "too_small"
    layout = {"root": {"disks": ["sdb"]}, "boot": None}
    order = [{"name": "sda", "scsi_address": (0, 0, 0, 0)}, {"name": "sdb", "scsi_address": (0, 0, 1, 0)}]
    assert disks.judge_system_disk_first(layout, order)[0]["code"] == "not_first"
    assert disks.judge_system_disk_first(layout, [])[0]["status"] == "error"
    device = {"name": "dm-0", "dm_name": "vg-root", "md": False}
    assert disks.judge_root_span({"device": device, "disks": ["sda", "sdb"]})[0]["code"] == "spans_disks"
    assert disks.judge_root_span({"device": dict(device, dm_name=None, md=True), "disks": ["sda", "sdb"]})[0][
        "message"].startswith("The root file system is on the RAID array /dev/dm-0")


def test_judge_single_root_partition():
    uses = {"sda1": ["/boot/efi"], "sda2": ["/"], "sda3": ["swap"]}
    assert disks.judge_single_root_partition(["sda"], uses)[0]["status"] == "passed"
    uses["sda4"] = ["/home"]
    assert disks.judge_single_root_partition(["sda"], uses)[0]["code"] == "several_partitions"


def test_judge_fstab():
    entries = disks.parse_fstab("UUID=a / ext4 defaults 0 1\nLABEL=gone /srv xfs defaults 0 2\n")
    found = disks.judge_fstab(entries, lambda spec: spec == "UUID=a")
    assert [(r["target"], r["code"]) for r in found] == [("/etc/fstab: /srv", "missing")]
    assert disks.judge_fstab(entries, lambda spec: None)[0]["code"] == "unverified"


def test_judge_nics_ipv6_and_dhcp():
    nics = [{"name": "eth0", "physical": True, "kind": None}, {"name": "lo", "physical": False, "kind": "loopback"}]
    assert network.judge_nics(nics)[0]["status"] == "passed"
    assert network.judge_ipv6([(ipaddress.ip_address("fec0::1"), "eth0")])[0]["message"].count("site-local") == 1
    config = {"file": "/etc/sysconfig/network-scripts/ifcfg-eth0", "method": "BOOTPROTO=dhcp", "dhcp": True,
              "manager": "network-scripts"}
    assert network.judge_dhcp("eth0", config, ["/sbin/dhclient"], [])[0]["status"] == "passed"
    assert network.judge_dhcp("eth0", config, [], [])[0]["code"] == "no_client"
    assert network.judge_dhcp("eth0", dict(config, manager="NetworkManager"), [], ["NetworkManager"])[0]["status"] == \
        "passed"


def test_judge_grub():
    assert boot.judge_grub_version([("2.12", "the rpm package grub2-tools")])[0]["status"] == "passed"
    assert boot.judge_grub_version([("0.97-99.el6", "the rpm package grub")])[0]["code"] == "too_old"
    assert boot.judge_grub_version([("unknown", "x")])[0]["status"] == "error"
    assert boot.judge_grub_version([])[0]["code"] == "not_found"
    found = boot.judge_grub_device_names({"/boot/grub2/grub.cfg": "linux16 /vmlinuz root=/dev/xvda1 ro\n"})
    assert found[0]["code"] == "device_names" and "root=/dev/xvda1" in found[0]["message"]
    assert boot.judge_grub_device_names({})[0]["code"] == "not_found"


def test_judge_virtio():
    drivers = {"kernel": "4.18.0", "builtin": set(), "initramfs": "/boot/initramfs-4.18.0.img",
               "initramfs_modules": {"virtio_blk", "virtio_pci", "nvme"}, "initramfs_format": "gzip",
               "installed": {"virtio_net"}}
    assert boot.judge_virtio(drivers)[0]["status"] == "passed"      # virtio_net may load from the root
    assert boot.judge_virtio(dict(drivers, installed=set()))[0]["code"] == "missing"
    assert boot.judge_virtio(dict(drivers, initramfs_modules={"virtio_blk", "virtio_pci"}))[0]["code"] == "no_nvme"


def test_judge_guest_items():
    state = {"package": None, "binaries": ["/usr/bin/cloud-init"], "enabled_by": ["/etc/rc3.d/S50cloud-init"],
             "disabled_by": []}
    assert guest.judge_cloud_init(state, None)[0]["status"] == "passed"
    assert guest.judge_cloud_init(dict(state, binaries=[]), "no database")[0]["code"] == "not_installed"
    assert guest.judge_qemu_ga({"installed": {"qemu-ga": "2.5"}}, [], None)[0]["code"] == "installed"
    assert guest.judge_qemu_ga({"installed": {}}, [], None)[0]["status"] == "passed"
    assert guest.judge_selinux({"SELINUX": "Enforcing"}, True)[0]["code"] == "enforcing"
    assert guest.judge_selinux(None, None)[0]["status"] == "passed"
    assert guest.judge_password("Abc123!xyz")[0]["status"] == "passed"
    (refused,) = guest.judge_password("/Abc123xyz", windows=True)
    assert refused["code"] == "policy" and "Windows administrator" in refused["message"]
