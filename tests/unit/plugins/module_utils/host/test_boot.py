"""migrate.grub_version, migrate.grub_device_names and migrate.virtio on fixture roots, and the initramfs
reader on archives built here (gzip, xz and zstd with an early microcode archive in front)."""

import time

import pytest

from host_engine import migrate
from linux_root import KERNEL, VIRTIO_MODULES, initramfs, ubuntu_vm
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import boot
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import initramfs as reader
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host.connection import Root


def test_grub_2_06_from_the_installed_boot_loader_passes(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.file("/boot/grub/x86_64-efi/modinfo.sh", 'grub_version="2.06"\n')
    root.remove("/boot/grub/i386-pc/modinfo.sh")
    result = migrate("migrate.grub_version", root)
    assert result["status"] == "passed" and result["message"].startswith("GRUB 2.06 (from the installed boot loader")


def test_legacy_grub_0_97_fails(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.remove("/boot/grub/i386-pc/modinfo.sh")
    root.remove("/boot/grub/grub.cfg")
    root.dpkg({"cloud-init": "1"})
    root.file("/boot/grub/stage2", b"\0")
    root.file("/boot/grub/menu.lst", "title CentOS\n\tkernel /vmlinuz ro root=LABEL=/\n")
    result = migrate("migrate.grub_version", root)
    assert (result["status"], result["code"]) == ("failed", "migrate.grub_version/too_old")
    assert "GRUB 0.97 (from legacy GRUB: /boot/grub/stage2 and no grub.cfg) is older than 1.99" in result["message"]
    assert "grub2-install" in result["remediation"]


@pytest.mark.parametrize("package, version, status", [
    ("grub", "0.97-99.el6", "failed"),
    ("grub-common", "2.06-13+deb12u1", "passed"),
    ("grub2-common", "1:2.02-0.86.el7", "passed"),
    ("grub-pc", "1.98+20100804-14", "failed"),
])
def test_grub_version_from_the_package_database(tmp_path, package, version, status):
    root = ubuntu_vm(tmp_path)
    root.remove("/boot/grub/i386-pc/modinfo.sh")
    root.dpkg({package: version})
    result = migrate("migrate.grub_version", root)
    assert result["status"] == status and "the dpkg package %s" % package in result["message"]


def test_no_grub_at_all_warns(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.remove("/boot/grub/i386-pc/modinfo.sh")
    root.dpkg({})
    assert migrate("migrate.grub_version", root)["code"] == "migrate.grub_version/not_found"


def test_root_by_kernel_device_name_in_grub_cfg_fails_with_file_and_line(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.file("/boot/grub/grub.cfg", "set default=0\nmenuentry 'Ubuntu' {\n\tlinux /vmlinuz root=/dev/sda2 ro\n}\n"
              "# linux /old root=/dev/sdb1\n")
    root.file("/etc/default/grub", 'GRUB_CMDLINE_LINUX="resume=/dev/sda3"\n')
    result = migrate("migrate.grub_device_names", root)
    assert (result["status"], result["code"]) == ("failed", "migrate.grub_device_names/device_names")
    assert "/boot/grub/grub.cfg line 3: root=/dev/sda2" in result["message"]
    assert "/etc/default/grub line 1: resume=/dev/sda3" in result["message"]
    assert "sdb1" not in result["message"]
    assert "root=UUID" in result["remediation"]


def test_uuid_and_lvm_names_pass(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.file("/boot/loader/entries/rhel.conf", "options root=/dev/mapper/rhel-root ro resume=UUID=abc\n")
    result = migrate("migrate.grub_device_names", root)
    assert result["status"] == "passed" and "/boot/loader/entries/rhel.conf" in result["message"]


def names(version):
    return [m % version for m in VIRTIO_MODULES]


def test_virtio_built_in_passes(tmp_path):
    result = migrate("migrate.virtio", ubuntu_vm(tmp_path))
    assert result["status"] == "passed" and "built in: nvme, virtio_blk, virtio_net, virtio_pci" in result["message"]


@pytest.mark.parametrize("compression", ["gzip", "zstd", "xz"])
def test_virtio_only_in_a_compressed_initramfs_passes(tmp_path, compression):
    root = ubuntu_vm(tmp_path)
    root.kernel(KERNEL, builtin=[], modules=["block/virtio_blk"], initramfs_names=[n + ".zst" for n in names(KERNEL)],
                compression=compression)
    result = migrate("migrate.virtio", root)
    assert result["status"] == "passed", result
    assert result["details"]["initramfs_format"] == compression
    assert result["details"]["in_initramfs"] == ["nvme", "virtio_blk", "virtio_net", "virtio_pci"]


def test_virtio_blk_missing_from_kernel_and_initramfs_fails(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.kernel(KERNEL, builtin=["net/virtio_net"], modules=["block/virtio_blk", "virtio/virtio_pci"],
                initramfs_names=["usr/lib/modules/%s/kernel/drivers/scsi/vmw_pvscsi.ko" % KERNEL], compression="zstd")
    result = migrate("migrate.virtio", root)
    assert (result["status"], result["code"]) == ("failed", "migrate.virtio/missing")
    assert "lacks virtio_blk, virtio_pci: neither built in nor in /boot/initrd.img-%s" % KERNEL in result["message"]
    assert "dracut --add-drivers" in result["remediation"] and "update-initramfs -u -k %s" % KERNEL in result["remediation"]


def test_virtio_without_nvme_warns(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.kernel(KERNEL, builtin=["block/virtio_blk", "virtio/virtio_pci", "net/virtio_net"], initramfs_names=[])
    assert migrate("migrate.virtio", root)["code"] == "migrate.virtio/no_nvme"


def test_virtio_judges_the_newest_kernel(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.kernel("5.4.0-9-generic", builtin=[])
    root.kernel("5.15.0-100-generic", builtin=[], initramfs_names=[])
    result = migrate("migrate.virtio", root)
    assert result["target"] == "kernel 5.15.0-100-generic" and result["status"] == "failed"


def test_virtio_built_in_by_the_kernel_config(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.kernel(KERNEL, builtin=[], initramfs_names=None)
    root.file("/boot/config-%s" % KERNEL, "CONFIG_VIRTIO_BLK=y\nCONFIG_VIRTIO_PCI=y\nCONFIG_VIRTIO_NET=y\n"
              "CONFIG_BLK_DEV_NVME=y\n")
    assert migrate("migrate.virtio", root)["status"] == "passed"


def read(tmp_path, data):
    path = tmp_path / "initrd.img"
    path.write_bytes(data)
    return reader.list_names(Root("/", 5), str(path), "initrd.img", time.monotonic() + 10)


def test_initramfs_reader_reads_the_microcode_archive_and_the_compressed_one(tmp_path):
    found, how = read(tmp_path, initramfs(["usr/lib/modules/x/virtio_blk.ko", "init"], "gzip"))
    assert how == "gzip"
    assert "kernel/x86/microcode/GenuineIntel.bin" in found and "init" in found and "TRAILER!!!" not in found


def test_initramfs_reader_reads_an_uncompressed_archive(tmp_path):
    found, how = read(tmp_path, initramfs(["a", "b"], "none", microcode=False))
    assert (found, how) == (["a", "b"], "cpio")


def test_initramfs_in_zstd_without_zstd_falls_back_then_errors(tmp_path, monkeypatch):
    data = initramfs(["usr/lib/modules/x/virtio_blk.ko"], "zstd")
    monkeypatch.setattr(Root, "find_command", lambda self, name: None)
    with pytest.raises(PrecheckError) as err:
        read(tmp_path, data)
    assert err.value.cause == "driver_missing"
    assert "compressed with zstd, and neither zstd, lsinitramfs nor lsinitrd is installed" in err.value.message


def test_initramfs_that_is_not_an_archive_is_an_error(tmp_path):
    with pytest.raises(PrecheckError) as err:
        read(tmp_path, b"PK\x03\x04 not an initramfs")
    assert "unknown format" in err.value.message


def test_grub_version_parsing():
    assert boot.parse_version("grub-install (GRUB) 2.06-13+deb12u1") == (2, 6)
    assert boot.parse_version("1:2.02-0.86.el7.centos") == (2, 2)
    assert boot.parse_version("0.97-99.el6") == (0, 97)
    assert boot.parse_version("none") is None
