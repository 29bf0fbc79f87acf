# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventories and playbooks the benchmark runs: the collection's own main job (role, then
gate), the module alone, and the hand-written playbook a user would write for the same checks."""

from __future__ import absolute_import, division, print_function

import json
import os
import re
import sys

import collection as trees

# Runs one statement the way a user's playbook would run sqlcmd: a process, a connection, the rows
# printed as JSON.
SQL_CLIENT = (
    "import json, os, sys, pyodbc\n"
    "host, port, user, sql, params = sys.argv[1:]\n"
    "connection = pyodbc.connect('DRIVER={FreeTDS};SERVER=%s;PORT=%s;UID=%s;PWD=%s;TDS_Version=7.4'"
    " % (host, port, user, os.environ['SQL_PASSWORD']), timeout=5)\n"
    "rows = connection.cursor().execute(sql, json.loads(params)).fetchall()\n"
    "print(json.dumps([[str(value) for value in row] for row in rows]))\n"
)


def inventory(count, endpoint, instances=None, **variables):
    """`count` local hosts, each checking `endpoint` as its object storage and control endpoint;
    `instances(index)` gives a host's SQL Server instances."""
    hosts = {}
    for index in range(count):
        host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                "cloudbackup_precheck_oss_endpoint": endpoint.address, "cloudbackup_precheck_ca_path": str(endpoint.cert),
                "cloudbackup_precheck_control_endpoints": [endpoint.address]}
        if instances is not None:
            host["cloudbackup_precheck_sqlserver_instances"] = instances(index)
        host.update(variables)
        hosts["h%03d" % index] = host
    return {"all": {"hosts": hosts}}


def role(tree):
    """The collection's main job, as a user runs it: playbooks/precheck.yml."""
    return os.path.join(trees.installed(tree), "playbooks", "precheck.yml")


def module_alone(instance):
    settings = dict((key, value) for key, value in instance.items() if key != "name")
    settings["label"] = instance["name"]
    return [{"name": "The SQL Server engine module alone", "hosts": "all", "gather_facts": False, "tasks": [
        {"name": "SQL Server | Check the instance", "cloudbackup.precheck.sqlserver_precheck": settings}]}]


def hand_written(statements=None):
    """What a user writes for the same host checks with builtin modules (object storage over HTTPS,
    routes to the control network, control endpoints, 64-bit, operating system), and, with the SQL
    statements the engine module sent to the instance (`statements`), one command per statement,
    then one assert over everything. Written by hand: see bench/README.md."""
    tasks = [
        {"name": "Object storage answers over HTTPS", "ansible.builtin.uri": {
            "url": "https://{{ cloudbackup_precheck_oss_endpoint }}/", "method": "HEAD", "status_code": [200, 403],
            "ca_path": "{{ cloudbackup_precheck_ca_path }}", "timeout": 5}, "register": "oss", "failed_when": False},
        {"name": "Routes to the control network", "ansible.builtin.command": "ip route get {{ item }}",
         "loop": ["100.64.0.1", "100.96.0.1"], "register": "routes", "changed_when": False, "failed_when": False},
        {"name": "Control endpoints reachable", "ansible.builtin.wait_for": {
            "host": "{{ item.split(':')[0] }}", "port": "{{ item.split(':')[1] }}", "timeout": 5},
         "loop": "{{ cloudbackup_precheck_control_endpoints }}", "register": "control", "failed_when": False},
        {"name": "Machine is 64-bit", "ansible.builtin.command": "getconf LONG_BIT", "register": "bits",
         "changed_when": False},
        {"name": "Operating system", "ansible.builtin.setup": {"gather_subset": ["!all", "!min", "distribution"]}},
    ]
    that = ["oss.status in [200, 403]", "routes.results | map(attribute='rc') | max == 0",
            "control.results | selectattr('failed') | list | length == 0", "bits.stdout == '64'",
            "ansible_facts.distribution in ['Debian', 'Ubuntu', 'CentOS', 'RedHat', 'Rocky', 'AlmaLinux']"]
    for number, statement in enumerate(statements or [], 1):
        name = "sql%02d" % number
        sql = re.sub(r"@P\d+", "?", statement["sql"])
        instance = "cloudbackup_precheck_sqlserver_instances[0]"
        tasks.append({"name": "SQL Server | Query %d" % number, "ansible.builtin.command": {"argv": [
            sys.executable, "-c", SQL_CLIENT, "{{ %s.login_host }}" % instance, "{{ %s.login_port }}" % instance,
            "{{ %s.login_user }}" % instance, sql, json.dumps(statement.get("params") or [])]},
            "environment": {"SQL_PASSWORD": "{{ %s.login_password }}" % instance}, "register": name,
            "changed_when": False})
        that.append("%s.rc == 0" % name)
    tasks.append({"name": "Ready for backup", "ansible.builtin.assert": {"that": that, "quiet": True}})
    return [{"name": "Hand-written precheck", "hosts": "all", "gather_facts": False, "tasks": tasks}]


def silent_inventory(endpoint, silent_oss, silent_controls, silent_instance, timeout):
    """One host whose every endpoint is silent: object storage, both control endpoints, its SQL Server."""
    hosts = inventory(1, endpoint, instances=lambda index: [silent_instance], cloudbackup_precheck_timeout=timeout)
    host = hosts["all"]["hosts"]["h000"]
    host["cloudbackup_precheck_oss_endpoint"] = silent_oss
    host["cloudbackup_precheck_control_endpoints"] = silent_controls
    return hosts
