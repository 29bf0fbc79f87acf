# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the benchmarked hosts talk to, all on 127.0.0.1: the HTTPS endpoint standing in for object
storage and the control endpoints, silent listeners and black holes, and TDS test servers
(tests/support/tds_server) each in its own process, so that their work does not share the GIL of
the benchmark's own process."""

from __future__ import absolute_import, division, print_function

import contextlib
import copy
import json
import os
import subprocess
import sys
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUPPORT = os.path.join(ROOT, "tests", "support")
sys.path.insert(0, SUPPORT)

import endpoints  # noqa: E402 (tests/support is on the path only from here)

SCENARIOS = os.path.join(ROOT, "tests", "functional", "sqlserver", "scenarios")
USER = "backup_check"
PASSWORD = "Bench-pw-5e1d"


class Endpoint:
    """One HTTPS server answering HEAD with 403, as object storage does without credentials: the
    OSS endpoint and the control endpoint of every benchmarked host."""

    def __init__(self, directory):
        self.cert, key = endpoints.self_signed_cert(directory)
        self.server = endpoints.HttpsServer(self.cert, key)
        self.address = "127.0.0.1:%d" % self.server.port

    def __enter__(self):
        self.server.__enter__()
        return self

    def __exit__(self, *exc):
        self.server.__exit__(*exc)


def scenario(name, databases=None):
    """A scenario of tests/functional/sqlserver/scenarios with the benchmark's login; with
    `databases`, the healthy instance grown to that many databases (master and user databases
    like Sales: FULL recovery, backed up, with a data and a log file each)."""
    with open(os.path.join(SCENARIOS, name + ".yml")) as handle:
        spec = yaml.safe_load(handle)
    spec["logins"] = [{"user": USER, "password": PASSWORD}]
    if databases is not None:
        _grow(spec, databases)
    return spec


# The healthy scenario's queries that return one row (or one per file) per database, and the column
# holding the database id.
PER_DATABASE = {
    "FROM sys\\.databases AS d": 1,
    "FROM sys\\.database_recovery_status": 0,
    "FROM sys\\.master_files": 0,
    "sys\\.dm_db_log_stats": 0,
}


def _grow(spec, databases):
    """master (database id 1), then copies of Sales (id 5) numbered from 2."""
    for query in spec["queries"]:
        column = PER_DATABASE.get(query["match"])
        if column is None:
            continue
        master = [row for row in query["rows"] if row[column] == 1]
        sales = [row for row in query["rows"] if row[column] == 5]
        query["rows"] = master + [_renumbered(query["match"], row, database_id)
                                  for database_id in range(2, databases + 1) for row in sales]


def _renumbered(match, row, database_id):
    row = copy.deepcopy(row)
    name = "db%05d" % database_id
    if match == "FROM sys\\.databases AS d":
        row[0], row[1] = name, database_id
    elif match == "FROM sys\\.database_recovery_status":
        guid = "5b5b5b5b-0000-0000-0000-%012d" % database_id
        row[:3] = [database_id, guid, guid]
    elif match == "FROM sys\\.master_files":
        row[0] = database_id
        row[4] = row[4].replace("Sales", name)
    else:
        row[0] = database_id
    return row


class TdsProcess:
    """A TDS test server in a process of its own (python -m tds_server), recording what arrives."""

    def __init__(self, spec, directory, name):
        self.scenario = os.path.join(directory, name + ".json")
        with open(self.scenario, "w") as handle:
            json.dump(spec, handle)
        self.port_file = os.path.join(directory, name + ".port")
        self.record = os.path.join(directory, name + ".records.jsonl")
        self.proc = None
        self.port = None

    def start(self):
        env = dict(os.environ, PYTHONPATH=SUPPORT)
        self.proc = subprocess.Popen([sys.executable, "-m", "tds_server", self.scenario, "--port-file", self.port_file,
                                      "--record", self.record], env=env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the TDS test server for %s did not start" % self.scenario)
            time.sleep(0.05)
        with open(self.port_file) as handle:
            self.port = int(handle.read())
        return self

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)

    def statements(self):
        """What the code under test sent, in order, without the driver's own statements."""
        with open(self.record) as handle:
            records = [json.loads(line) for line in handle]
        return [record for record in records if not record["driver"]]

    def instance(self, name, **options):
        """The role's settings for this instance."""
        settings = {"name": name, "login_host": "127.0.0.1", "login_port": self.port, "login_user": USER,
                    "login_password": PASSWORD, "encrypt": False, "databases_exclude": ["msdb"]}
        settings.update(options)
        return settings


@contextlib.contextmanager
def tds_servers(specs, directory):
    """Starts one server per (name, spec), yields them by name, and stops them all."""
    started = {}
    try:
        for name, spec in specs:
            started[name] = TdsProcess(spec, directory, name).start()
        yield started
    finally:
        for server in started.values():
            server.stop()


@contextlib.contextmanager
def black_holes():
    """A black-holed host's endpoints: the object-storage endpoint, two control endpoints and the SQL
    Server port, each a port whose SYNs are dropped (no TCP answer at all, as behind a firewall that
    drops)."""
    with endpoints.BlackHole() as oss, endpoints.BlackHole() as first, endpoints.BlackHole() as second, \
            endpoints.BlackHole() as sql:
        yield "127.0.0.1:%d" % oss.port, ["127.0.0.1:%d" % first.port, "127.0.0.1:%d" % second.port], sql.port


@contextlib.contextmanager
def silent_listeners():
    """A silent server's endpoints: listeners that accept TCP and never send a byte (the object-storage
    endpoint's TLS handshake waits; a control endpoint's TCP connect succeeds). Its SQL Server is the
    TDS server of scenario silent.yml, which accepts and never answers."""
    with endpoints.SilentListener() as oss, endpoints.SilentListener() as first, endpoints.SilentListener() as second:
        yield "127.0.0.1:%d" % oss.port, ["127.0.0.1:%d" % first.port, "127.0.0.1:%d" % second.port]
