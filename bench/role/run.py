# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's benchmark (issue 13): the role against its floor, against a hand-written playbook,
against the module alone as databases grow, a black-holed host against one timeout, and each
engine module's payload and import time against ping. Every comparison is measured interleaved,
pair by pair, in this one run. See bench/README.md.

    .venv/bin/python bench/role/run.py [--collection PATH] [--quick] [--pairs N]
"""

from __future__ import absolute_import, division, print_function

import argparse
import os
import pathlib
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import collection as trees  # noqa: E402
import measure  # noqa: E402
import payload  # noqa: E402
import plays  # noqa: E402
import servers  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Pairs per comparison, fewer for the larger fleets. A run of 100 local hosts takes minutes on this
# machine kind (3 to 7 under other jobs' load), one of 300 about three times that: 300 hosts are
# measured on request (--hosts 10 100 300), with one pair each.
FULL = {"hosts": (10, 100), "pairs": {10: 2, 100: 1}, "hand_written_hosts": (10,), "hand_written_pairs": 2,
        "databases": (1, 100, 1000, 5000), "database_pairs": 2, "timeout": 3, "hole_pairs": 2, "import_pairs": 5}
QUICK = {"hosts": (2,), "pairs": {2: 1}, "hand_written_hosts": (2,), "hand_written_pairs": 1,
         "databases": (1, 10), "database_pairs": 1, "timeout": 1, "hole_pairs": 1, "import_pairs": 1}
FORKS = 10  # TDS server processes shared by the hosts: at most one per fork, so no host waits for another's


class Bench:
    def __init__(self, collection, work, config, pairs):
        self.collection = collection
        self.work = work
        self.config = config
        self.pairs = pairs
        self.playbooks = measure.Playbooks(work)
        self.rows = []
        self.notes = []
        self.started = time.monotonic()

    def count(self, default):
        return self.pairs or default

    def compare(self, label, first, second, pairs, **row):
        self.rows.append(measure.Row(label, measure.interleaved(first, second, self.count(pairs)), **row))
        print("%5.0f s  %s" % (time.monotonic() - self.started, label), file=sys.stderr, flush=True)
        return self.rows[-1]

    def run(self, endpoint, tds):
        role_tree = trees.install(self.collection, self.work, "role")
        modules = trees.engine_modules(self.collection)
        role = plays.role(role_tree)
        pool = [tds["healthy%d" % index] for index in range(pool_size(self.config))]

        def fleet(count, sql):
            instances = (lambda index: [pool[index % len(pool)].instance("sql%03d" % index)]) if sql else None
            return plays.inventory(count, endpoint, instances=instances)

        captured = os.path.join(self.work, "captured")
        os.mkdir(captured)
        capture_env = trees.capture_env(captured, modules)
        capture_env["ANSIBLE_CALLBACKS_ENABLED"] = "cloudbackup.precheck.precheck_report,bench_capture"
        self.playbooks.run(role_tree, role, fleet(1, True), env=capture_env)
        statements = pool[0].statements()
        floor_tree = trees.install_floor(self.collection, self.work, captured)
        floor = plays.role(floor_tree)
        hand = plays.hand_written(statements)

        def runner(tree, playbook, inventory, **options):
            return lambda: self.playbooks.run(tree, playbook, inventory, **options)

        for count in self.config["hosts"]:
            pairs = self.config["pairs"].get(count, 1)
            for sql, shape in ((False, "host checks"), (True, "host checks + 1 SQL Server")):
                inventory = fleet(count, sql)
                self.compare("role against floor, %s, %d hosts" % (shape, count),
                             runner(floor_tree, floor, inventory), runner(role_tree, role, inventory), pairs)
        for count in self.config["hand_written_hosts"]:
            self.compare("hand-written against role, host checks + 1 SQL Server, %d hosts" % count,
                         runner(role_tree, role, fleet(count, True)), runner(role_tree, hand, fleet(count, True)),
                         self.config["hand_written_pairs"])

        growth = []
        for databases in self.config["databases"]:
            instance = tds["db%d" % databases].instance("db%d" % databases)
            inventory = plays.inventory(1, endpoint, instances=lambda index: [instance],
                                        cloudbackup_precheck_host_checks=[])
            row = self.compare("role against module alone, 1 host, %d databases" % databases,
                               runner(role_tree, plays.module_alone(instance), inventory), runner(role_tree, role, inventory),
                               self.config["database_pairs"])
            growth.append((databases, row.first, row.second))
        self.notes.append(grown(growth))

        timeout = self.config["timeout"]
        healthy = plays.inventory(1, endpoint, instances=lambda index: [pool[0].instance("sql")],
                                  cloudbackup_precheck_timeout=timeout)
        with servers.black_holes() as (oss, controls, sql_port):
            holed = plays.silent_inventory(endpoint, oss, controls, pool[0].instance("holed", login_port=sql_port), timeout)
            self.compare("black-holed host against healthy host (ratio: extra time / timeout of %g s)" % timeout,
                         runner(role_tree, role, healthy), runner(role_tree, role, holed, allowed=(2,)),
                         self.config["hole_pairs"], ratio=lambda a, b: (b - a) / timeout)
        with servers.silent_listeners() as (oss, controls):
            silent = plays.silent_inventory(endpoint, oss, controls, tds["silent"].instance("silent"), timeout)
            self.compare("silent server: accepts TCP, never answers (ratio: extra time / timeout of %g s)" % timeout,
                         runner(role_tree, role, healthy), runner(role_tree, role, silent, allowed=(2,)),
                         self.config["hole_pairs"], ratio=lambda a, b: (b - a) / timeout)

        zips = payload.build(self.playbooks, role_tree, plays.inventory(1, endpoint), modules, self.work)
        ping = zips[payload.PING]
        for module in modules:
            self.rows.append(measure.Row("payload size, %s against ping" % module,
                                         [(payload.size_kb(ping), payload.size_kb(zips[module]))], unit="KB"))
            self.notes.append("%s: %d files in its payload (ping: %d)" % (
                module, payload.files(zips[module]), payload.files(ping)))
            self.compare("import time, %s against ping" % module, lambda: payload.import_ms(ping, payload.PING),
                         lambda module=module: payload.import_ms(zips[module], module), self.config["import_pairs"],
                         unit="ms")


def pool_size(config):
    return min(FORKS, max(config["hosts"]))


def grown(growth):
    """Cost of each further database, between successive sizes: constant when growth is linear."""
    steps = []
    for (small, module_small, role_small), (large, module_large, role_large) in zip(growth, growth[1:]):
        steps.append("%d->%d: module %.2f ms, role %.2f ms" % (
            small, large, 1000 * (module_large - module_small) / (large - small),
            1000 * (role_large - role_small) / (large - small)))
    return "per further database (medians): " + "; ".join(steps)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--collection", default=ROOT, help="the checkout to measure (default: this one)")
    parser.add_argument("--quick", action="store_true", help="the smallest configuration, one pair each")
    parser.add_argument("--pairs", type=int, help="pairs per comparison instead of the configured counts")
    parser.add_argument("--hosts", type=int, nargs="+", help="fleet sizes instead of the configured ones")
    parser.add_argument("--databases", type=int, nargs="+", help="database counts instead of the configured ones")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (playbooks, reports)")
    args = parser.parse_args(argv)
    config = dict(QUICK if args.quick else FULL)
    if args.hosts:
        config["hosts"] = tuple(args.hosts)
    if args.databases:
        config["databases"] = tuple(args.databases)
    # A terminated run still stops its servers and removes its directory.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="bench-role-")
    bench = Bench(os.path.abspath(args.collection), work, config, args.pairs)
    specs = [("healthy%d" % index, servers.scenario("healthy")) for index in range(pool_size(config))]
    specs += [("db%d" % count, servers.scenario("healthy", databases=count)) for count in config["databases"]]
    specs.append(("silent", servers.scenario("silent")))
    try:
        with servers.Endpoint(pathlib.Path(work)) as endpoint, servers.tds_servers(specs, work) as tds:
            bench.run(endpoint, tds)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("Role benchmark of %s (%s configuration), forks 10, local connection" % (
        bench.collection, "quick" if args.quick else "full"))
    print(measure.table(bench.rows))
    for note in bench.notes:
        print(note)
    print("run time: %.0f s" % (time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
