"""MySQL connect errors that are not the network's: TLS asked of a server without TLS."""

import pytest

from ansible_collections.cloudbackup.precheck.plugins.module_utils.mysql import connection as mysql_conn

pymysql = pytest.importorskip("pymysql")


def settings(**changes):
    values = mysql_conn.resolve_settings({"login_host": "db1", "login_port": 3306, "login_user": "bk",
                                          "config_file": None, "ca_cert": "/etc/pki/mysql-ca.pem"})
    values.update(changes)
    return values


def test_tls_required_but_not_offered_is_tls_with_the_server_side_fix():
    exc = pymysql.err.OperationalError(2026, "SSL is required but the server doesn't support it")
    failure = mysql_conn.classify_connect_error(exc, settings())
    assert failure.cause == "tls" and failure.source == "mysql.connection"
    assert failure.details["reason"] == "server_no_tls"
    assert "db1:3306 does not offer TLS" in failure.message
    assert "have_ssl" in failure.remediation and "firewall" not in failure.remediation
