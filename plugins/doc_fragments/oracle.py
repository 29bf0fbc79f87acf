# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Connection options and thresholds of the Oracle check items.
    DOCUMENTATION = r"""
options:
  dsn:
    description:
      - The database to connect to, as an Easy Connect string (V(dbhost:1521/ORCLPDB1),
        V(tcps://dbhost:2484/sales.example.com)), a connect descriptor (C(DESCRIPTION=...)), or a TNS alias.
      - Mutually exclusive with O(login_host), O(service_name) and O(sid). Must not contain credentials.
      - Results name the database C(host/service) of the string (or the alias), never the whole string.
    type: str
  login_host:
    description:
      - The host of the listener, when O(dsn) is not used. Defaults to V(localhost) when O(service_name)
        or O(sid) is set.
    type: str
  login_port:
    description:
      - The port of the listener, with O(login_host).
    type: int
    default: 1521
  service_name:
    description:
      - The database service to connect to (a PDB is reached by its service name). Results name the
        database by it. Mutually exclusive with O(sid) and O(dsn).
    type: str
  sid:
    description:
      - The instance SID to connect to, for databases that register no service. Mutually exclusive with
        O(service_name) and O(dsn).
    type: str
  login_user:
    description:
      - The database user to log in as.
      - Without it, OS authentication is used (C(/ AS SYSDBA) on the database host), which needs thick
        mode (Oracle Client libraries on the managed host, see O(oracle_client_lib_dir)).
    type: str
  login_password:
    description:
      - The password of O(login_user). It never appears in results, messages or logs.
    type: str
  mode:
    description:
      - The administrative privilege to connect with. V(sysbackup) is the least privilege that reads
        every view the checks need and is required, like V(sysdba), to connect to a MOUNTED database.
    type: str
    choices: [default, sysdba, sysbackup]
    default: default
  oracle_client_lib_dir:
    description:
      - A directory of Oracle Client (Instant Client) libraries. Setting it switches python-oracledb to thick
        mode, needed for Oracle Database 11.2, for 10G password verifiers and for some network
        configurations. Thin mode, the default, needs no client.
    type: path
  connect_timeout:
    description:
      - Seconds the whole connect and login may take. The module bounds it itself, so a listener that
        accepts TCP and then stays silent costs this long and is reported as V(timeout).
    type: float
    default: 10.0
  query_timeout:
    description:
      - Seconds each query may take (python-oracledb C(call_timeout)).
    type: float
    default: 30.0
  recovery_area_warn_percent:
    description:
      - C(oracle.recovery_area) warns when the used, not reclaimable part of the fast recovery area reaches
        this percentage of its limit.
    type: float
    default: 70.0
  recovery_area_fail_percent:
    description:
      - C(oracle.recovery_area) fails at this percentage. Must be above O(recovery_area_warn_percent).
    type: float
    default: 90.0
requirements:
  - python-oracledb 1.0 or later on the managed host (C(pip install oracledb)). Without it every item is
    reported as V(error) with cause V(driver_missing).
notes:
  - The SQL is read-only. Names from options (the user name) are bound as parameters.
  - Instance-level views are read as C(gv$) views, so on RAC every instance is reported; an instance's
    target is then C(<database>@<INSTANCE_NAME>). A PDB's target is C(<database>/<PDB>).
  - The permissions each item needs are listed in the collection's C(docs/oracle.md). A permission too
    weak to see the truth is reported as V(error) with cause V(permission), never as V(passed).
"""
