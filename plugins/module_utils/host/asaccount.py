# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Work done as the backup agent's account, in a child process with a hard deadline.

Access is tested by the kernel itself for that account (its uid, gid and supplementary groups), so
that ACLs, root_squash on NFS, FUSE mounts without allow_other and read-only mounts count, not a
guess from mode bits. The child only calls access(2) and lists directories: it opens no file. It
also bounds the time of the work: a file system that hangs in stat() costs the deadline, not the
module."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import select
import signal
import time

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError

GRACE_SECONDS = 3.0


def _child(account, work, write_end):
    try:
        _name, uid, gid, groups = account
        if os.geteuid() == 0:
            os.setgroups(groups)
            os.setgid(gid)
            os.setuid(uid)
        outcome = {"value": work()}
    except BaseException as exc:  # pylint: disable=broad-except
        outcome = {"error": "%s: %s" % (type(exc).__name__, exc)}
    data = json.dumps(outcome).encode("utf-8")
    while data:
        try:
            data = data[os.write(write_end, data):]
        except OSError:
            break
    os._exit(0)


def run_as(account, work, seconds):
    """Run `work()` (which returns JSON-able data) as `account` = (name, uid, gid, groups); the
    child is killed and a timeout raised if it has not answered `seconds` plus a grace period."""
    name, uid, _gid, _groups = account
    if os.geteuid() != 0 and os.geteuid() != uid:
        raise PrecheckError("permission", "Access as the agent account %s cannot be tested: the precheck runs as uid %d, "
                            "and only root can act as another account." % (name, os.geteuid()),
                            "Run the precheck as root (become: true), or set agent_user to the account it runs as.")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _child(account, work, write_end)
    os.close(write_end)
    deadline = time.monotonic() + seconds + GRACE_SECONDS
    chunks = []
    try:
        while True:
            wait = deadline - time.monotonic()
            if wait <= 0:
                os.kill(pid, signal.SIGKILL)
                raise PrecheckError("timeout", "The work as account %s did not finish within %.0f s (a file system that "
                                    "does not answer?)." % (name, seconds + GRACE_SECONDS),
                                    "Look for a hung network file system under the paths (`mount`, `dmesg`).")
            ready, _w, _x = select.select([read_end], [], [], wait)
            if ready:
                chunk = os.read(read_end, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(read_end)
        _reap(pid)
    outcome = json.loads(b"".join(chunks).decode("utf-8") or "{}")
    if "error" in outcome or "value" not in outcome:
        raise PrecheckError("internal", "The work as account %s failed: %s." % (name, outcome.get("error", "no answer")))
    return outcome["value"]


def _reap(pid):
    """Collect the child; one stuck in the kernel (a hung NFS server) is left, it cannot be waited for."""
    for _attempt in range(20):
        try:
            done, _status = os.waitpid(pid, os.WNOHANG)
        except OSError:
            return
        if done:
            return
        time.sleep(0.05)
