# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The connection options of every MySQL/MariaDB module (plugins/module_utils/mysql_conn.py).
    DOCUMENTATION = r"""
options:
  login_host:
    description:
      - The host name or address of the MySQL or MariaDB server.
      - The C(host) of O(config_file) is not used; set this option instead.
    type: str
    default: localhost
  login_port:
    description:
      - The TCP port of the server. Ignored when a unix socket is used.
    type: int
    default: 3306
  login_unix_socket:
    description:
      - The unix socket of a local server, for example V(/run/mysqld/mysqld.sock). When set, it is used
        instead of TCP, whatever O(login_host) says.
      - Without it, the C(socket) of O(config_file) is used when O(login_host) is V(localhost).
    type: path
  login_user:
    description:
      - The account to log in with; the privileges of this account are the ones judged by
        C(mysql.privileges) unless O(backup_user) is set.
      - When neither this option nor O(config_file) sets a user, the name of the OS user the module runs
        as is used, as the mysql client does.
    type: str
  login_password:
    description:
      - The password of O(login_user). Never shown in results, messages or logs.
      - When not set, the C(password) of O(config_file) is used, if any.
    type: str
  config_file:
    description:
      - A C(my.cnf) style option file on the host that runs the module. The groups C([client]),
        C([client-server]) and C([client-mariadb]) are read for C(user), C(password), C(socket),
        C(ssl-ca), C(ssl-cert) and C(ssl-key); module options win over the file. C(!include) lines are
        not followed.
      - The default file is used only if it exists; another file that does not exist is an invalid
        argument.
    type: path
    default: ~/.my.cnf
  ca_cert:
    description:
      - A PEM file of the CA that signed the server certificate. When set, the connection uses TLS and
        the server certificate is verified (a failure is reported with cause V(tls)).
      - Without O(ca_cert) and O(client_cert), PyMySQL may still encrypt (recent versions try TLS when the
        server offers it) but never verifies the server.
    type: path
  client_cert:
    description:
      - A PEM client certificate for servers that require X.509 authentication. Needs O(client_key).
    type: path
  client_key:
    description:
      - The private key of O(client_cert).
    type: path
  check_hostname:
    description:
      - Whether the server certificate must name O(login_host). Needs O(ca_cert).
      - When not set, the host name is checked whenever O(ca_cert) is set (never over a unix socket).
    type: bool
  connect_timeout:
    description:
      - Seconds allowed for each step of connecting and logging in (DNS lookup, TCP connect, TLS, each
        read of the handshake and login). A server that accepts TCP but never answers is reported as
        V(timeout) after about this time.
    type: float
    default: 10.0
  read_timeout:
    description:
      - Seconds each query may wait for the server after login.
    type: float
    default: 30.0
requirements:
  - PyMySQL (C(pip install PyMySQL)) for the Python interpreter that runs the module. Without it every
    check is an V(error) with cause V(driver_missing). Accounts with C(caching_sha2_password) reached
    over plain TCP also need C(cryptography).
notes:
  - Only C(SELECT) and C(SHOW) statements are sent. Names from options are bound as parameters.
  - A connection failure is the V(error) result of C(mysql.connection), classified as V(unreachable),
    V(dns), V(timeout), V(tls), V(login_failed) or V(driver_missing); the other checks of the task then
    say C(Not run) with cause V(dependency). Without C(mysql.connection) in the selection, each check
    reports the connection failure itself.
  - The options can be set once for every MySQL module with C(module_defaults) and the action group
    C(group/cloudbackup.precheck.mysql).
"""

    # The options of the MySQL check items; every MySQL module accepts them.
    CHECKS = r"""
options:
  supported_versions:
    description:
      - The supported server versions per flavour, as V(MIN-MAX) where V(MAX) is a release series
        (V(8.0) covers every 8.0.x, V(11) every 11.x). Used by C(mysql.version).
      - Keys are V(mysql) (MySQL, Percona Server and other MySQL builds), V(mariadb) and V(tidb). A flavour
        not given keeps its default range; a flavour without a range (TiDB by default) fails.
    type: dict
    default:
      mysql: 5.1.38-8.0
      mariadb: 10.0-11
  backup_user:
    description:
      - The account the backup agent will use, as V(name@host) or V(name) (host V(%)), whose grants
        C(mysql.privileges) judges. The name is bound as a parameter of C(SHOW GRANTS FOR).
      - When not set, the login account (as C(CURRENT_USER) returns it) is judged.
      - Reading the grants of another account needs C(SELECT) on the C(mysql) schema; without it the
        result is an V(error) with cause V(permission).
    type: str
  binlog_min_retention_hours:
    description:
      - C(mysql.binlog) warns when binary logs are purged sooner than this, since a log backup that falls
        behind would lose the log chain. V(0) turns the warning off. Logs never purged do not warn.
    type: float
    default: 24.0
"""
