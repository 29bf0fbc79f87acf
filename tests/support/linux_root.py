"""Fixture trees of a Linux system (/etc, /boot, /lib/modules, /proc, /sys, /dev, /var/lib/dpkg), built
in Python, for the host engine's `root` option. Nothing is copied from a real system: each file holds
only what the gatherers read, in the format the kernel or the tool documents.

`ubuntu_vm(path)` builds a VM that is ready to become a cloud instance; tests change one thing each."""

import gzip
import io
import os
import subprocess
from pathlib import Path

GIB = 1024 ** 3


def cpio_newc(names):
    """A cpio archive in the "newc" format with empty files of these names."""
    out = io.BytesIO()
    ino = 1

    def entry(name, mode):
        nonlocal ino
        encoded = name.encode() + b"\0"
        header = b"070701" + b"".join(b"%08X" % value for value in (
            ino, mode, 0, 0, 1, 0, 0, 0, 0, 0, 0, len(encoded), 0))
        out.write(header + encoded + b"\0" * ((4 - (len(header) + len(encoded)) % 4) % 4))
        ino += 1
    for name in names:
        entry(name, 0o100644)
    entry("TRAILER!!!", 0)
    out.write(b"\0" * ((512 - out.tell() % 512) % 512))
    return out.getvalue()


def initramfs(names, compression="gzip", microcode=True):
    """An initramfs as dracut or initramfs-tools write it: an uncompressed early cpio with CPU microcode,
    then the main archive compressed."""
    early = cpio_newc(["kernel", "kernel/x86", "kernel/x86/microcode", "kernel/x86/microcode/GenuineIntel.bin"]) \
        if microcode else b""
    main = cpio_newc(names)
    if compression == "gzip":
        body = gzip.compress(main)
    elif compression in ("zstd", "lz4", "xz"):
        argv = {"zstd": ["zstd", "-q", "-c"], "lz4": ["lz4", "-q", "-l", "-c"], "xz": ["xz", "-c", "--check=crc32"]}
        body = subprocess.run(argv[compression], input=main, capture_output=True, check=True).stdout
    elif compression == "none":
        body = main
    else:
        raise ValueError(compression)
    return early + body


class LinuxRoot:
    def __init__(self, path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._mounts = []
        self._minor = {}

    def __str__(self):
        return str(self.path)

    def file(self, rel, content="", mode=None):
        path = self.path / rel.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        if mode is not None:
            os.chmod(path, mode)
        return path

    def link(self, rel, target):
        path = self.path / rel.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.exists():
            path.unlink()
        os.symlink(target, path)
        return path

    def remove(self, rel):
        path = self.path / rel.lstrip("/")
        if path.is_symlink() or path.is_file():
            path.unlink()

    def dir(self, rel):
        path = self.path / rel.lstrip("/")
        path.mkdir(parents=True, exist_ok=True)
        return path

    # /etc ------------------------------------------------------------------------------------

    def os_release(self, dist_id, version_id, name):
        self.file("/etc/os-release", 'NAME="%s"\nID=%s\nVERSION_ID="%s"\nPRETTY_NAME="%s %s"\n'
                  % (name, dist_id, version_id, name, version_id))

    def dpkg(self, packages):
        stanzas = ["Package: %s\nStatus: install ok installed\nVersion: %s\n" % (name, version)
                   for name, version in packages.items()]
        self.file("/var/lib/dpkg/status", "\n".join(stanzas))

    # /proc -----------------------------------------------------------------------------------

    def mount(self, mountpoint, dev, fstype, source, options="rw,relatime", super_options="rw"):
        self._mounts.append((mountpoint, dev, fstype, source, options, super_options))
        lines = ["%d 1 %s / %s %s - %s %s %s" % (20 + i, m[1], m[0].replace(" ", "\\040"), m[4], m[2], m[3], m[5])
                 for i, m in enumerate(self._mounts)]
        self.file("/proc/self/mountinfo", "\n".join(lines) + "\n")

    def if_inet6(self, entries):
        """entries: [(address, interface)]."""
        import ipaddress
        lines = []
        for index, (address, nic) in enumerate(entries, 1):
            ip = ipaddress.ip_address(address)
            scope = 0x10 if ip.is_loopback else 0x20 if ip.is_link_local else 0x00
            lines.append("%s %02x %02x %02x %02x %8s" % (ip.packed.hex(), index, 64, scope, 0x80, nic))
        self.file("/proc/net/if_inet6", "\n".join(lines) + "\n")

    def default_route(self, nic):
        self.file("/proc/net/route", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
                  "%s\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n" % nic)

    # /sys ------------------------------------------------------------------------------------

    def disk(self, name, size_gib, major=8, minor=0, scsi=None, partitions=(), virtual=False, removable=False):
        """A whole disk with partitions [(name, size_gib)]; `scsi` an address "0:0:0:0"."""
        if virtual:
            base = "sys/devices/virtual/block/%s" % name
        else:
            base = "sys/devices/pci0000:00/0000:00:10.0/host0/target%s/%s/block/%s" % (
                (scsi or "0:0:0:0").rsplit(":", 1)[0], scsi or "0:0:0:0", name)
            self.dir(base.rsplit("/block/", 1)[0])
            self.link("%s/device" % base, "../../../%s" % (scsi or "0:0:0:0"))
        self.file("%s/dev" % base, "%d:%d\n" % (major, minor))
        self.file("%s/size" % base, "%d\n" % int(size_gib * GIB / 512))
        self.file("%s/removable" % base, "1\n" if removable else "0\n")
        self.file("%s/ro" % base, "0\n")
        self.dir("%s/slaves" % base)
        self.dir("%s/holders" % base)
        self.link("sys/block/%s" % name, "../" + base[len("sys/"):])
        self.link("sys/class/block/%s" % name, "../../" + base[len("sys/"):])
        self.link("sys/dev/block/%d:%d" % (major, minor), "../../" + base[len("sys/"):])
        for number, (part, part_gib) in enumerate(partitions, 1):
            self.file("%s/%s/partition" % (base, part), "%d\n" % number)
            self.file("%s/%s/dev" % (base, part), "%d:%d\n" % (major, minor + number))
            self.file("%s/%s/size" % (base, part), "%d\n" % int(part_gib * GIB / 512))
            self.dir("%s/%s/holders" % (base, part))
            self.link("sys/dev/block/%d:%d" % (major, minor + number), "../../" + base[len("sys/"):] + "/" + part)
            self.link("sys/class/block/%s" % part, "../../" + base[len("sys/"):] + "/" + part)
        return base

    def dm(self, name, dm_name, slaves, size_gib, minor=0):
        """A device-mapper volume (LVM) over the partitions or disks `slaves`."""
        base = self.disk(name, size_gib, major=253, minor=minor, virtual=True)
        self.file("%s/dm/name" % base, dm_name + "\n")
        for slave in slaves:
            self.link("%s/slaves/%s" % (base, slave), "/sys/class/block/%s" % slave)
        return base

    def nic(self, name, physical=True, kind=None, slot=3):
        if physical:
            base = "sys/devices/pci0000:00/0000:00:%02x.0/virtio%d/net/%s" % (slot, slot, name)
            self.link("%s/device" % base, "../../../virtio%d" % slot)
            self.file("%s/type" % base, "1\n")
        else:
            base = "sys/devices/virtual/net/%s" % name
            self.file("%s/type" % base, "772\n" if kind == "loopback" else "1\n")
            if kind == "bridge":
                self.dir("%s/bridge" % base)
        self.file("%s/address" % base, "52:54:00:12:34:%02x\n" % slot)
        self.link("sys/class/net/%s" % name, "../../" + base[len("sys/"):])

    # /boot, /lib/modules ---------------------------------------------------------------------

    def kernel(self, version, builtin=(), modules=(), initramfs_names=None, compression="gzip",
               initramfs_name="/boot/initrd.img-%s"):
        self.file("/boot/vmlinuz-%s" % version, b"\0" * 16)
        base = "/lib/modules/%s" % version
        self.file(base + "/modules.builtin", "".join("kernel/drivers/%s.ko\n" % b for b in builtin))
        self.file(base + "/modules.dep", "".join("kernel/drivers/%s.ko.xz:\n" % m for m in modules))
        if initramfs_names is not None:
            self.file(initramfs_name % version, initramfs(initramfs_names, compression))


VIRTIO_MODULES = ["usr/lib/modules/%s/kernel/drivers/block/virtio_blk.ko",
                  "usr/lib/modules/%s/kernel/drivers/virtio/virtio_pci.ko",
                  "usr/lib/modules/%s/kernel/drivers/net/virtio_net.ko",
                  "usr/lib/modules/%s/kernel/drivers/nvme/host/nvme.ko"]
KERNEL = "5.4.0-150-generic"
ROOT_UUID = "3f0c6a2e-8f7e-4d1a-9a39-6a1c1d5e7b21"
BOOT_UUID = "0a1b2c3d-1111-4222-8333-944455556666"


def ubuntu_vm(path):
    """Ubuntu 20.04 on one 100 GiB SCSI disk (sda1 /boot, sda2 /), one NIC by DHCP through netplan, GRUB 2.04,
    virtio in the kernel, cloud-init enabled, no qemu-ga: every migrate item passes."""
    root = LinuxRoot(path)
    root.os_release("ubuntu", "20.04", "Ubuntu")
    root.file("/etc/issue", "Ubuntu 20.04.6 LTS \\n \\l\n\n")
    root.file("/bin/sh", b"\x7fELF\x02\x01\x01" + b"\0" * 11 + b"\x3e\x00" + b"\0" * 44)
    root.file("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
    root.file("/etc/group", "root:x:0:\nnogroup:x:65534:\n")
    root.file("/etc/shadow", "root:*:19000:0:99999:7:::\n", mode=0o640)
    root.disk("sda", 100, scsi="0:0:0:0", partitions=[("sda1", 1), ("sda2", 99)])
    root.disk("sr0", 1, major=11, scsi="1:0:0:0", removable=True)
    root.mount("/", "8:2", "ext4", "/dev/sda2")
    root.mount("/boot", "8:1", "ext4", "/dev/sda1")
    root.mount("/proc", "0:21", "proc", "proc", super_options="rw")
    root.file("/proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n")
    root.file("/proc/locks", "")
    root.dir("/proc/1/fd")
    root.nic("lo", physical=False, kind="loopback")
    root.nic("eth0", physical=True)
    root.if_inet6([("::1", "lo"), ("fe80::5054:ff:fe12:3403", "eth0")])
    root.default_route("eth0")
    root.file("/etc/netplan/50-cloud-init.yaml", "network:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp4: true\n"
              "      match:\n        macaddress: 52:54:00:12:34:03\n")
    root.file("/lib/systemd/systemd-networkd", b"")
    root.file("/sbin/dhclient", b"")
    root.file("/boot/grub/i386-pc/modinfo.sh", 'grub_modinfo_target_cpu=i386\ngrub_version="2.04"\n')
    root.file("/boot/grub/grub.cfg", "menuentry 'Ubuntu' {\n\tlinux /vmlinuz-%s root=UUID=%s ro quiet\n}\n"
              % (KERNEL, ROOT_UUID))
    root.file("/etc/default/grub", 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX=""\n')
    root.file("/etc/fstab", "# <file system> <mount point> <type> <options> <dump> <pass>\n"
              "UUID=%s / ext4 errors=remount-ro 0 1\nUUID=%s /boot ext4 defaults 0 2\n"
              "proc /proc proc defaults 0 0\n" % (ROOT_UUID, BOOT_UUID))
    root.link("/dev/disk/by-uuid/%s" % ROOT_UUID, "../../sda2")
    root.link("/dev/disk/by-uuid/%s" % BOOT_UUID, "../../sda1")
    root.file("/dev/sda1", "")
    root.file("/dev/sda2", "")
    root.kernel(KERNEL, builtin=["block/virtio_blk", "virtio/virtio_pci", "net/virtio_net", "nvme/host/nvme"],
                initramfs_names=[])
    root.dpkg({"cloud-init": "23.1.2-0ubuntu0~20.04.2", "grub-common": "2.04-1ubuntu26.17",
               "isc-dhcp-client": "4.4.1-2.1ubuntu5.20.04.5"})
    root.file("/usr/bin/cloud-init", b"")
    root.link("/etc/systemd/system/cloud-init.target.wants/cloud-init.service", "/lib/systemd/system/cloud-init.service")
    return root
