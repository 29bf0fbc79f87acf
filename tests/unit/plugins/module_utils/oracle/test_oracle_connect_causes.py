"""Socket failures behind an Oracle connect keep their cause: python-oracledb (thin) raises an
unresolvable host's gaierror as it is, and wraps a failed TLS handshake into DPY-6005."""

import copy
import socket
import ssl

from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import connection as conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import engine as oracle_engine


def params(**changes):
    values = dict((k, copy.deepcopy(v.get("default"))) for k, v in oracle_engine.ENGINE.argument_spec.items())
    values.update(login_host="db01.example.com", service_name="ORCL", login_user="c##bkp", login_password="pw-u-3")
    values.update(changes)
    return values


class _DriverError:
    def __init__(self, full_code, message):
        self.full_code, self.code, self.message = full_code, 0, "%s: %s" % (full_code, message)


def test_an_unresolvable_host_is_dns_naming_the_host_without_an_empty_code():
    failure = conn._connect_failure(socket.gaierror(-2, "Name or service not known"), params(), "ORCL")
    assert failure.cause == "dns"
    assert failure.message == ("The host name db01.example.com of ORCL does not resolve: [Errno -2] Name or "
                               "service not known.")
    assert "resolver" in failure.remediation and "firewall" not in failure.remediation


def test_a_certificate_failure_wrapped_in_dpy_6005_is_tls():
    wrapped = Exception(_DriverError("DPY-6005", "cannot connect to database.\n[SSL: CERTIFICATE_VERIFY_FAILED]"))
    wrapped.__cause__ = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    failure = conn._connect_failure(wrapped, params(dsn="tcps://db01:2484/ORCL", login_host=None, service_name=None),
                                    "ORCL")
    assert failure.cause == "tls" and failure.details["error_code"] == "DPY-6005"
    assert failure.message.startswith("TLS with the listener at db01:2484 for ORCL failed (DPY-6005)")
    assert "wallet_location" in failure.remediation and "firewall" not in failure.remediation


def test_a_refused_connect_stays_unreachable():
    refused = Exception(_DriverError("DPY-6005", "cannot connect to database.\n[Errno 111] Connection refused"))
    refused.__cause__ = ConnectionRefusedError(111, "Connection refused")
    assert conn._connect_failure(refused, params(), "ORCL").cause == "unreachable"


def test_an_unresolvable_host_behind_a_tns_alias_is_dns_too():
    failure = conn._connect_failure(socket.gaierror(-2, "Name or service not known"),
                                    params(dsn="PRODDB", login_host=None, service_name=None), "PRODDB")
    assert failure.cause == "dns" and failure.message.startswith("The listener host of PRODDB does not resolve")
    assert "tnsnames.ora" in failure.remediation
