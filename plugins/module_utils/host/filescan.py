# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gathering for the file backup items: a bounded walk of the backup paths as the agent's account,
and what /proc says about files held open for writing and locked.

The walk is bounded by entries, seconds and depth (one budget for all paths), stays on the file
system of each path, follows no symbolic link, opens no file (access(2) answers for the account) and
keeps counts plus the first N paths of each finding."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import stat
import time

CHECK_EVERY = 256
SPECIAL_KINDS = ((stat.S_ISFIFO, "fifo"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
                 (stat.S_ISBLK, "block device"))
O_ACCMODE = 3
PROC_SCAN_MAX_FDS = 1000000


def _finding(listed):
    return {"count": 0, "first": [], "listed": listed}


def _note(finding, item):
    finding["count"] += 1
    if len(finding["first"]) < finding["listed"]:
        finding["first"].append(item)


class Walk:
    """One walk over the backup paths; `run()` is called in the child process, as the account."""

    def __init__(self, root, paths, max_entries, max_seconds, max_depth, listed, lock_keys=()):
        self.root = root
        self.paths = paths            # [(path as the system sees it, real path on this machine)]
        self.max_entries = max_entries
        self.max_seconds = max_seconds
        self.max_depth = max_depth
        self.listed = listed
        self.lock_keys = set(lock_keys)

    def host_path(self, real):
        relative = os.path.relpath(real, self.root)
        return "/" if relative == "." else "/" + relative

    def run(self):
        self.deadline = time.monotonic() + self.max_seconds
        self.left = self.max_entries
        return [self.walk_one(path, real) for path, real in self.paths]

    def walk_one(self, path, real):
        summary = {"path": path, "entries": 0, "files": 0, "directories": 0, "symlinks": 0, "missing": False,
                   "stopped": None, "unreadable": _finding(self.listed), "special": _finding(self.listed),
                   "locked_keys": [], "mounts_not_walked": _finding(self.listed),
                   "too_deep": _finding(self.listed)}
        try:
            top = os.lstat(real)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                summary["missing"] = True
            else:
                _note(summary["unreadable"], {"path": path, "error": exc.strerror})
            return summary
        if not stat.S_ISDIR(top.st_mode):
            self.judge_entry(summary, real, top, 0, top.st_dev, [])
            return summary
        if not os.access(real, os.R_OK | os.X_OK):
            _note(summary["unreadable"], {"path": path, "error": "directory not readable"})
            return summary
        pending = [(real, 0)]
        while pending and summary["stopped"] is None:
            directory, depth = pending.pop()
            self.read_directory(summary, directory, depth, top.st_dev, pending)
        return summary

    def read_directory(self, summary, directory, depth, device, pending):
        try:
            iterator = os.scandir(directory)
        except OSError as exc:
            _note(summary["unreadable"], {"path": self.host_path(directory), "error": exc.strerror})
            return
        with iterator:
            for entry in iterator:
                if self.left <= 0:
                    summary["stopped"] = {"reason": "entries", "limit": self.max_entries,
                                          "at": self.host_path(directory)}
                    return
                self.left -= 1
                summary["entries"] += 1
                if summary["entries"] % CHECK_EVERY == 0 and time.monotonic() > self.deadline:
                    summary["stopped"] = {"reason": "seconds", "limit": self.max_seconds,
                                          "at": self.host_path(directory)}
                    return
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError as exc:
                    _note(summary["unreadable"], {"path": self.host_path(entry.path), "error": exc.strerror})
                    continue
                self.judge_entry(summary, entry.path, info, depth, device, pending)
        if time.monotonic() > self.deadline and pending:
            summary["stopped"] = {"reason": "seconds", "limit": self.max_seconds, "at": self.host_path(directory)}

    def judge_entry(self, summary, real, info, depth, device, pending):
        mode = info.st_mode
        if stat.S_ISLNK(mode):
            summary["symlinks"] += 1
        elif stat.S_ISDIR(mode):
            if info.st_dev != device:
                _note(summary["mounts_not_walked"], self.host_path(real))
            elif depth + 1 > self.max_depth:
                _note(summary["too_deep"], self.host_path(real))
            elif not os.access(real, os.R_OK | os.X_OK):
                _note(summary["unreadable"], {"path": self.host_path(real), "error": "directory not readable"})
            else:
                summary["directories"] += 1
                pending.append((real, depth + 1))
        elif stat.S_ISREG(mode):
            summary["files"] += 1
            if not os.access(real, os.R_OK):
                _note(summary["unreadable"], {"path": self.host_path(real), "error": "not readable"})
            key = "%d:%d:%d" % (os.major(info.st_dev), os.minor(info.st_dev), info.st_ino)
            if key in self.lock_keys:
                summary["locked_keys"].append([key, self.host_path(real)])
        else:
            kind = "special file"
            for test, name in SPECIAL_KINDS:
                if test(mode):
                    kind = name
                    break
            _note(summary["special"], {"path": self.host_path(real), "kind": kind})


# /proc -----------------------------------------------------------------------------------------

def parse_locks(text):
    """/proc/locks -> the locks held (waiters, shown with `->`, are left out): type, access, pid, key
    `major:minor:inode` (the device numbers are printed in hex)."""
    locks = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 6 or "->" in fields[:2]:
            continue
        kind, mode, access, pid, device = fields[1], fields[2], fields[3], fields[4], fields[5]
        parts = device.split(":")
        if len(parts) != 3:
            continue
        try:
            key = "%d:%d:%d" % (int(parts[0], 16), int(parts[1], 16), int(parts[2]))
            pid = int(pid)
        except ValueError:
            continue
        locks.append({"type": kind, "mode": mode, "access": access, "pid": pid, "key": key})
    return locks


def parse_fdinfo_flags(text):
    for line in (text or "").splitlines():
        if line.startswith("flags:"):
            try:
                return int(line.split(":", 1)[1].strip(), 8)
            except ValueError:
                return None
    return None


def _pids(fs):
    return [name for name in fs.listdir("/proc") if name.isdigit()]


def _read_small(path):
    try:
        with open(path, "rb") as handle:
            return handle.read(4096).decode("utf-8", "replace")
    except (IOError, OSError):
        return None


def _comm(fs, pid):
    return (_read_small(fs.resolve("/proc/%s/comm" % pid)) or "").strip() or None


def _fd_file(fs, pid, fd):
    """(target path, stat) of a process's file descriptor if it is a regular file, else None. On the live
    host the /proc link is stat()ed itself (it reaches the file even when deleted or in another mount
    namespace); a fixture's links are resolved inside the root."""
    link = "/proc/%s/fd/%s" % (pid, fd)
    target = fs.readlink(link)
    if not target or not target.startswith("/"):
        return None
    try:
        info = os.stat(fs.inside(link)) if fs.live else os.stat(fs.resolve(link))
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return target, info


def scan_open_files(fs, deadline, skip_pids=()):
    """Files that processes hold open -> {"files": [{path, pid, comm, write, key}], "hidden_pids",
    "complete"}. Processes whose fds cannot be read (not root) are counted in hidden_pids."""
    found, hidden, scanned = [], 0, 0
    for pid in _pids(fs):
        if int(pid) in skip_pids:
            continue
        if time.monotonic() > deadline or scanned > PROC_SCAN_MAX_FDS:
            return {"files": found, "hidden_pids": hidden, "complete": False}
        try:
            fds = os.listdir(fs.resolve("/proc/%s/fd" % pid))
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EPERM):
                hidden += 1
            continue
        for fd in fds:
            scanned += 1
            opened = _fd_file(fs, pid, fd)
            if opened is None:
                continue
            target, info = opened
            flags = parse_fdinfo_flags(_read_small(fs.resolve("/proc/%s/fdinfo/%s" % (pid, fd))))
            found.append({"path": target, "pid": int(pid), "comm": _comm(fs, pid),
                          "write": flags is not None and (flags & O_ACCMODE) in (os.O_WRONLY, os.O_RDWR),
                          "key": "%d:%d:%d" % (os.major(info.st_dev), os.minor(info.st_dev), info.st_ino)})
    return {"files": found, "hidden_pids": hidden, "complete": True}


def under(path, base):
    base = base.rstrip("/") or "/"
    return path == base or base == "/" or path.startswith(base + "/")
