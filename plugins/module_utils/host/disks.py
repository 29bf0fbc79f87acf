# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restore and migration items on the disks (seed 003): the system disk's size and position, the root
file system on one disk and one partition, space left, and /etc/fstab sources that exist."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError, register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import blockdev
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host.gathering import (
    migrating, mount_of, unescape_mount_field)

GIB = 1024 ** 3
SYSTEM_DISK_MIN_GIB = 40
SYSTEM_DISK_MAX_GIB = 500
FULL_PERCENT = 99.0
BOOT_MOUNTS = ("/boot", "/boot/efi", "/efi")
UNSTABLE_DEVICE = re.compile(r"^/dev/(sd[a-z]+|hd[a-z]+|vd[a-z]+|xvd[a-z]+|nvme\d+n\d+)(p?\d+)?$")
TAGS = {"UUID": "by-uuid", "LABEL": "by-label", "PARTUUID": "by-partuuid", "PARTLABEL": "by-partlabel"}
PSEUDO_TYPES = ("proc", "sysfs", "tmpfs", "devpts", "devtmpfs", "cgroup", "cgroup2", "securityfs", "debugfs",
                "mqueue", "hugetlbfs", "pstore", "efivarfs", "binfmt_misc", "configfs", "fusectl", "tracefs",
                "bpf", "autofs", "overlay", "none", "ramfs", "rpc_pipefs", "nfsd")
NETWORK_TYPES = ("nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "9p", "davfs", "sshfs")


def gib(size):
    return size / float(GIB)


def _disk_name(device):
    text = "/dev/%s" % device["name"]
    if device.get("scsi_address"):
        text += " (SCSI %s)" % ":".join(str(p) for p in device["scsi_address"])
    return text


def system_layout(ctx):
    """Where / and /boot live: their mounts, devices and disks."""
    def produce():
        devices, mounts = blockdev.block_devices(ctx), ctx.mounts()
        layout = {"devices": devices, "mounts": mounts}
        for name, point in (("root", "/"), ("boot", "/boot")):
            mount = mount_of(mounts, point)
            if mount is None or (name == "boot" and mount["mountpoint"] != "/boot"):
                layout[name] = None
                continue
            device = blockdev.device_of_mount(ctx.fs, devices, mount)
            if device is None:
                if name == "boot":
                    layout[name] = None
                    continue
                raise PrecheckError("unsupported", "The root file system (%s from %s) is on no block device of "
                                    "/sys/block: a container, or a network root, has no system disk to judge."
                                    % (mount["fstype"], mount["source"]),
                                    "Run the precheck on the machine (VM) that is to be restored or migrated.")
            layout[name] = {"mount": mount, "device": device, "disks": blockdev.disks_under(devices, device["name"])}
        return layout
    return ctx.cached("system_layout", produce)


def judge_disk_size(label, size_bytes):
    """One system disk, named as its system names it (`/dev/sda`, `disk 0 (C:)`)."""
    size = gib(size_bytes)
    target = "disk %s" % label
    details = {"size_bytes": size_bytes, "size_gib": round(size, 1)}
    if SYSTEM_DISK_MIN_GIB <= size <= SYSTEM_DISK_MAX_GIB:
        return R.passed(target, "System disk %s is %.1f GiB (40-500 GiB)." % (label, size), details)
    if size < SYSTEM_DISK_MIN_GIB:
        return R.failed(target, "System disk %s is %.1f GiB, below the 40 GiB a cloud instance's system disk needs."
                        % (label, size),
                        "Grow the disk to at least 40 GiB in the hypervisor, then the partition and file system "
                        "(`growpart`, then `resize2fs` or `xfs_growfs /`; on Windows, Disk Management's Extend "
                        "Volume).", details, code="too_small")
    return R.failed(target, "System disk %s is %.1f GiB, above the 500 GiB a cloud instance's system disk may have."
                    % (label, size),
                    "Move data off the system disk onto a data disk until the system disk can be shrunk to 500 GiB or "
                    "less (a file system cannot shrink in place: copy it to a smaller disk).", details,
                    code="too_large")


@register(
    "migrate.system_disk_size", "System disk between 40 and 500 GiB", ("restore",),
    engine="host", tags=("migrate", "disk"),
    references=("Seed003:VMwareRestoreToECS",),
    rule="The disk holding / (every disk, if / spans several) is 40-500 GiB, read from /sys/block/<disk>/size.",
    permissions="None (reads /proc/self/mountinfo and /sys/block).",
    versions="Linux.",
    applies=migrating,
)
def system_disk_size(ctx):
    layout = system_layout(ctx)
    devices = layout["devices"]
    return [judge_disk_size("/dev/" + name, devices[name]["size"]) for name in layout["root"]["disks"]]


def judge_system_disk_first(layout, order):
    root_disks = layout["root"]["disks"]
    boot_disks = layout["boot"]["disks"] if layout["boot"] else []
    details = {"disk_order": [d["name"] for d in order], "root_disks": root_disks, "boot_disks": boot_disks}
    if not order:
        return [R.error("/", "No disk a hypervisor attaches was found in /sys/block (only virtual or removable "
                        "devices).", "unsupported", details=details)]
    first = order[0]
    problems = []
    if first["name"] not in root_disks:
        problems.append("/ is on %s" % ", ".join("/dev/" + n for n in root_disks))
    if boot_disks and first["name"] not in boot_disks:
        problems.append("/boot is on %s" % ", ".join("/dev/" + n for n in boot_disks))
    if problems:
        return [R.failed("disk %s" % _disk_name(first), "The first disk is %s, but %s: the cloud instance boots from "
                         "its first disk and fails to start." % (_disk_name(first), " and ".join(problems)),
                         "Make the system disk the VM's first disk (SCSI 0:0 in the hypervisor's disk settings), or "
                         "move / and /boot to the first disk.", details, code="not_first")]
    return [R.passed("disk /dev/%s" % first["name"], "The system disk %s is the first disk." % _disk_name(first),
                     details)]


@register(
    "migrate.system_disk_first", "System disk is the first disk", ("restore",),
    engine="host", tags=("migrate", "disk"),
    references=("Seed003:VMwareRestoreToECS",),
    rule="The first of the disks a hypervisor attaches (SCSI address order, else kernel name order; loop, dm, md, "
         "zram and removable devices ignored) holds / and /boot.",
    permissions="None (reads /proc/self/mountinfo and /sys/block).",
    versions="Linux.",
    applies=migrating,
)
def system_disk_first(ctx):
    layout = system_layout(ctx)
    return judge_system_disk_first(layout, blockdev.disk_order(layout["devices"]))


def _stack_name(device):
    if device["dm_name"]:
        return "device-mapper volume %s (/dev/%s)" % (device["dm_name"], device["name"])
    if device["md"]:
        return "RAID array /dev/%s" % device["name"]
    return "/dev/%s" % device["name"]


def judge_root_span(root):
    device, disks = root["device"], root["disks"]
    details = {"device": device["name"], "dm_name": device["dm_name"], "disks": disks}
    if len(disks) > 1:
        return [R.failed("/", "The root file system is on the %s, which spans %d disks (%s): a cloud instance fails "
                         "to start from a root across disks." % (_stack_name(device), len(disks),
                                                                 ", ".join("/dev/" + d for d in disks)),
                         "Move the root logical volume onto one physical volume of the system disk (`pvmove` the "
                         "extents off the other disks, then `vgreduce`), or restore the data to a new instance "
                         "instead of the whole machine.", details, code="spans_disks")]
    return [R.passed("/", "The root file system (%s) is on one disk, /dev/%s." % (_stack_name(device), disks[0]),
                     details)]


@register(
    "migrate.root_lvm_span", "Root file system not spread over several disks", ("restore",),
    engine="host", tags=("migrate", "disk"),
    references=("Seed003:VMwareRestoreToECS",),
    rule="The device of / (through device-mapper and md: /sys/block/*/slaves) lives on one disk: an LVM root (or a "
         "RAID) across disks fails.",
    permissions="None (reads /proc/self/mountinfo and /sys/block).",
    versions="Linux.",
    applies=migrating,
)
def root_lvm_span(ctx):
    return judge_root_span(system_layout(ctx)["root"])


def parse_swaps(text):
    return [line.split()[0] for line in (text or "").splitlines()[1:] if line.split()]


def partition_uses(fs, layout, swaps):
    """{partition name: [what uses it]} for the partitions of the system disk."""
    devices = layout["devices"]
    system = set(layout["root"]["disks"])
    uses = {}

    def note(device, use):
        for part in blockdev.partitions_under(devices, device["name"]):
            if devices[part]["parent"] in system or part in system:
                uses.setdefault(part, [])
                if use not in uses[part]:
                    uses[part].append(use)
    for mount in layout["mounts"]:
        if mount["root"] != "/":
            continue  # a bind mount of a directory: the file system's own mount is listed too
        device = blockdev.device_of_mount(fs, devices, mount)
        if device is not None:
            note(device, mount["mountpoint"])
    for swap in swaps:
        device = blockdev.device_of_source(fs, devices, swap)
        if device is not None:
            note(device, "swap")
    return uses


def judge_single_root_partition(disks, uses):
    data = dict((part, [u for u in used if u != "swap" and u not in BOOT_MOUNTS]) for part, used in uses.items())
    data = dict((part, used) for part, used in data.items() if used)
    details = {"partitions": uses}
    shown = ", ".join("/dev/%s (%s)" % (part, ", ".join(uses[part])) for part in sorted(uses))
    if len(data) > 1:
        return [R.failed("disk /dev/%s" % disks[0], "The system disk holds %d partitions with file systems (%s): only a "
                         "single root partition is supported, and system partitions cannot be resized on the cloud "
                         "instance." % (len(data), shown),
                         "Move the other file systems (%s) into the root file system or onto a data disk before the "
                         "migration." % ", ".join(sorted(u for part in data for u in data[part] if u != "/")),
                         details, code="several_partitions")]
    return [R.passed("disk /dev/%s" % disks[0], "The system disk holds one root partition (%s)." % (shown or "none in use"),
                     details)]


@register(
    "migrate.single_root_partition", "One root partition on the system disk", ("restore",),
    engine="host", tags=("migrate", "disk"),
    references=("Seed003:VMwareRestoreToECS",),
    rule="Of the system disk's partitions in use, one holds file systems: /boot, /boot/efi (/efi) and swap are not "
         "counted; /, /var, /home ... on partitions of their own fail (system partitions cannot be resized).",
    permissions="None (reads /proc/self/mountinfo, /proc/swaps and /sys/block).",
    versions="Linux.",
    applies=migrating,
)
def single_root_partition(ctx):
    layout = system_layout(ctx)
    uses = partition_uses(ctx.fs, layout, parse_swaps(ctx.fs.text("/proc/swaps")))
    return judge_single_root_partition(layout["root"]["disks"], uses)


def judge_disk_full(vfs, label="/"):
    """statvfs-like counts of the system's root file system (`/`, or `C:` on Windows)."""
    blocks_used = vfs["blocks"] - vfs["bfree"]
    space = 100.0 * blocks_used / (blocks_used + vfs["bavail"]) if blocks_used + vfs["bavail"] else 100.0
    inodes = 100.0 * (vfs["files"] - vfs["ffree"]) / vfs["files"] if vfs["files"] else None
    details = {"space_used_percent": round(space, 2), "inodes_used_percent": None if inodes is None else round(inodes, 2),
               "free_bytes": vfs["bavail"] * vfs["frsize"]}
    full = []
    if space >= FULL_PERCENT:
        full.append("%.1f %% of its space" % space)
    if inodes is not None and inodes >= FULL_PERCENT:
        full.append("%.1f %% of its inodes" % inodes)
    if full:
        return [R.failed(label, "The system file system %s uses %s: a cloud instance created from a full system disk "
                         "can fail to start or to configure itself." % (label, " and ".join(full)),
                         "Free space on %s (old kernels or updates, logs, caches) to below 99 %%." % label,
                         details, code="full")]
    return [R.passed(label, "The system file system %s uses %.1f %% of its space%s." % (
        label, space, "" if inodes is None else " and %.1f %% of its inodes" % inodes), details)]


@register(
    "migrate.disk_full", "Root file system not full", ("restore",),
    engine="host", tags=("migrate", "disk"),
    references=("Seed003:VMwareRestoreToECS",),
    rule="/ uses less than 99 % of its space (as df counts it: used / (used + available)) and of its inodes.",
    permissions="None (statvfs of /).",
    versions="Linux.",
    applies=migrating,
)
def disk_full(ctx):
    vfs = os.statvfs(ctx.fs.resolve("/"))
    return judge_disk_full({"blocks": vfs.f_blocks, "bfree": vfs.f_bfree, "bavail": vfs.f_bavail, "files": vfs.f_files,
                            "ffree": vfs.f_ffree, "frsize": vfs.f_frsize})


# fstab -----------------------------------------------------------------------------------------

def parse_fstab(text):
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if len(fields) < 3:
            continue
        entries.append({"line": number, "spec": unescape_mount_field(fields[0]),
                        "file": unescape_mount_field(fields[1]), "type": fields[2],
                        "options": fields[3].split(",") if len(fields) > 3 else ["defaults"]})
    return entries


def parse_blkid_export(text):
    """`blkid -o export` -> {"UUID": set, "LABEL": set, ...}."""
    found = dict((tag, set()) for tag in TAGS)
    for line in text.splitlines():
        key, _eq, value = line.partition("=")
        if key in found and value:
            found[key].add(value)
    return found


def _checkable(entry):
    spec, kind = entry["spec"], entry["type"]
    if kind in PSEUDO_TYPES or kind in NETWORK_TYPES or kind.startswith("fuse") or "bind" in entry["options"]:
        return False
    if spec in ("none", "proc", "sysfs", "tmpfs", "devpts") or spec.startswith("//") or re.match(r"^[^/=]+:", spec):
        return False
    return spec.startswith("/dev/") or "=" in spec


def judge_fstab(entries, exists):
    """`exists(spec)` -> True, False, or None (cannot be verified here)."""
    found = []
    unverified = []
    for entry in entries:
        if not _checkable(entry):
            continue
        target = "/etc/fstab: %s" % entry["file"]
        state = exists(entry["spec"])
        optional = "nofail" in entry["options"] or "noauto" in entry["options"]
        details = dict(entry)
        if state is None:
            unverified.append(entry["spec"])
        elif not state:
            text = "/etc/fstab line %d mounts %s from %s, which does not exist" % (
                entry["line"], entry["file"], entry["spec"])
            fix = ("Correct line %d of /etc/fstab to the file system's UUID (`blkid` lists them), or remove it."
                   % entry["line"])
            if optional:
                found.append(R.warning(target, text + " (nofail/noauto: boot goes on without it).", fix, details,
                                       code="missing_optional"))
            else:
                found.append(R.failed(target, text + ": the cloud instance stops at boot in emergency mode.", fix,
                                      details, code="missing"))
        elif UNSTABLE_DEVICE.match(entry["spec"]):
            found.append(R.warning(target, "/etc/fstab line %d names %s by its kernel name %s, which changes on the "
                                   "cloud instance (sda becomes vda)." % (entry["line"], entry["file"], entry["spec"]),
                                   "Use UUID=<uuid> (from `blkid %s`) instead of %s on line %d of /etc/fstab."
                                   % (entry["spec"], entry["spec"], entry["line"]), details, code="device_name"))
    if unverified:
        found.append(R.warning("/etc/fstab", "The sources %s could not be verified: there is no /dev/disk under the root "
                               "and blkid cannot describe another root's disks." % ", ".join(unverified),
                               "Run the precheck on the running source machine.", {"unverified": unverified},
                               code="unverified"))
    if not found:
        found.append(R.passed("/etc/fstab", "Every source in /etc/fstab exists (%d checked)."
                              % len([e for e in entries if _checkable(e)])))
    return found


def source_lookup(fs):
    """A function spec -> exists?, from /dev/disk/by-* under the root; on the live host without udev's links,
    from `blkid -o export`."""
    blkid = {}
    if fs.live and not fs.isdir("/dev/disk"):
        command = fs.find_command("blkid")
        if command:
            code, out, _err = fs.run([command, "-o", "export"])
            if code in (0, 2):
                blkid = parse_blkid_export(out)

    def exists(spec):
        tag, _eq, value = spec.partition("=")
        if spec.startswith("/dev/"):
            return fs.exists(spec) if fs.isdir("/dev") else None
        if tag not in TAGS:
            return None
        if fs.isdir("/dev/disk/" + TAGS[tag]):
            return fs.exists("/dev/disk/%s/%s" % (TAGS[tag], value.strip('"')))
        if blkid:
            return value.strip('"') in blkid[tag]
        return None
    return exists


@register(
    "migrate.fstab", "Every /etc/fstab source exists", ("restore",),
    engine="host", tags=("migrate", "boot"),
    references=("Seed003:VMwareRestoreToECS",),
    rule="Each local /etc/fstab entry's source (UUID=, LABEL=, PARTUUID=, PARTLABEL= or a /dev path) exists "
         "(/dev/disk/by-* under the root; blkid on the live host without udev); a missing one fails (warns with "
         "nofail or noauto); kernel device names (/dev/sdb1) warn, since they change on the cloud instance.",
    permissions="None (root for blkid without udev).",
    versions="Linux.",
    applies=migrating,
)
def fstab(ctx):
    text = ctx.fs.text("/etc/fstab")
    if text is None:
        return [R.failed("/etc/fstab", "/etc/fstab is missing: no file system but / is mounted at boot.",
                         "Restore /etc/fstab from a backup of this machine.", code="missing_file")]
    return judge_fstab(parse_fstab(text), source_lookup(ctx.fs))
