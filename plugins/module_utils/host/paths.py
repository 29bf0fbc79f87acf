# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host item: restore target directories exist, the agent's account can write them, and they have room
(seed 004, Azure WlExtGenericIOFaultUserError)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host.asaccount import run_as

GIB = 1024 ** 3
ST_RDONLY = getattr(os, "ST_RDONLY", 1)


def probe_directory(real):
    """What the account sees of a directory (run as the account): existence, type, write access, space."""
    if not os.path.lexists(real):
        return {"exists": False}
    probe = {"exists": True, "directory": os.path.isdir(real)}
    if not probe["directory"]:
        return probe
    probe["writable"] = os.access(real, os.W_OK | os.X_OK)
    try:
        vfs = os.statvfs(real)
    except OSError as exc:
        probe["statvfs_error"] = exc.strerror
        return probe
    probe.update(read_only=bool(vfs.f_flag & ST_RDONLY), free_bytes=vfs.f_bavail * vfs.f_frsize,
                 free_bytes_root=vfs.f_bfree * vfs.f_frsize, files=vfs.f_files, free_files=vfs.f_favail)
    return probe


def judge_restore_path(path, probe, min_free_gib, account):
    name, uid = account[0], account[1]
    details = dict(probe, account=name, min_free_gib=min_free_gib)
    if not probe["exists"]:
        return R.failed(path, "Restore target %s does not exist: a restore into it fails with an I/O error." % path,
                        "Create it for the agent's account: `mkdir -p %s && chown %s %s`." % (path, name, path),
                        details, code="missing")
    if not probe["directory"]:
        return R.failed(path, "Restore target %s is not a directory." % path,
                        "Choose a directory as the restore target, or replace the file %s by one." % path,
                        details, code="not_directory")
    if probe.get("statvfs_error"):
        return R.error(path, "The file system of %s cannot be examined as %s: %s." % (path, name, probe["statvfs_error"]),
                       "permission", "Let %s search every directory on the way to %s." % (name, path), details)
    if probe["read_only"]:
        return R.failed(path, "Restore target %s is on a read-only file system." % path,
                        "Remount it read-write (`mount -o remount,rw` on its mount point) or choose another target.",
                        details, code="read_only")
    if not probe["writable"]:
        return R.failed(path, "Restore target %s is not writable by the agent's account %s: the restore fails with an "
                        "I/O error." % (path, name),
                        "Give %s write access: `chown %s %s`, or `setfacl -m u:%s:rwx %s`." % (name, name, path, name, path),
                        details, code="not_writable")
    free = probe["free_bytes_root"] if uid == 0 else probe["free_bytes"]
    if probe["files"] and not probe["free_files"]:
        return R.failed(path, "Restore target %s has no free inode: no file can be created." % path,
                        "Delete files on that file system or choose another target.", details, code="no_inodes")
    if free < min_free_gib * GIB:
        return R.failed(path, "Restore target %s has %.1f GiB free for %s, below the %.1f GiB required." % (
            path, free / float(GIB), name, min_free_gib),
            "Free space on that file system, choose another target, or set restore_min_free_gib to the size of the "
            "data to restore.", details, code="low_space")
    return R.passed(path, "Restore target %s is writable by %s, %.1f GiB free." % (path, name, free / float(GIB)),
                    details)


def _not_configured(ctx):
    if not ctx.params.get("restore_target_paths"):
        return "No restore_target_paths are configured."
    return None


@register(
    "host.restore_target_path", "Restore target directories writable and with free space", ("restore",),
    tags=("paths",),
    references=("Azure:WlExtGenericIOFaultUserError",),
    rule="Each restore target directory exists, is a directory on a read-write file system, is writable by the "
         "agent's account (access(2) as that account), has a free inode, and has at least restore_min_free_gib free "
         "(the blocks reserved for root count only for root).",
    permissions="root, to test access as another account (agent_user).",
    versions="Linux.",
    applies=_not_configured,
    options=dict(
        restore_target_paths=dict(type="list", elements="path", default=[], description=(
            "Directories that restores write into (a database's restore-as-files directory, a file restore "
            "target), as the checked system sees them (below O(root)).",
        )),
        restore_min_free_gib=dict(type="float", minimum=0, default=10.0, description=(
            "The free space, in GiB, each restore target needs: set it to the size of the data to restore.",
        )),
    ),
)
def restore_target_path(ctx):
    account = ctx.agent_account()
    paths = list(ctx.params["restore_target_paths"])
    reals = [ctx.fs.resolve(path) for path in paths]
    probes = run_as(account, lambda: [probe_directory(real) for real in reals], ctx.params["timeout"])
    return [judge_restore_path(path, probe, ctx.params["restore_min_free_gib"], account)
            for path, probe in zip(paths, probes)]
