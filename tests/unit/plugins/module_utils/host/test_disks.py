"""migrate.system_disk_size, system_disk_first, root_lvm_span, single_root_partition, disk_full and fstab on
fixture roots (a fixture /sys: this kernel has no device-mapper, so LVM cannot be built for real here)."""

import pytest

from host_engine import migrate, run
from linux_root import LinuxRoot, ROOT_UUID, ubuntu_vm
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import disks


def vm_with_disk(tmp_path, size_gib):
    root = ubuntu_vm(tmp_path)
    root.disk("sda", size_gib, scsi="0:0:0:0", partitions=[("sda1", 1), ("sda2", size_gib - 1)])
    return root


@pytest.mark.parametrize("size, status, code, text", [
    (30, "failed", "too_small", "System disk /dev/sda is 30.0 GiB, below the 40 GiB"),
    (600, "failed", "too_large", "System disk /dev/sda is 600.0 GiB, above the 500 GiB"),
    (40, "passed", "passed", "40.0 GiB (40-500 GiB)"),
    (500, "passed", "passed", "500.0 GiB"),
])
def test_system_disk_size(tmp_path, size, status, code, text):
    result = migrate("migrate.system_disk_size", vm_with_disk(tmp_path, size))
    expected = (status, "migrate.system_disk_size/" + code, "disk /dev/sda")
    assert (result["status"], result["code"], result["target"]) == expected
    assert text in result["message"]


def test_root_on_the_second_disk_fails_system_disk_first(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.disk("sdb", 80, major=8, minor=16, scsi="0:0:1:0", partitions=[("sdb1", 80)])
    root._mounts = []
    root.mount("/", "8:17", "ext4", "/dev/sdb1")
    root.mount("/boot", "8:1", "ext4", "/dev/sda1")
    result = migrate("migrate.system_disk_first", root)
    assert (result["status"], result["code"]) == ("failed", "migrate.system_disk_first/not_first")
    assert "The first disk is /dev/sda (SCSI 0:0:0:0), but / is on /dev/sdb" in result["message"]
    assert result["details"]["disk_order"] == ["sda", "sdb"]


def test_first_disk_is_by_scsi_address_not_by_name(tmp_path):
    root = ubuntu_vm(tmp_path)
    # sdb sits at SCSI 0:0:0:0 and sda at 0:0:1:0: the hypervisor's first disk is sdb.
    root.disk("sda", 100, scsi="0:0:1:0", partitions=[("sda1", 1), ("sda2", 99)])
    root.disk("sdb", 50, major=8, minor=16, scsi="0:0:0:0")
    result = migrate("migrate.system_disk_first", root)
    assert result["status"] == "failed" and result["details"]["disk_order"] == ["sdb", "sda"]


def test_first_disk_ignores_cdrom_loop_and_virtual_devices(tmp_path):
    root = ubuntu_vm(tmp_path)      # it has a removable sr0 at SCSI 1:0:0:0
    root.disk("loop0", 2, major=7, virtual=True)
    result = migrate("migrate.system_disk_first", root)
    assert result["status"] == "passed" and result["details"]["disk_order"] == ["sda"]


def lvm_vm(tmp_path, second_disk_in_vg):
    root = ubuntu_vm(tmp_path)
    root.disk("sdb", 100, major=8, minor=16, scsi="0:0:1:0", partitions=[("sdb1", 100)])
    slaves = ["sda2", "sdb1"] if second_disk_in_vg else ["sda2"]
    root.dm("dm-0", "vg0-root", slaves, 150)
    root._mounts = []
    root.mount("/", "253:0", "xfs", "/dev/mapper/vg0-root")
    root.mount("/boot", "8:1", "xfs", "/dev/sda1")
    return root


def test_lvm_root_across_two_disks_fails(tmp_path):
    result = migrate("migrate.root_lvm_span", lvm_vm(tmp_path, True))
    assert (result["status"], result["code"]) == ("failed", "migrate.root_lvm_span/spans_disks")
    assert "device-mapper volume vg0-root (/dev/dm-0), which spans 2 disks (/dev/sda, /dev/sdb)" in result["message"]
    assert "pvmove" in result["remediation"]


def test_lvm_root_on_one_disk_passes_and_its_disk_is_judged(tmp_path):
    root = lvm_vm(tmp_path, False)
    result = migrate("migrate.root_lvm_span", root)
    assert result["status"] == "passed" and "vg0-root" in result["message"] and "/dev/sda" in result["message"]
    assert migrate("migrate.system_disk_size", root)["target"] == "disk /dev/sda"
    assert migrate("migrate.system_disk_first", root)["status"] == "passed"


def test_lvm_across_disks_is_also_sized_per_disk(tmp_path):
    results = run(["migrate.system_disk_size"], root=str(lvm_vm(tmp_path, True)), migrate=True)
    assert [r["target"] for r in results] == ["disk /dev/sda", "disk /dev/sdb"]


def test_root_mounted_by_source_name_when_the_device_number_is_anonymous(tmp_path):
    root = ubuntu_vm(tmp_path)
    root._mounts = []
    root.mount("/", "0:33", "btrfs", "/dev/sda2")
    assert migrate("migrate.system_disk_size", root)["target"] == "disk /dev/sda"


def test_container_root_is_an_error_naming_the_file_system(tmp_path):
    root = ubuntu_vm(tmp_path)
    root._mounts = []
    root.mount("/", "0:51", "overlay", "overlay")
    result = migrate("migrate.system_disk_size", root)
    assert (result["status"], result["cause"]) == ("error", "unsupported")
    assert "overlay from overlay" in result["message"]


def test_an_image_without_proc_and_sys_is_an_error_not_a_pass(tmp_path):
    root = LinuxRoot(tmp_path)
    root.file("/etc/os-release", "ID=ubuntu\n")
    for check in ("migrate.system_disk_size", "migrate.nics", "migrate.ipv6"):
        result = migrate(check, root)
        assert (result["status"], result["cause"]) == ("error", "unsupported"), result
        assert "a running system" in result["message"]


def test_single_root_partition_counts_file_system_partitions_not_boot_or_swap(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.disk("sda", 100, scsi="0:0:0:0", partitions=[("sda1", 1), ("sda2", 60), ("sda3", 4), ("sda4", 35)])
    root.file("/proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/dev/sda3  partition\t4194300\t0\t-2\n")
    result = migrate("migrate.single_root_partition", root)
    assert result["status"] == "passed", result
    root.mount("/var", "8:4", "ext4", "/dev/sda4")
    result = migrate("migrate.single_root_partition", root)
    assert (result["status"], result["code"]) == ("failed", "migrate.single_root_partition/several_partitions")
    assert "/dev/sda2 (/)" in result["message"] and "/dev/sda4 (/var)" in result["message"]
    assert "/dev/sda3 (swap)" in result["message"] and "/var" in result["remediation"]


def test_single_root_partition_ignores_data_disks(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.disk("sdb", 200, major=8, minor=16, scsi="0:0:1:0", partitions=[("sdb1", 200)])
    root.mount("/data", "8:17", "xfs", "/dev/sdb1")
    assert migrate("migrate.single_root_partition", root)["status"] == "passed"


@pytest.mark.parametrize("vfs, status, text", [
    (dict(blocks=1000, bfree=5, bavail=5, files=100, ffree=50), "failed", "99.5 % of its space"),
    (dict(blocks=1000, bfree=500, bavail=450, files=1000, ffree=5), "failed", "99.5 % of its inodes"),
    (dict(blocks=1000, bfree=500, bavail=450, files=0, ffree=0), "passed", "52.6 % of its space."),
])
def test_disk_full_judge(vfs, status, text):
    vfs["frsize"] = 4096
    (result,) = disks.judge_disk_full(vfs)
    assert result["status"] == status and text in result["message"]


def test_disk_full_reads_the_root_file_system(tmp_path):
    result = migrate("migrate.disk_full", ubuntu_vm(tmp_path))
    assert result["status"] == "passed" and "of its space" in result["message"]


def fstab_results(root):
    return run(["migrate.fstab"], root=str(root), migrate=True)


def test_fstab_with_a_missing_uuid_fails_and_names_the_line(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.file("/etc/fstab", "UUID=%s / ext4 defaults 0 1\nUUID=deadbeef-0000 /data xfs defaults 0 2\n"
              "UUID=cafe-0001 /backup xfs defaults,nofail 0 2\n/dev/sda1 /boot ext4 defaults 0 2\n"
              "nas:/export /mnt/nas nfs defaults 0 0\n" % ROOT_UUID)
    results = dict((r["target"], r) for r in fstab_results(root))
    assert results["/etc/fstab: /data"]["status"] == "failed"
    assert "line 2 mounts /data from UUID=deadbeef-0000, which does not exist" in results["/etc/fstab: /data"]["message"]
    assert "emergency mode" in results["/etc/fstab: /data"]["message"]
    assert results["/etc/fstab: /backup"]["status"] == "warning"
    assert results["/etc/fstab: /boot"]["code"] == "migrate.fstab/device_name"
    assert "UUID=<uuid>" in results["/etc/fstab: /boot"]["remediation"]
    assert "/etc/fstab: /mnt/nas" not in results and "/etc/fstab: /" not in results


def test_fstab_missing_is_a_failure(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.remove("/etc/fstab")
    assert fstab_results(root)[0]["code"] == "migrate.fstab/missing_file"


def test_fstab_sources_that_cannot_be_verified_warn(tmp_path):
    root = ubuntu_vm(tmp_path)
    for link in (root.path / "dev/disk/by-uuid").iterdir():
        link.unlink()
    (root.path / "dev/disk/by-uuid").rmdir()
    (root.path / "dev/disk").rmdir()
    (result,) = fstab_results(root)
    assert (result["status"], result["code"]) == ("warning", "migrate.fstab/unverified")


def test_blkid_export_parsing():
    found = disks.parse_blkid_export("DEVNAME=/dev/vda1\nUUID=abc\nTYPE=ext4\nPARTUUID=p-1\n\nDEVNAME=/dev/vdb\nLABEL=data\n")
    assert found["UUID"] == {"abc"} and found["LABEL"] == {"data"} and found["PARTUUID"] == {"p-1"}
