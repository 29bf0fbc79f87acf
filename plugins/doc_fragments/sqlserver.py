# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The SQL Server connection options, shared by every SQL Server module.
    DOCUMENTATION = r"""
options:
  login_host:
    description:
      - The host name or address of the SQL Server instance, as seen from the host that runs the module
        (with C(delegate_to), the delegate).
    type: str
    default: localhost
  login_port:
    description:
      - The TCP port of the instance. When neither this nor O(instance_name) is set, 1433.
      - Give either O(login_port) or O(instance_name), not both.
    type: int
  instance_name:
    description:
      - A named instance, for example V(SQLEXPRESS). Its port is looked up through the SQL Server
        Browser service on UDP 1434 of O(login_host) (the drivers do this; FreeTDS with
        C(SERVER=host\instance)), so the Browser must run and UDP 1434 must be open.
      - V(MSSQLSERVER) names the default instance, which listens on O(login_port).
      - The target of the results is then C(host\instance) instead of C(host:port).
    type: str
  login_user:
    description:
      - A SQL Server login. Without it, integrated authentication (C(Trusted_Connection=yes)) is
        used, which on Linux needs a Kerberos ticket of a domain account.
    type: str
  login_password:
    description:
      - The password of O(login_user). It is sent only inside the ODBC connection string, escaped
        for the driver, and never appears in results, messages or logs.
    type: str
  driver:
    description:
      - The ODBC driver to use, by its registered name (see C(odbcinst -q -d)) or the path of its
        library.
      - When not set, the first installed of V(ODBC Driver 18 for SQL Server), V(ODBC Driver 17 for
        SQL Server) and V(FreeTDS).
      - A driver that is not installed is an V(error) result with cause V(driver_missing), not a
        failed task.
    type: str
  encrypt:
    description:
      - Encrypt the connection with TLS. Mapped to what each driver understands, C(Encrypt=yes)
        for the Microsoft drivers and C(Encryption=require) for FreeTDS (which ignores
        C(Encrypt) before 1.5).
      - With V(false) the login packet is still encrypted when the server can.
    type: bool
    default: true
  trust_server_certificate:
    description:
      - Accept the server's TLS certificate without verifying it (C(TrustServerCertificate=yes) of
        the Microsoft drivers). Needed for the self-signed certificate SQL Server generates when
        none is configured.
      - FreeTDS ignores it; it verifies the certificate only when C(ca file) is set in
        C(freetds.conf).
    type: bool
    default: false
  connect_timeout:
    description:
      - Seconds the connection and login may take (the ODBC login timeout, rounded up to whole
        seconds). A connect that the driver does not end in time (for example a silent SQL Server
        Browser) is abandoned 2 seconds later and reported as V(timeout).
    type: float
    default: 10.0
  query_timeout:
    description:
      - Seconds each query may take (the ODBC query timeout, rounded up to whole seconds).
    type: float
    default: 30.0
requirements:
  - pyodbc on the host that runs the module (with C(delegate_to), the delegate).
  - unixODBC and an ODBC driver for SQL Server there, for example C(apt-get install unixodbc tdsodbc)
    or Microsoft's C(msodbcsql18). Without them the results are V(error) with cause V(driver_missing).
notes:
  - Every statement is a read-only C(SELECT) on an autocommit connection to C(master); user-supplied
    names are never put into SQL text.
  - The minimum permissions for each check and how to check a Windows SQL Server from a Linux host
    are described in the collection's C(docs/sqlserver.md).
"""

    # The options that choose which databases are checked and against which backup plan.
    DATABASES = r"""
options:
  backup_types:
    description:
      - The backup types planned for the databases of this instance. The recovery model is judged
        against them, for example SIMPLE fails only when V(log) is planned.
    type: list
    elements: str
    choices: [full, differential, log]
    default: [full, differential, log]
  databases_include:
    description:
      - The databases to check, as names or glob patterns (V(*), V(?), V([...])), matched
        case-insensitively in Python against C(sys.databases). A pattern equal to a name matches it
        literally, even if it contains brackets.
      - C(tempdb) is never checked. A pattern that matches no database is reported as a V(warning)
        by C(sqlserver.database_state).
    type: list
    elements: str
    default: ['*']
  databases_exclude:
    description:
      - Databases not to check, in the same forms as O(databases_include). They are reported once
        per check as V(skipped), by name.
      - For example V(msdb), which is in the SIMPLE recovery model by default, when its log is not
        backed up.
    type: list
    elements: str
    default: []
"""

    # The options of the check items that answer Azure Backup's SQL Server error codes.
    BACKUP = r"""
options:
  backup_login:
    description:
      - The login the backup agent will use, for C(sqlserver.sysadmin), for example
        V(NT SERVICE\\AzureWLBackupPluginSvc) for Azure Backup. Its sysadmin membership is read with
        C(IS_SRVROLEMEMBER('sysadmin', ?)), the name bound as a parameter.
      - When not set, the login of the connection is checked.
    type: str
    version_added: 0.1.0
  databases:
    description:
      - The databases the backup plan protects. C(sqlserver.database_exists) fails for each one that
        is not in C(sys.databases) (names compared exactly, then case-insensitively).
      - When empty, C(sqlserver.database_exists) is V(skipped).
    type: list
    version_added: 0.1.0
    elements: str
    default: []
  foreign_backup_window_hours:
    description:
      - How many hours of C(msdb) backup history C(sqlserver.foreign_backups) reads.
    type: int
    version_added: 0.1.0
    default: 168
  own_backup_users:
    description:
      - The logins (C(msdb.dbo.backupset.user_name)) under which the backup agent being rolled out
        takes its backups, as names or glob patterns, case-insensitive. Their backups are not
        reported by C(sqlserver.foreign_backups); every other non-copy-only full or log backup is.
      - Before the rollout no backup is the agent's own, so the default reports them all.
    type: list
    version_added: 0.1.0
    elements: str
    default: []
  log_space_warn_percent:
    description:
      - C(sqlserver.log_space) warns from this percentage of the transaction log in use.
    type: int
    version_added: 0.1.0
    default: 75
  log_space_fail_percent:
    description:
      - C(sqlserver.log_space) fails from this percentage of the transaction log in use when the log
        cannot grow (no autogrowth, or every log file at its maximum size), and warns when it can.
    type: int
    version_added: 0.1.0
    default: 90
  file_list_limit_bytes:
    description:
      - The size in bytes above which Azure Backup stores a database's file list differently and a
        restore cannot choose the target file paths (C(sqlserver.file_path_length)).
    type: int
    version_added: 0.1.0
    default: 20000
  file_list_warn_percent:
    description:
      - C(sqlserver.file_path_length) warns from this percentage of O(file_list_limit_bytes).
    type: int
    version_added: 0.1.0
    default: 90
  restore_target:
    description:
      - This instance is a restore target. C(sqlserver.restore_target) then checks
        O(restore_databases), and C(sqlserver.tde_certificate) checks
        O(source_certificate_thumbprints).
    type: bool
    version_added: 0.1.0
    default: false
  restore_databases:
    description:
      - The names of the databases restores will create on this instance (with O(restore_target)).
        A database of the same name fails C(sqlserver.restore_target) unless O(overwrite) is true.
    type: list
    version_added: 0.1.0
    elements: str
    default: []
  overwrite:
    description:
      - The restores onto this instance will use force overwrite, so an existing database of the
        same name is replaced (and C(sqlserver.restore_target) passes).
    type: bool
    version_added: 0.1.0
    default: false
  source_certificate_thumbprints:
    description:
      - On a restore target, the SHA-1 thumbprints (40 hexadecimal digits, V(0x) optional) of the TDE
        certificates of the source servers. Each must be in C(master.sys.certificates) with its
        private key.
    type: list
    version_added: 0.1.0
    elements: str
    default: []
  peer_instances:
    description:
      - The other SQL Server instances configured on the same host, for C(sqlserver.instances_healthy),
        which probes this instance and each of them with a TDS pre-login (no login, within
        O(connect_timeout), all at once). Only how to reach them; no credentials.
      - The role passes them to the first instance of each host.
    type: list
    version_added: 0.1.0
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - A label for the instance in messages.
        type: str
      login_host:
        description:
          - Its host name or address.
        type: str
        default: localhost
      login_port:
        description:
          - Its TCP port (1433 when neither this nor O(peer_instances[].instance_name) is set).
        type: int
      instance_name:
        description:
          - Its named instance, looked up through the SQL Server Browser (UDP 1434).
        type: str
"""
