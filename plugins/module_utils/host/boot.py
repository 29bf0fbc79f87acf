# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restore and migration items on booting (seed 003): GRUB 1.99 or later, no kernel device names in the
boot configuration, and the virtio drivers in the default kernel or its initramfs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError, register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import initramfs
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import packages as installed
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host.gathering import migrating

GRUB_MINIMUM = (1, 99)
GRUB_PACKAGES = ("grub-common", "grub2-common", "grub2-tools", "grub2", "grub-pc", "grub-efi-amd64-bin", "grub-pc-bin",
                 "grub-legacy", "grub")
LEGACY_MARKERS = ("/boot/grub/stage2", "/boot/grub/stage1")
BOOT_CONFIGS = ("/boot/grub/grub.cfg", "/boot/grub2/grub.cfg", "/etc/default/grub", "/boot/grub/menu.lst",
                "/boot/grub/grub.conf", "/etc/grub.conf")
KERNEL_DEVICE = re.compile(r"\b(root|resume)=(/dev/(?:sd|hd|vd|xvd)[a-z]+\d*|/dev/nvme\d+n\d+(?:p\d+)?)(?=[\s\"']|$)")


def parse_version(text):
    """`2.06-13+deb12u1`, `1:2.02-0.86.el7`, `0.97-99.el6`, `(GRUB) 2.06` -> (2, 6), (2, 2), (0, 97), (2, 6)."""
    match = re.search(r"(?:^|[\s:(])(\d+)\.(\d+)", text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def _modinfo(fs):
    for directory in ("/boot/grub", "/boot/grub2"):
        for platform in fs.listdir(directory):
            text = fs.text("%s/%s/modinfo.sh" % (directory, platform), limit=65536)
            match = re.search(r"^grub_(?:package_)?version=[\"']?([^\"'\n]+)", text or "", re.M)
            if match:
                return match.group(1), "the installed boot loader, %s/%s/modinfo.sh" % (directory, platform)
    return None


def grub_versions(ctx):
    """Where the GRUB version is read, most telling first -> [(version text, source)]."""
    found = []
    modinfo = _modinfo(ctx.fs)
    if modinfo:
        found.append(modinfo)
    if ctx.fs.live:
        for name in ("grub2-install", "grub-install"):
            command = ctx.fs.find_command(name)
            if command:
                code, out, _err = ctx.fs.run([command, "--version"])
                if code == 0 and out.strip():
                    found.append((out.strip(), "%s --version" % name))
                    break
    packages, _reason = installed.packages(ctx)
    if packages:
        for name in GRUB_PACKAGES:
            if name in packages["installed"]:
                found.append((packages["installed"][name], "the %s package %s" % (packages["manager"], name)))
                break
    if not found:
        legacy = [path for path in LEGACY_MARKERS if ctx.fs.exists(path)]
        if legacy and not any(ctx.fs.exists(c) for c in ("/boot/grub/grub.cfg", "/boot/grub2/grub.cfg")):
            found.append(("0.97", "legacy GRUB: %s and no grub.cfg" % legacy[0]))
    return found


def judge_grub_version(found):
    if not found:
        return [R.warning("grub", "No GRUB was found (no modinfo.sh under /boot/grub*, no grub-install, no GRUB package, "
                          "no legacy stage files): the cloud instance needs GRUB 1.99 or later to boot.",
                          "Install GRUB 2 (grub2-install / grub-install) as the boot loader of the system disk.",
                          code="not_found")]
    text, source = found[0]
    version = parse_version(text)
    details = {"version": text, "source": source, "also_seen": found[1:]}
    if version is None:
        return [R.error("grub", "The GRUB version could not be read from %s (%r)." % (source, text[:80]), "internal",
                        details=details)]
    shown = "%d.%02d" % version if version[1] < 100 else "%d.%d" % version
    if version < GRUB_MINIMUM:
        return [R.failed("grub", "GRUB %s (from %s) is older than 1.99: a cloud instance made from this machine does not "
                         "boot." % (shown, source),
                         "Replace legacy GRUB by GRUB 2: install the grub2 package, run `grub2-install /dev/<system disk>` "
                         "and `grub2-mkconfig -o /boot/grub2/grub.cfg`.", details, code="too_old")]
    return [R.passed("grub", "GRUB %s (from %s)." % (shown, source), details)]


@register(
    "migrate.grub_version", "GRUB 1.99 or later", ("restore",),
    engine="host", tags=("migrate", "boot"),
    references=("Seed003:VMwareRestoreToECS",),
    rule="The boot loader is GRUB 1.99 or later, read from the installed boot loader (/boot/grub*/<platform>/"
         "modinfo.sh), else `grub-install --version` (live host only), else the GRUB package; legacy GRUB 0.97 "
         "(stage files, no grub.cfg) fails.",
    permissions="None.",
    versions="Linux.",
    applies=migrating,
)
def grub_version(ctx):
    return judge_grub_version(grub_versions(ctx))


def find_kernel_device_names(files):
    """{file: text} -> [(file, line number, parameter)] of root=/resume= kernel device names."""
    found = []
    for path, text in sorted(files.items()):
        for number, line in enumerate(text.splitlines(), 1):
            if line.lstrip().startswith("#"):
                continue
            for match in KERNEL_DEVICE.finditer(line):
                found.append((path, number, match.group(0)))
    return found


def judge_grub_device_names(files):
    if not files:
        return [R.warning("boot configuration", "No boot configuration was found (%s)." % ", ".join(BOOT_CONFIGS),
                          "Check which boot loader this machine uses.", code="not_found")]
    found = find_kernel_device_names(files)
    details = {"files": sorted(files), "found": ["%s:%d %s" % f for f in found[:50]]}
    if found:
        shown = ", ".join("%s line %d: %s" % f for f in found[:5]) + (" and %d more" % (len(found) - 5)
                                                                      if len(found) > 5 else "")
        return [R.failed("boot configuration", "The boot configuration names disks by kernel device name (%s): on the "
                         "cloud instance the disk is another device (sda becomes vda) and the root is not found."
                         % shown,
                         "Use root=UUID=<uuid of />: set GRUB_DISABLE_LINUX_UUID=false in /etc/default/grub, fix "
                         "GRUB_CMDLINE_LINUX, and regenerate grub.cfg (`grub2-mkconfig -o /boot/grub2/grub.cfg` or "
                         "`update-grub`).", details, code="device_names")]
    return [R.passed("boot configuration", "No kernel device name in %s." % ", ".join(sorted(files)), details)]


@register(
    "migrate.grub_device_names", "Boot configuration names disks by UUID", ("restore",),
    engine="host", tags=("migrate", "boot"),
    references=("Seed003:VMwareRestoreToECS",),
    rule="No root= or resume= parameter of grub.cfg, /etc/default/grub, menu.lst/grub.conf or /boot/loader/entries "
         "names a kernel device (/dev/sdX, hdX, vdX, xvdX, nvmeXnY), which changes on the cloud instance.",
    permissions="None (root may be needed to read grub.cfg).",
    versions="Linux.",
    applies=migrating,
)
def grub_device_names(ctx):
    files = {}
    paths = list(BOOT_CONFIGS) + ["/boot/loader/entries/" + n for n in ctx.fs.listdir("/boot/loader/entries")]
    for path in paths:
        text = ctx.fs.text(path)
        if text is not None:
            files[path] = text
    return judge_grub_device_names(files)


# virtio ----------------------------------------------------------------------------------------

DISK_DRIVERS = ("virtio_blk", "virtio_pci")
NET_DRIVERS = ("virtio_net",)
NVME_DRIVERS = ("nvme",)
_MODULE_NAME = re.compile(r"(?:^|/)([A-Za-z0-9_-]+)\.ko(?:\.(?:xz|gz|zst|bz2))?$")


def module_names(paths):
    names = set()
    for path in paths:
        match = _MODULE_NAME.search(path.strip().split(":")[0])
        if match:
            names.add(match.group(1).replace("-", "_"))
    return names


def _version_key(version):
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.findall(r"\d+|[^\d.+~-]+", version)]


def default_kernel(ctx):
    """The newest installed kernel (what grub-mkconfig puts first), from /boot/vmlinuz-* else /lib/modules."""
    versions = [n[len("vmlinuz-"):] for n in ctx.fs.listdir("/boot") if n.startswith("vmlinuz-")]
    if not versions:
        versions = [n for n in ctx.fs.listdir("/lib/modules") if ctx.fs.isdir("/lib/modules/" + n)]
    if not versions:
        return None
    return sorted(versions, key=_version_key)[-1]


def kernel_drivers(ctx, version):
    """What the kernel `version` has: built in, in its initramfs, installed as modules."""
    base = "/lib/modules/%s" % version
    builtin = module_names((ctx.fs.text(base + "/modules.builtin") or "").splitlines())
    config = ctx.fs.text("/boot/config-%s" % version) or ""
    for driver in DISK_DRIVERS + NET_DRIVERS + NVME_DRIVERS:
        if re.search(r"^CONFIG_%s=y$" % {"nvme": "BLK_DEV_NVME"}.get(driver, driver.upper()), config, re.M):
            builtin.add(driver)
    installed = module_names((ctx.fs.text(base + "/modules.dep") or "").splitlines())
    image = None
    for name in ("/boot/initrd.img-%s", "/boot/initramfs-%s.img", "/boot/initrd-%s", "/boot/initrd-%s.img"):
        if ctx.fs.exists(name % version):
            image = name % version
            break
    initramfs_names, how = set(), None
    if image:
        names, how = initramfs.list_names(ctx.fs, ctx.fs.resolve(image), image,
                                          time.monotonic() + max(ctx.params["timeout"], 10.0))
        initramfs_names = module_names(names)
    return {"kernel": version, "builtin": builtin, "initramfs": image, "initramfs_modules": initramfs_names,
            "initramfs_format": how, "installed": installed}


def judge_virtio(drivers):
    early = drivers["builtin"] | drivers["initramfs_modules"]
    kernel = drivers["kernel"]
    details = {"kernel": kernel, "initramfs": drivers["initramfs"], "initramfs_format": drivers["initramfs_format"],
               "builtin": sorted(drivers["builtin"] & set(DISK_DRIVERS + NET_DRIVERS + NVME_DRIVERS)),
               "in_initramfs": sorted(drivers["initramfs_modules"] & set(DISK_DRIVERS + NET_DRIVERS + NVME_DRIVERS))}
    missing_disk = [d for d in DISK_DRIVERS if d not in early]
    missing_net = [d for d in NET_DRIVERS if d not in early and d not in drivers["installed"]]
    found = []
    target = "kernel %s" % kernel
    rebuild = ("Add the drivers to the initramfs and rebuild it: `dracut --add-drivers \"virtio_blk virtio_pci virtio_net "
               "nvme\" -f /boot/initramfs-%s.img %s`, or list them in /etc/initramfs-tools/modules and run "
               "`update-initramfs -u -k %s`." % (kernel, kernel, kernel))
    if missing_disk or missing_net:
        where = drivers["initramfs"] or "no initramfs"
        found.append(R.failed(target, "Kernel %s lacks %s: neither built in nor in %s%s. The cloud instance cannot find "
                              "its virtio disk%s and does not boot." % (
                                  kernel, ", ".join(missing_disk + missing_net), where,
                                  " (nor installed as a module)" if missing_net else "",
                                  " or NIC" if missing_net else ""),
                              rebuild, details, code="missing"))
    elif not [d for d in NVME_DRIVERS if d in early]:
        found.append(R.warning(target, "Kernel %s has virtio_blk, virtio_pci and virtio_net, but not nvme (neither built "
                               "in nor in %s): instance types with NVMe system disks will not boot."
                               % (kernel, drivers["initramfs"] or "an initramfs"), rebuild, details, code="no_nvme"))
    else:
        found.append(R.passed(target, "Kernel %s has virtio_blk, virtio_pci, virtio_net and nvme (built in: %s; in the "
                              "initramfs: %s)." % (kernel, ", ".join(details["builtin"]) or "none",
                                                   ", ".join(details["in_initramfs"]) or "none"), details))
    return found


@register(
    "migrate.virtio", "virtio drivers in the default kernel or its initramfs", ("restore",),
    engine="host", tags=("migrate", "boot"),
    references=("Seed003:VMwareRestoreToECS",),
    rule="For the newest installed kernel: virtio_blk and virtio_pci are built in (modules.builtin, /boot/config-*) "
         "or in its initramfs (gzip, xz, lzma, bzip2 read directly; zstd and lz4 through zstd/lz4, lsinitramfs or "
         "lsinitrd), virtio_net is built in, in the initramfs or installed; nvme missing warns.",
    permissions="root (initramfs files are often readable by root only).",
    versions="Linux.",
    applies=migrating,
)
def virtio(ctx):
    version = default_kernel(ctx)
    if version is None:
        raise PrecheckError("unsupported", "No kernel was found under %s (no /boot/vmlinuz-*, no /lib/modules/*)."
                            % ctx.fs.root, "")
    return judge_virtio(kernel_drivers(ctx, version))
