# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The disk layout, read from /sys under the root (what lsblk reads): disks, their partitions, and the
devices stacked on them (device-mapper and md: LVM, crypt, RAID), so that the disks under any file
system can be named."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

SECTOR = 512
_SCSI_ADDRESS = re.compile(r"^(\d+):(\d+):(\d+):(\d+)$")


def _int(text, default=0):
    try:
        return int((text or "").strip())
    except ValueError:
        return default


def _device(fs, base, name, parent=None):
    real = fs.resolve(base)
    entry = {
        "name": name,
        "dev": (fs.text(base + "/dev") or "").strip(),
        "size": _int(fs.text(base + "/size")) * SECTOR,
        "parent": parent,
        "slaves": fs.listdir(base + "/slaves"),
        "virtual": "/devices/virtual/" in fs.host_path(real) + "/",
        "removable": _int(fs.text(base + "/removable")) == 1,
        "read_only": _int(fs.text(base + "/ro")) == 1,
        "dm_name": (fs.text(base + "/dm/name") or "").strip() or None,
        "md": fs.isdir(base + "/md"),
        "scsi_address": None,
    }
    if parent is None:
        device = fs.resolve(base + "/device")
        match = _SCSI_ADDRESS.match(os.path.basename(device)) if fs.exists(base + "/device") else None
        if match:
            entry["scsi_address"] = tuple(int(part) for part in match.groups())
    return entry


def read_block_devices(fs):
    """{name: device} for every block device: whole devices (disks, dm-N, mdN, loopN) and their partitions."""
    devices = {}
    for name in fs.listdir("/sys/block"):
        base = "/sys/block/" + name
        devices[name] = _device(fs, base, name)
        for child in fs.listdir(base):
            if fs.exists("%s/%s/partition" % (base, child)):
                devices[child] = _device(fs, "%s/%s" % (base, child), child, parent=name)
    return devices


def block_devices(ctx):
    """The disk layout of the run, read once."""
    def read():
        ctx.fs.require_live_state("The disk layout", "/sys/block")
        return read_block_devices(ctx.fs)
    return ctx.cached("block_devices", read)


def by_dev(devices, major, minor):
    wanted = "%d:%d" % (major, minor)
    for device in devices.values():
        if device["dev"] == wanted:
            return device
    return None


def device_of_source(fs, devices, source):
    """The device named by a mount source (`/dev/sda2`, `/dev/mapper/vg-root`, `/dev/dm-0`), or None."""
    if not source.startswith("/dev/"):
        return None
    real = os.path.basename(fs.resolve(source))
    if real in devices:
        return devices[real]
    name = os.path.basename(source)
    if name in devices:
        return devices[name]
    if source.startswith("/dev/mapper/"):
        for device in devices.values():
            if device["dm_name"] == name:
                return device
    return None


def device_of_mount(fs, devices, mount):
    """The block device of a mount: by its device number, else by its source (btrfs and others show an
    anonymous device number)."""
    if mount.get("major"):
        device = by_dev(devices, mount["major"], mount["minor"])
        if device is not None:
            return device
    return device_of_source(fs, devices, mount["source"])


def disks_under(devices, name, seen=None):
    """The whole disks that a device lives on: itself, the disk of a partition, or every disk under a
    stacked device (an LVM volume over two disks gives both)."""
    seen = set() if seen is None else seen
    if name in seen or name not in devices:
        return []
    seen.add(name)
    device = devices[name]
    if device["parent"]:
        return disks_under(devices, device["parent"], seen)
    if device["slaves"]:
        disks = []
        for slave in device["slaves"]:
            for disk in disks_under(devices, slave, seen):
                if disk not in disks:
                    disks.append(disk)
        return disks
    return [name]


def partitions_under(devices, name, seen=None):
    """The partitions (or whole disks used without a partition table) that hold a device's data."""
    seen = set() if seen is None else seen
    if name in seen or name not in devices:
        return []
    seen.add(name)
    device = devices[name]
    if device["slaves"] and not device["parent"]:
        found = []
        for slave in device["slaves"]:
            found.extend(p for p in partitions_under(devices, slave, seen) if p not in found)
        return found
    return [name]


def _natural(name):
    """sda < sdb < sdz < sdaa, vda < vdb, nvme0n1 < nvme1n1: the kernel's own naming order."""
    key = []
    for part in re.findall(r"\d+|\D+", name):
        key.append((0, int(part), "") if part.isdigit() else (1, len(part), part))
    return key


def disk_order(devices):
    """The whole disks a hypervisor attaches, first disk first: no partitions, nothing virtual (loop,
    dm, md, zram), nothing removable (CD-ROM), nothing empty. SCSI disks sort by their address
    (host:channel:target:lun), then the rest by name."""
    disks = [d for d in devices.values()
             if not d["parent"] and not d["virtual"] and not d["removable"] and d["size"] > 0]
    return sorted(disks, key=lambda d: ((0,) + d["scsi_address"] if d["scsi_address"] else (1,), _natural(d["name"])))
