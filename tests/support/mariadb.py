# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A private MariaDB server for the tests: its own data directory, socket and free port on 127.0.0.1.

Nothing on the machine is touched: the server reads no option file (`--no-defaults`), listens on
loopback only, and lives in a temporary directory. Every server started here is stopped by `stop()`,
at interpreter exit (atexit), and, should the test process die without cleaning up, by the kernel
(PR_SET_PDEATHSIG).

    server = MariaDBServer(tmpdir)
    server.start(log_bin=True, binlog_format="ROW")
    server.execute("CREATE USER ...")
    server.restart(log_bin=False)
    server.stop()
    assert not server.leftover_processes()
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import time

import processes
from endpoints import free_port


def _which(*names):
    for name in names:
        for directory in (os.environ.get("PATH", "").split(os.pathsep) + ["/usr/sbin", "/usr/bin", "/sbin"]):
            path = os.path.join(directory, name)
            if directory and os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    return None


def find_binaries():
    """(server, install_db) paths, or (None, None)."""
    server = _which("mariadbd", "mysqld")
    install = _which("mariadb-install-db", "mysql_install_db")
    if server and install:
        return server, install
    return None, None


def ensure_installed():
    """Install Debian's mariadb-server when no server binary is present (CI machines start fresh)."""
    server, install = find_binaries()
    if server:
        return server, install
    if os.geteuid() != 0:
        raise RuntimeError("mariadbd/mysqld is not installed and the tests do not run as root: "
                           "run `apt-get install -y mariadb-server` first")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    command = ["apt-get", "install", "-y", "--no-install-recommends", "mariadb-server"]
    if subprocess.call(command, env=env) != 0:
        subprocess.check_call(["apt-get", "update"], env=env)
        subprocess.check_call(command, env=env)
    server, install = find_binaries()
    if not server:
        raise RuntimeError("apt-get installed mariadb-server but no mariadbd/mysqld was found")
    return server, install




class MariaDBServer:
    def __init__(self, basedir, port=None):
        self.basedir = os.path.abspath(str(basedir))
        self.datadir = os.path.join(self.basedir, "data")
        self.socket = os.path.join(self.basedir, "mysqld.sock")
        self.pid_file = os.path.join(self.basedir, "mysqld.pid")
        self.error_log = os.path.join(self.basedir, "error.log")
        self.tmpdir = os.path.join(self.basedir, "tmp")
        self.port = port or free_port()
        self.process = None
        self.options = None
        self.server_binary, self.install_binary = ensure_installed()

    # -- lifecycle -------------------------------------------------------------------------

    def install(self):
        if os.path.isdir(os.path.join(self.datadir, "mysql")):
            return
        os.makedirs(self.datadir, exist_ok=True)
        os.makedirs(self.tmpdir, exist_ok=True)
        command = [self.install_binary, "--no-defaults", "--datadir=" + self.datadir,
                   "--auth-root-authentication-method=normal", "--skip-test-db",
                   "--tmpdir=" + self.tmpdir]
        if os.geteuid() == 0:
            command.append("--user=root")
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120,
                                universal_newlines=True, check=False)
        if result.returncode != 0:
            raise RuntimeError("mariadb-install-db failed (%d):\n%s" % (result.returncode, result.stdout[-4000:]))

    def command(self, log_bin=False, binlog_format=None, extra=()):
        command = [
            self.server_binary, "--no-defaults",
            "--datadir=" + self.datadir,
            "--socket=" + self.socket,
            "--port=%d" % self.port,
            "--bind-address=127.0.0.1",
            "--pid-file=" + self.pid_file,
            "--log-error=" + self.error_log,
            "--tmpdir=" + self.tmpdir,
            "--skip-name-resolve",
            "--innodb-buffer-pool-size=16M",
            "--innodb-log-file-size=4M",
            "--performance-schema=OFF",
            "--server-id=1",
        ]
        if os.geteuid() == 0:
            command.append("--user=root")
        if log_bin:
            command.append("--log-bin=" + os.path.join(self.datadir, "binlog"))
        if binlog_format:
            command.append("--binlog-format=" + binlog_format)
        command.extend(extra)
        return command

    def start(self, log_bin=False, binlog_format=None, extra=(), timeout=60):
        self.install()
        options = {"log_bin": log_bin, "binlog_format": binlog_format, "extra": tuple(extra)}
        log = open(os.path.join(self.basedir, "stdout.log"), "ab")
        try:
            self.process = processes.start(self.command(log_bin, binlog_format, extra), stdout=log,
                                           stderr=subprocess.STDOUT)
        finally:
            log.close()
        self.options = options
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("mariadbd exited with %s:\n%s" % (self.process.returncode, self.log_tail()))
            try:
                self.execute("SELECT 1")
                return self
            except Exception as exc:  # pylint: disable=broad-except
                last = exc
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("mariadbd did not accept connections in %ds (%s):\n%s" % (timeout, last, self.log_tail()))

    def stop(self, timeout=30):
        process, self.process = self.process, None
        self.options = None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)

    def restart(self, log_bin=False, binlog_format=None, extra=()):
        self.stop()
        return self.start(log_bin, binlog_format, extra)

    def ensure(self, log_bin=False, binlog_format=None, extra=()):
        """Running with these options: restart only if something differs."""
        wanted = {"log_bin": log_bin, "binlog_format": binlog_format, "extra": tuple(extra)}
        if self.process is not None and self.process.poll() is None and self.options == wanted:
            return self
        return self.restart(log_bin, binlog_format, extra)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.basedir, ignore_errors=True)

    # -- inspection ------------------------------------------------------------------------

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def leftover_processes(self):
        """PIDs of any process still running with this server's data directory."""
        marker = ("--datadir=" + self.datadir).encode()
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % entry, "rb") as handle:
                    arguments = handle.read().split(b"\0")
            except (IOError, OSError):
                continue
            if marker in arguments:
                pids.append(int(entry))
        return pids

    def log_tail(self, size=4000):
        try:
            with open(self.error_log) as handle:
                return handle.read()[-size:]
        except (IOError, OSError):
            return "(no error log)"

    # -- SQL as root over the socket (setup only: the module under test never writes) ------------

    def connect(self, **kwargs):
        import pymysql  # pylint: disable=import-outside-toplevel

        options = dict(unix_socket=self.socket, user="root", password="", connect_timeout=5,
                       read_timeout=30, autocommit=True)
        options.update(kwargs)
        return pymysql.connect(**options)

    def execute(self, *statements):
        """Run statements as root; returns the rows of the last one."""
        connection = self.connect()
        try:
            rows = ()
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
                    rows = cursor.fetchall()
            return rows
        finally:
            connection.close()
