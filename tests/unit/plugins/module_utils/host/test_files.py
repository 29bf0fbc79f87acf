"""files.* on real trees: a walk as root and as nobody, special files, limits of entries, depth and time,
files held open for writing and locked by another process, and network mounts in a fixture mount table."""

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from host_engine import needs_root, one, run
from linux_root import LinuxRoot
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import asaccount, filescan


@pytest.fixture
def tree():
    """A tree under a world-traversable directory (pytest's own tmp is 0700), so that nobody can reach it."""
    top = tempfile.mkdtemp(prefix="precheck-walk-", dir="/tmp")
    os.chmod(top, 0o755)
    data = os.path.join(top, "data")
    os.makedirs(os.path.join(data, "docs", "deep"))
    for name in ("a.txt", "docs/b.txt", "docs/deep/c.txt"):
        with open(os.path.join(data, name), "w") as handle:
            handle.write("x")
    for path in (data, os.path.join(data, "docs"), os.path.join(data, "docs", "deep")):
        os.chmod(path, 0o755)
    yield data
    for directory, subdirs, _files in os.walk(top):
        for name in subdirs:
            os.chmod(os.path.join(directory, name), 0o755)
    shutil.rmtree(top)


def walk_result(check, path, **extra):
    return one(check, backup_paths=[path], **extra)


def test_a_readable_tree_passes_with_counts(tree):
    result = walk_result("files.unreadable", tree)
    assert result["status"] == "passed", result
    assert "All 3 files and 2 directories under %s are readable by root" % tree in result["message"]


@needs_root
def test_mode_000_files_are_unreadable_as_nobody_but_not_as_root(tree):
    secret = os.path.join(tree, "docs", "secret.db")
    with open(secret, "w") as handle:
        handle.write("x")
    os.chmod(secret, 0o000)
    closed = os.path.join(tree, "private")
    os.mkdir(closed)
    os.chmod(closed, 0o000)
    assert walk_result("files.unreadable", tree)["status"] == "passed"
    result = walk_result("files.unreadable", tree, agent_user="nobody")
    assert (result["status"], result["code"]) == ("failed", "files.unreadable/unreadable")
    assert "2 entries under %s cannot be read by the agent's account nobody" % tree in result["message"]
    assert secret in result["message"] and closed in result["message"]
    assert "Partially Completed" in result["message"]
    assert "setfacl -R -m u:nobody:rX %s" % tree in result["remediation"]


@needs_root
def test_listing_is_bounded_by_max_listed_and_counts_the_rest(tree):
    for index in range(7):
        path = os.path.join(tree, "locked%d" % index)
        open(path, "w").close()
        os.chmod(path, 0o000)
    result = walk_result("files.unreadable", tree, agent_user="nobody", max_listed=3)
    assert "7 entries" in result["message"] and "and 4 more" in result["message"]
    assert len(result["details"]["unreadable"]["first"]) == 3


def test_fifo_socket_and_symlinks(tree):
    os.mkfifo(os.path.join(tree, "pipe"))
    server = socket.socket(socket.AF_UNIX)
    server.bind(os.path.join(tree, "docs", "agent.sock"))
    os.symlink("/etc/shadow", os.path.join(tree, "shadow-link"))
    os.symlink(tree, os.path.join(tree, "docs", "loop"))
    try:
        special = walk_result("files.special", tree)
        unreadable = walk_result("files.unreadable", tree, agent_user="nobody") if os.geteuid() == 0 else None
    finally:
        server.close()
    assert (special["status"], special["code"]) == ("warning", "files.special/special")
    assert "%s/pipe (fifo)" % tree in special["message"] and "agent.sock (socket)" in special["message"]
    assert special["details"]["symlinks"] == 2          # counted, never followed (the loop would never end)
    if unreadable is not None:
        assert unreadable["status"] == "passed"          # /etc/shadow behind the link is not read


def test_a_missing_backup_path_fails_every_walk_item(tree):
    missing = tree + "/nothing-here"
    for check in ("files.unreadable", "files.special"):
        result = walk_result(check, missing)
        assert (result["status"], result["code"]) == ("failed", check + "/missing")


def test_entry_limit_stops_the_walk_and_says_where(tree):
    for index in range(300):
        open(os.path.join(tree, "docs", "f%03d" % index), "w").close()
    result = walk_result("files.unreadable", tree, walk_max_entries=100)
    assert (result["status"], result["code"]) == ("warning", "files.unreadable/walk_incomplete")
    assert "among the 100 entries walked" in result["message"]
    assert "the entry limit walk_max_entries=100" in result["message"] and "walk stopped at %s" % tree in result["message"]
    assert walk_result("files.special", tree, walk_max_entries=100)["code"] == "files.special/walk_incomplete"


def test_depth_limit_reports_what_was_not_entered(tree):
    result = walk_result("files.unreadable", tree, walk_max_depth=1)
    assert (result["status"], result["code"]) == ("warning", "files.unreadable/walk_incomplete")
    assert "%s/docs/deep" % tree in result["message"]


def test_one_budget_for_all_paths(tree):
    other = os.path.join(tree, "docs")
    results = run(["files.unreadable"], backup_paths=[tree, other], walk_max_entries=4)
    assert results[0]["code"] == "files.unreadable/walk_incomplete"
    assert results[1]["code"] == "files.unreadable/walk_incomplete" and "among the 0 entries" in results[1]["message"]


@pytest.fixture(scope="module")
def big_tree():
    """100,000 files in 100 directories."""
    top = tempfile.mkdtemp(prefix="precheck-big-", dir="/tmp")
    for d in range(100):
        directory = os.path.join(top, "d%03d" % d)
        os.mkdir(directory)
        for f in range(1000):
            os.close(os.open(os.path.join(directory, "f%04d" % f), os.O_CREAT | os.O_WRONLY, 0o644))
    yield top
    shutil.rmtree(top)


def test_a_100000_file_tree_is_walked_within_the_time_bound(big_tree):
    started = time.monotonic()
    result = walk_result("files.unreadable", big_tree, walk_max_seconds=0.02, walk_max_entries=1000000)
    elapsed = time.monotonic() - started
    assert elapsed < 3, elapsed
    assert (result["status"], result["code"]) == ("warning", "files.unreadable/walk_incomplete"), result
    assert "the time limit walk_max_seconds=0.02" in result["message"]
    assert 0 < result["details"]["entries"] < 100100


def test_the_whole_100000_file_tree_with_enough_budget(big_tree):
    result = walk_result("files.unreadable", big_tree, walk_max_entries=200000, walk_max_seconds=60)
    assert result["status"] == "passed" and "All 100000 files and 100 directories" in result["message"]


def test_work_as_the_account_that_overruns_is_killed():
    started = time.monotonic()
    with pytest.raises(PrecheckError) as err:
        asaccount.run_as(("root", 0, 0, [0]), lambda: time.sleep(60), 0.2)
    assert err.value.cause == "timeout"
    assert time.monotonic() - started < 0.2 + asaccount.GRACE_SECONDS + 2


def test_access_as_another_account_without_root_is_a_permission_error(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(PrecheckError) as err:
        asaccount.run_as(("backup", 1001, 1001, [1001]), lambda: 1, 1)
    assert err.value.cause == "permission" and "only root can act as another account" in err.value.message


HOLDER = r"""
import fcntl, os, sys, time
written = open(sys.argv[1], "a")
locked = open(sys.argv[2], "r+")
fcntl.lockf(locked, fcntl.LOCK_EX)
flocked = open(sys.argv[3], "r")
fcntl.flock(flocked, fcntl.LOCK_SH)
print("ready", flush=True)
time.sleep(60)
"""


@pytest.fixture
def holder(tree):
    paths = [os.path.join(tree, name) for name in ("app.log", "docs/db.sqlite", "docs/deep/index")]
    for path in paths:
        open(path, "w").close()
    proc = subprocess.Popen([sys.executable, "-c", HOLDER] + paths, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    yield proc, paths
    proc.kill()
    proc.wait()


def test_a_file_held_open_for_writing_by_another_process_warns(tree, holder):
    proc, paths = holder
    result = walk_result("files.open_for_write", tree)
    assert (result["status"], result["code"]) == ("warning", "files.open_for_write/open_for_write"), result
    assert "%s (pid %d python" % (paths[0], proc.pid) in result["message"]
    assert paths[2] not in result["message"]          # open read-only: not a writer
    other = walk_result("files.open_for_write", os.path.join(tree, "docs", "deep"))
    assert other["status"] == "passed"


def test_posix_and_flock_locks_are_reported_with_their_holder(tree, holder):
    proc, paths = holder
    result = walk_result("files.locked", tree)
    assert (result["status"], result["code"]) == ("warning", "files.locked/locked"), result
    assert "%s (POSIX write lock, pid %d)" % (paths[1], proc.pid) in result["message"]
    assert "%s (FLOCK read lock, pid %d)" % (paths[2], proc.pid) in result["message"]
    assert walk_result("files.locked", os.path.join(tree, "docs", "deep"))["details"]["count"] == 1


def test_no_lock_and_no_writer_pass(tree):
    assert walk_result("files.locked", tree)["status"] == "passed"
    assert walk_result("files.open_for_write", tree)["status"] == "passed"


def test_parse_locks_and_fdinfo():
    text = ("1: POSIX  ADVISORY  WRITE 4242 fd:01:1311 0 EOF\n2: FLOCK  ADVISORY  READ 77 08:12:99 0 EOF\n"
            "2: -> FLOCK  ADVISORY  WRITE 78 08:12:99 0 EOF\n3: OFDLCK ADVISORY  READ -1 00:2b:7 0 EOF\n")
    locks = filescan.parse_locks(text)
    assert [(lock["type"], lock["pid"], lock["key"]) for lock in locks] == [
        ("POSIX", 4242, "253:1:1311"), ("FLOCK", 77, "8:18:99"), ("OFDLCK", -1, "0:43:7")]
    assert filescan.parse_fdinfo_flags("pos:\t0\nflags:\t0100002\nmnt_id:\t25\n") & 3 == os.O_RDWR


def fixture_mounts(tmp_path, extra):
    root = LinuxRoot(tmp_path)
    root.mount("/", "8:2", "ext4", "/dev/sda2")
    for entry in extra:
        root.mount(*entry)
    for point in ("/srv", "/srv/share", "/home/alice/cloud", "/data", "/vault"):
        root.dir(point)
    root.file("/proc/locks", "")
    root.file("/etc/passwd", "root:x:0:0::/root:/bin/sh\n")
    return root


def test_network_and_fuse_mounts_warn_local_ones_pass(tmp_path):
    root = fixture_mounts(tmp_path, [
        ("/srv/share", "0:52", "nfs4", "nas01:/export/share", "rw,relatime", "rw,vers=4.2,sec=sys"),
        ("/home/alice/cloud", "0:60", "fuse.rclone", "remote:", "rw,nosuid,nodev",
         "rw,user_id=1000,group_id=1000"),
        ("/vault", "0:61", "ecryptfs", "/home/.vault", "rw", "rw,ecryptfs_sig=abc"),
    ])
    found = run(["files.network_fs"], root=str(root),
                backup_paths=["/srv", "/home/alice/cloud", "/data", "/vault"])
    results = dict((r["target"], r) for r in found)
    assert len(results) == 4, found
    srv = results["/srv"]
    assert srv["status"] == "warning" and "below it, /srv/share (nfs4 from nas01:/export/share)" in srv["message"]
    assert "root_squash" in srv["message"]
    fuse = results["/home/alice/cloud"]
    assert fuse["status"] == "warning" and "without allow_other by uid 1000" in fuse["message"]
    assert results["/vault"]["status"] == "warning" and "encrypted" in results["/vault"]["message"]
    assert results["/data"]["status"] == "passed" and "local file system (ext4, /dev/sda2)" in results["/data"]["message"]


@needs_root
def test_the_walk_stays_on_its_file_system(tree):
    mounted = os.path.join(tree, "mnt")
    os.mkdir(mounted)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mounted], check=True)
    try:
        open(os.path.join(mounted, "hidden"), "w").close()
        result = walk_result("files.unreadable", tree)
        network = walk_result("files.network_fs", tree)
    finally:
        subprocess.run(["umount", mounted], check=True)
    assert result["status"] == "passed" and "All 3 files" in result["message"]
    assert result["details"]["mounts_not_walked"]["first"] == [mounted]
    assert network["status"] == "passed" and network["details"]["mounts_below"][0]["fstype"] == "tmpfs"


def test_no_backup_paths_skips_the_file_items():
    results = run(["@files"])
    assert [r["status"] for r in results] == ["skipped"] * 5
    assert all("No backup_paths" in r["message"] for r in results)


def test_locked_file_key_matches_the_kernel_format(tree):
    """/proc/locks prints the device as hex major:minor: a lock taken here must be found by the walk's key."""
    path = os.path.join(tree, "a.txt")
    with open(path, "r+") as handle:
        fcntl.lockf(handle, fcntl.LOCK_EX)
        with open("/proc/locks") as locks:
            keys = [lock["key"] for lock in filescan.parse_locks(locks.read()) if lock["pid"] == os.getpid()]
    info = os.stat(path)
    assert "%d:%d:%d" % (os.major(info.st_dev), os.minor(info.st_dev), info.st_ino) in keys
