# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""File backup items: what in the backup paths makes a file backup "Partially Completed" or
inconsistent (seed 003): files the agent's account cannot read, special files, network and FUSE file
systems, files held open for writing, and locked files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import filescan
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host.asaccount import run_as
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host.gathering import mount_of, mounts_below
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host.connection import FS_ENCRYPT_FL, inode_flags

PARTIAL = "files the backup client cannot read are skipped and the job ends \"Partially Completed\""
NETWORK_TYPES = ("nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "9p", "afs", "lustre", "gpfs",
                 "beegfs", "ocfs2", "gfs2", "davfs")
ENCRYPTED_TYPES = ("ecryptfs", "encfs")


def _no_backup_paths(ctx):
    if not ctx.params.get("backup_paths"):
        return "No backup_paths are configured: there are no files to examine."
    return None


def _first(finding, key=None):
    items = finding["first"]
    names = [item[key] if key else item for item in items]
    more = finding["count"] - len(items)
    return ", ".join(names) + (" and %d more" % more if more > 0 else "")


def walk(ctx):
    """The one walk of the backup paths, as the agent's account, with the keys of the locked files."""
    def produce():
        paths = [(path, ctx.fs.resolve(path)) for path in ctx.params["backup_paths"]]
        # An image that is not running holds no locks: its walk needs no /proc.
        lock_keys = [lock["key"] for lock in locks(ctx)["locks"]] if ctx.fs.has_live_state("/proc/locks") else []
        job = filescan.Walk(ctx.fs.root, paths, ctx.params["walk_max_entries"], ctx.params["walk_max_seconds"],
                            ctx.params["walk_max_depth"], ctx.params["max_listed"], lock_keys)
        started = time.monotonic()
        summaries = run_as(ctx.agent_account(), job.run, ctx.params["walk_max_seconds"])
        for summary in summaries:
            summary["elapsed_ms"] = int((time.monotonic() - started) * 1000)
        return dict((s["path"], s) for s in summaries)
    return ctx.cached("walk", produce)


def open_files(ctx):
    def produce():
        ctx.fs.require_live_state("Which processes hold files open", "/proc")
        return filescan.scan_open_files(ctx.fs, time.monotonic() + ctx.params["timeout"], skip_pids=(os.getpid(),))
    return ctx.cached("open_files", produce)


def locks(ctx):
    """The locks of /proc/locks, each with the path its holder has open, when that can be found."""
    def produce():
        ctx.fs.require_live_state("The file locks", "/proc/locks")
        text = ctx.fs.text("/proc/locks") or ""
        found = filescan.parse_locks(text)
        opened = open_files(ctx)["files"]
        by_pid_key = dict(((f["pid"], f["key"]), f["path"]) for f in opened)
        for lock in found:
            lock["path"] = by_pid_key.get((lock["pid"], lock["key"]))
        return {"locks": found}
    return ctx.cached("locks", produce)


def _walk_incomplete(path, summary, what):
    stop = summary["stopped"]
    limit = {"entries": "the entry limit walk_max_entries=%s" % stop.get("limit"),
             "seconds": "the time limit walk_max_seconds=%s" % stop.get("limit")}.get(stop["reason"], stop["reason"])
    return R.warning(path, "No %s among the %d entries walked in %s, but the walk stopped at %s (%s): the rest was "
                     "not examined." % (what, summary["entries"], path, stop["at"], limit),
                     "Raise walk_max_entries or walk_max_seconds, or list narrower backup_paths.",
                     details=_summary_details(summary), code="walk_incomplete")


def _summary_details(summary):
    keys = ("entries", "files", "directories", "symlinks", "stopped", "elapsed_ms")
    details = dict((k, summary.get(k)) for k in keys)
    details["too_deep"] = summary["too_deep"]
    details["mounts_not_walked"] = summary["mounts_not_walked"]
    return details


def _missing(path):
    return R.failed(path, "Backup path %s does not exist: the backup of it fails." % path,
                    "Correct backup_paths (and the backup plan) or create %s." % path, code="missing")


def judge_unreadable(path, summary, account):
    if summary["missing"]:
        return _missing(path)
    found = summary["unreadable"]
    details = _summary_details(summary)
    details["unreadable"] = found
    if found["count"]:
        return R.failed(path, "%d entries under %s cannot be read by the agent's account %s (%s): %s." % (
            found["count"], path, account, _first(found, "path"), PARTIAL),
            "Grant %s read access (`setfacl -R -m u:%s:rX %s`, or run the agent as root), or exclude these files "
            "from the backup plan." % (account, account, path), details, code="unreadable")
    if summary["stopped"]:
        return _walk_incomplete(path, summary, "unreadable file")
    if summary["too_deep"]["count"]:
        return R.warning(path, "No unreadable file in %s down to depth walk_max_depth, but %d directories below it "
                         "were not examined (%s)." % (path, summary["too_deep"]["count"], _first(summary["too_deep"])),
                         "Raise walk_max_depth.", details, code="walk_incomplete")
    return R.passed(path, "All %d files and %d directories under %s are readable by %s (%d ms)." % (
        summary["files"], summary["directories"], path, account, summary["elapsed_ms"]), details)


@register(
    "files.unreadable", "Backup paths readable by the agent's account", ("backup",),
    engine="host", tags=("files",),
    references=("Seed003:PartiallyCompleted",),
    rule="A walk of each backup path (bounded by walk_max_entries, walk_max_seconds and walk_max_depth; one file "
         "system; symbolic links not followed) as the agent's account finds no file or directory it cannot read "
         "(access(2) as that account); the count and the first max_listed paths are reported. A walk that stopped "
         "at a bound warns.",
    permissions="root, to walk as another account (agent_user).",
    versions="Linux.",
    applies=_no_backup_paths,
)
def unreadable(ctx):
    summaries = walk(ctx)
    return [judge_unreadable(path, summaries[path], ctx.agent_account()[0]) for path in ctx.params["backup_paths"]]


def judge_special(path, summary):
    if summary["missing"]:
        return _missing(path)
    found = summary["special"]
    details = _summary_details(summary)
    details["special"] = found
    if found["count"]:
        return R.warning(path, "%d special files under %s (%s): FIFOs, sockets and devices hold no data to back up, "
                         "and a backup client that opens a FIFO can hang." % (
                             found["count"], path, ", ".join("%s (%s)" % (i["path"], i["kind"]) for i in found["first"])
                             + (" and %d more" % (found["count"] - len(found["first"]))
                                if found["count"] > len(found["first"]) else "")),
                         "Exclude them from the backup plan.", details, code="special")
    if summary["stopped"]:
        return _walk_incomplete(path, summary, "special file")
    return R.passed(path, "No FIFO, socket or device file among the %d entries under %s." % (summary["entries"], path),
                    details)


@register(
    "files.special", "No FIFOs, sockets or device files in the backup paths", ("backup",),
    engine="host", tags=("files",),
    rule="The walk of the backup paths finds no FIFO, socket, character or block device.",
    permissions="root, to walk as another account (agent_user).",
    versions="Linux.",
    applies=_no_backup_paths,
)
def special(ctx):
    summaries = walk(ctx)
    return [judge_special(path, summaries[path]) for path in ctx.params["backup_paths"]]


def _kind(mount):
    fstype = mount["fstype"]
    if fstype in NETWORK_TYPES or fstype.split(".")[0] in NETWORK_TYPES:
        return "network"
    if fstype.startswith("fuse"):
        return "fuse"
    if fstype in ENCRYPTED_TYPES:
        return "encrypted"
    return None


def _describe_mount(mount, uid):
    kind = _kind(mount)
    where = "%s (%s from %s)" % (mount["mountpoint"], mount["fstype"], mount["source"])
    if kind == "network":
        return where + (": a network file system (with root_squash on the server, root reads only what others may; "
                        "a slow server slows or stalls the backup)")
    if kind == "fuse":
        options = mount["super_options"] + mount["options"]
        owner = [o.split("=", 1)[1] for o in options if o.startswith("user_id=")]
        if "allow_other" not in options and owner and owner[0] != str(uid):
            return where + (": a FUSE file system mounted without allow_other by uid %s, which the agent's account "
                            "cannot enter" % owner[0])
        return where + ": a FUSE file system (its permissions are the FUSE daemon's, and it may be remote)"
    return where + ": an encrypted file system, readable only while unlocked"


def judge_network_fs(path, mount, below, encrypted, uid):
    concerns = []
    details = {"mount": mount and dict((k, mount[k]) for k in ("mountpoint", "fstype", "source")),
               "mounts_below": [dict((k, m[k]) for k in ("mountpoint", "fstype", "source")) for m in below]}
    if mount and _kind(mount):
        concerns.append(_describe_mount(mount, uid))
    if encrypted:
        concerns.append("%s is an fscrypt-encrypted directory, readable only while its key is loaded" % path)
    for other in below:
        if _kind(other):
            concerns.append("below it, " + _describe_mount(other, uid) + " (not walked)")
    if concerns:
        return R.warning(path, "Backup path %s: %s." % (path, "; ".join(concerns)),
                         "Back up network shares on their file server, mount FUSE file systems with allow_other, "
                         "and unlock encrypted directories before the backup window; or exclude them.",
                         details, code="network_fs")
    if mount is None:
        return R.passed(path, "No mount holds %s in the mount table." % path, details)
    return R.passed(path, "Backup path %s is on a local file system (%s, %s)." % (path, mount["fstype"], mount["source"]),
                    details)


@register(
    "files.network_fs", "Backup paths on local, unencrypted file systems", ("backup",),
    engine="host", tags=("files",),
    rule="The mount holding each backup path, and any mount below it, is not NFS, CIFS, another network file "
         "system, FUSE (a FUSE mount without allow_other owned by another uid is named) or an encrypted file system "
         "(eCryptfs, an fscrypt-encrypted directory); these warn.",
    permissions="None (reads /proc/self/mountinfo).",
    versions="Linux.",
    applies=_no_backup_paths,
)
def network_fs(ctx):
    mounts = ctx.mounts()
    uid = ctx.agent_account()[1]
    found = []
    for path in ctx.params["backup_paths"]:
        real = ctx.fs.resolve(path)
        seen_as = ctx.fs.host_path(real)
        found.append(judge_network_fs(path, mount_of(mounts, seen_as), mounts_below(mounts, seen_as),
                                      bool((inode_flags(real) or 0) & FS_ENCRYPT_FL), uid))
    return found


def judge_open_for_write(path, opened, scan):
    writers = [f for f in opened if f["write"]]
    details = {"writers": writers[:50], "count": len(writers), "hidden_processes": scan["hidden_pids"],
               "scan_complete": scan["complete"]}
    if writers:
        shown = ", ".join("%s (pid %d %s)" % (f["path"], f["pid"], f["comm"] or "?") for f in writers[:5])
        return R.warning(path, "%d files under %s are open for writing: %s%s. A copy taken while they change can be "
                         "inconsistent." % (len(writers), path, shown,
                                            " and %d more" % (len(writers) - 5) if len(writers) > 5 else ""),
                         "Stop or quiesce the writers during the backup (for a database, back it up with its own "
                         "tools), or exclude these files.", details, code="open_for_write")
    if scan["hidden_pids"] or not scan["complete"]:
        why = "%d processes could not be inspected (run as root)" % scan["hidden_pids"] if scan["hidden_pids"] \
            else "the scan of /proc stopped at the time limit"
        return R.warning(path, "No file under %s is seen open for writing, but %s." % (path, why),
                         "Run the precheck as root (become: true).", details, code="scan_incomplete")
    return R.passed(path, "No process holds a file under %s open for writing." % path, details)


@register(
    "files.open_for_write", "No files held open for writing in the backup paths", ("backup",),
    engine="host", tags=("files",),
    rule="No process has a regular file under a backup path open with write access (the access mode in "
         "/proc/<pid>/fdinfo); such files warn, since their copy can be inconsistent.",
    permissions="root (to read every process's /proc/<pid>/fd).",
    versions="Linux.",
    applies=_no_backup_paths,
)
def open_for_write(ctx):
    scan = open_files(ctx)
    found = []
    for path in ctx.params["backup_paths"]:
        found.append(judge_open_for_write(path, [f for f in scan["files"] if filescan.under(f["path"], path)], scan))
    return found


def judge_locked(path, held, summary):
    details = {"locks": held[:50], "count": len(held)}
    if held:
        shown = ", ".join("%s (%s %s lock, pid %s)" % (lock["path"], lock["type"], lock["access"].lower(), lock["pid"])
                          for lock in held[:5])
        return R.warning(path, "%d locks are held on files under %s: %s%s. The backup client may skip or wait for "
                         "them." % (len(held), path, shown, " and %d more" % (len(held) - 5) if len(held) > 5 else ""),
                         "Stop the lock holders during the backup window, or exclude these files.", details,
                         code="locked")
    if summary and summary["stopped"]:
        return _walk_incomplete(path, summary, "locked file")
    return R.passed(path, "No lock is held on a file under %s." % path, details)


@register(
    "files.locked", "No locked files in the backup paths", ("backup",),
    engine="host", tags=("files",),
    rule="No POSIX, OFD or flock lock (nor lease) of /proc/locks is on a file under a backup path: a lock is placed "
         "by the path its holder has open, or else by the walk's device and inode numbers.",
    permissions="root (to read every process's /proc/<pid>/fd).",
    versions="Linux.",
    applies=_no_backup_paths,
)
def locked(ctx):
    all_locks = locks(ctx)["locks"]
    summaries = walk(ctx)
    found = []
    for path in ctx.params["backup_paths"]:
        summary = summaries.get(path)
        walked = dict((key, where) for key, where in (summary["locked_keys"] if summary else []))
        held = []
        for lock in all_locks:
            where = lock["path"] if lock["path"] and filescan.under(lock["path"], path) else walked.get(lock["key"])
            if where:
                held.append(dict(lock, path=where))
        found.append(judge_locked(path, held, summary))
    return found
