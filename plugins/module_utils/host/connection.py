# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host engine's connection to the system it checks: files read under a root, and bounded commands.

Every gatherer reads through a Root, so that the live host (root `/`), a machine image mounted
elsewhere and a test's fixture tree are read by the same code. Symbolic links are followed inside
the root only: an absolute link target is taken relative to the root, and `..` never leaves it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import os
import select
import shutil
import signal
import stat
import struct
import subprocess
import time

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError

MAX_LINK_HOPS = 40
READ_LIMIT = 4 * 1024 * 1024

# ioctl_iflags(2): FS_IOC_GETFLAGS is _IOR('f', 1, long); the flags the checks read.
FS_IOC_GETFLAGS = (2 << 30) | (struct.calcsize("l") << 16) | (ord("f") << 8) | 1
FS_IMMUTABLE_FL = 0x00000010
FS_APPEND_FL = 0x00000020
FS_ENCRYPT_FL = 0x00000800


def inode_flags(real):
    """The inode flags of a file (chattr's i, a, ...), or None where the file system has none. Opened
    read-only without following a link and without blocking (a FIFO is not waited on)."""
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        return struct.unpack("i", fcntl.ioctl(fd, FS_IOC_GETFLAGS, struct.pack("i", 0)))[0]
    except (IOError, OSError):
        return None
    finally:
        os.close(fd)


class Root:
    def __init__(self, root, timeout):
        self.root = os.path.abspath(root or "/")
        self.live = self.root == "/"
        self.timeout = timeout

    def inside(self, path):
        """The host path `path` (absolute, as the system itself sees it) -> where it is on this machine,
        with no link resolved."""
        parts = [p for p in path.split("/") if p and p != "."]
        return os.path.join(self.root, *parts) if parts else self.root

    def resolve(self, path):
        """`path` with every symbolic link resolved inside the root; the result is a path on this
        machine, below the root (whether or not it exists)."""
        pending = [p for p in path.split("/") if p and p != "."]
        done = []
        hops = 0
        while pending:
            part = pending.pop(0)
            if part == "..":
                if done:
                    done.pop()
                continue
            candidate = os.path.join(self.root, *(done + [part]))
            try:
                mode = os.lstat(candidate).st_mode
            except OSError:
                done.append(part)
                continue
            if not stat.S_ISLNK(mode):
                done.append(part)
                continue
            hops += 1
            if hops > MAX_LINK_HOPS:
                raise PrecheckError("internal", "Too many symbolic links under %s while resolving %s." % (self.root, path))
            target = os.readlink(candidate)
            if target.startswith("/"):
                done = []
            pending = [p for p in target.split("/") if p and p != "."] + pending
        return os.path.join(self.root, *done) if done else self.root

    def host_path(self, real):
        """A path on this machine below the root -> the path as the checked system sees it."""
        relative = os.path.relpath(real, self.root)
        return "/" if relative == "." else "/" + relative

    def exists(self, path):
        return os.path.lexists(self.resolve(path))

    def isdir(self, path):
        return os.path.isdir(self.resolve(path))

    def read(self, path, limit=READ_LIMIT):
        """The bytes of a file under the root, or None when it does not exist. A file that cannot be read
        is an error naming the file; more than `limit` bytes are not read."""
        real = self.resolve(path)
        try:
            with open(real, "rb") as handle:
                return handle.read(limit)
        except (IOError, OSError) as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return None
            if exc.errno in (errno.EACCES, errno.EPERM):
                raise PrecheckError("permission", "%s cannot be read: %s." % (path, exc.strerror),
                                    "Run the precheck as root (become: true).")
            raise PrecheckError("internal", "Reading %s failed: %s." % (path, exc.strerror or exc))

    def text(self, path, limit=READ_LIMIT):
        data = self.read(path, limit)
        return None if data is None else data.decode("utf-8", "replace")

    def lines(self, path):
        data = self.text(path)
        return None if data is None else data.splitlines()

    def listdir(self, path):
        """The names in a directory under the root, sorted; [] when it does not exist."""
        try:
            return sorted(os.listdir(self.resolve(path)))
        except (IOError, OSError) as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return []
            if exc.errno in (errno.EACCES, errno.EPERM):
                raise PrecheckError("permission", "The directory %s cannot be listed: %s." % (path, exc.strerror),
                                    "Run the precheck as root (become: true).")
            raise

    def readlink(self, path):
        try:
            return os.readlink(self.inside(path))
        except OSError:
            return None

    def has_live_state(self, path):
        """Whether `path` of a running system's /proc or /sys is there: always on the live host; under
        another root only when it holds it (a fixture tree, or an image whose /proc was bind-mounted)."""
        return self.live or os.path.lexists(self.inside(path))

    def require_live_state(self, what, path):
        if not self.has_live_state(path):
            raise PrecheckError(
                "unsupported", "%s is read from %s of a running system, and %s has none (an image that is not "
                "running)." % (what, path, self.root),
                "Run the precheck on the running source machine (root /), or bind-mount its /proc and /sys into %s."
                % self.root)

    # Commands -------------------------------------------------------------------------------------

    def find_command(self, name):
        """A command of this machine, or None. The binaries under another root (an image) are never
        executed; a command that describes the running system (grub-install --version) is only
        meaningful when the root is the live host, which its caller checks."""
        return shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin")

    def run(self, argv, timeout=None):
        """Run a command bounded by `timeout` (default: the engine's timeout) -> (returncode, stdout, stderr).

        The command gets its own process group, so that on timeout its children die too and nothing
        keeps the pipes open."""
        timeout = self.timeout if timeout is None else timeout
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    start_new_session=True, env=dict(os.environ, LC_ALL="C"))
        except OSError as exc:
            raise PrecheckError("driver_missing", "%s could not be started: %s." % (argv[0], exc.strerror or exc))
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            raise PrecheckError("timeout", "%s did not finish within %s s." % (" ".join(argv), timeout),
                                "Raise timeout, or look at why the command hangs (a hung disk or network file system).")
        return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    def stream(self, argv, deadline, limit, stdin=None):
        """Start a command whose output is read as a stream (a decompressor reading `stdin`, an open
        file) -> a StreamReader."""
        try:
            proc = subprocess.Popen(argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            raise PrecheckError("driver_missing", "%s could not be started: %s." % (argv[0], exc.strerror or exc))
        return StreamReader(proc, deadline, limit, argv[0])


def kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        proc.communicate(timeout=2)
    except (subprocess.TimeoutExpired, ValueError, OSError):
        pass


class StreamReader:
    """A file-like reader of a command's output that stops at a deadline and after `limit` bytes."""

    def __init__(self, proc, deadline, limit, name):
        self.proc = proc
        self.deadline = deadline
        self.left = limit
        self.name = name

    def read(self, size):
        data = b""
        while len(data) < size:
            if self.left <= 0:
                raise PrecheckError("internal", "The output of %s is larger than the limit of the precheck." % self.name)
            wait = self.deadline - time.monotonic()
            if wait <= 0:
                raise PrecheckError("timeout", "%s did not finish within the time bound." % self.name,
                                    "Raise timeout.")
            ready, _w, _x = select.select([self.proc.stdout], [], [], wait)
            if not ready:
                continue
            chunk = os.read(self.proc.stdout.fileno(), min(size - len(data), 1 << 16, self.left))
            if not chunk:
                break
            self.left -= len(chunk)
            data += chunk
        return data

    def close(self):
        kill_group(self.proc)
