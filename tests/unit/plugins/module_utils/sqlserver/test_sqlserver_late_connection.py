"""A connection the driver opens after the connect was given up is closed, not left to the server."""

import threading
import time

import pytest

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import connection as C


class _LateConnection:
    def __init__(self):
        self.closed = threading.Event()

    def close(self):
        self.closed.set()


class _LateDriver:
    """A pyodbc stand-in whose connect returns a connection, but only after `delay` seconds."""

    class Error(Exception):
        pass

    def __init__(self, delay):
        self.delay = delay
        self.connection = _LateConnection()

    @staticmethod
    def drivers():
        return ["FreeTDS"]

    def connect(self, text, timeout=None, autocommit=False):
        time.sleep(self.delay)
        return self.connection


def test_a_connection_that_arrives_after_the_bound_is_closed(monkeypatch):
    late = _LateDriver(delay=1.0)
    monkeypatch.setattr(C, "load_pyodbc", lambda: late)
    monkeypatch.setattr(C, "CONNECT_GRACE", 0.2)
    settings = C.resolve_settings({"login_host": "127.0.0.1", "login_port": 1433, "login_user": "bk",
                                   "login_password": "Late-pw-2c9d", "connect_timeout": 0.3})
    with pytest.raises(PrecheckError) as info:
        C.connect(settings)
    assert info.value.cause == "timeout" and "did not return" in info.value.message
    assert not late.connection.closed.is_set()
    assert late.connection.closed.wait(5), "the late connection was left open"
