"""The SQL Server connection layer: error classification on (SQLSTATE, native number, message)
tuples, connection-string escaping per driver, driver choice, and real connects through pyodbc and
the FreeTDS ODBC driver to the TDS test server (tests/support/tds_server)."""

import socket
import sys
import threading
import time

import pytest

from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import connection as C
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from tds_server import TdsServer

PASSWORD = "S3cr;et{pw=9f3c1d"


# -- classification -----------------------------------------------------------------------------

@pytest.mark.parametrize("sqlstate, native, message, cause", [
    # FreeTDS 1.3, as observed against the TDS test server (tests/support/tds_server/README.md)
    ("42000", 18456, "Login failed for user 'backup'. (18456)", "login_failed"),
    ("42000", 18452, "Login failed. The login is from an untrusted domain and cannot be used with Integrated "
                     "authentication. (18452)", "login_failed"),
    ("HYT00", 0, "Timeout expired", "timeout"),
    ("08001", 0, "Unable to connect to data source", "unreachable"),
    ("08S01", 20009, "Unable to connect: Adaptive Server is unavailable or does not exist (20009)", "unreachable"),
    ("01000", 20017, "Unexpected EOF from the server (20017)", "unreachable"),
    ("08S01", 0, "Communication link failure", "unreachable"),
    ("01000", 0, "Can't open lib 'ODBC Driver 18 for SQL Server' : file not found", "driver_missing"),
    ("42000", 297, "The user does not have permission to perform this action. (297)", "permission"),
    ("42S02", 208, "Invalid object name 'sys.dm_hadr_database_replica_states'. (208)", "internal"),
    # Microsoft ODBC Driver 17/18
    ("28000", 18456, "Login failed for user 'sa'. (18456); Login failed for user 'sa'. (18456)", "login_failed"),
    ("28000", 18470, "Login failed for user 'bk'. Reason: The account is disabled. (18470)", "login_failed"),
    ("42000", 18488, "Login failed for user 'bk'. Reason: The password of the account must be changed. (18488)",
     "login_failed"),
    ("HYT00", 0, "Login timeout expired; A network-related or instance-specific error has occurred while "
                 "establishing a connection to SQL Server.", "timeout"),
    ("08001", -1, "SSL Provider: [error:0A000086:SSL routines::certificate verify failed:self-signed certificate]; "
                  "Client unable to establish connection. For solutions related to encryption errors, see "
                  "https://go.microsoft.com/fwlink/?linkid=2226722", "tls"),
    ("08001", -1, "Client unable to establish connection because an error was encountered during handshakes before "
                  "login.", "tls"),
    ("08001", 10061, "TCP Provider: No connection could be made because the target machine actively refused it. "
                     "(10061)", "unreachable"),
    ("08001", -1, "SQL Server Network Interfaces: Error Locating Server/Instance Specified [xFFFFFFFF].",
     "unreachable"),
    ("IM002", 0, "Data source name not found and no default driver specified", "driver_missing"),
    ("42000", 300, "VIEW SERVER STATE permission was denied on object 'server', database 'master'. (300)",
     "permission"),
    ("42000", 4060, "Cannot open database \"master\" requested by the login. The login failed. (4060)", "permission"),
    ("HYT00", 0, "Query timeout expired", "timeout"),
    ("HY000", 0, "Something else entirely", "internal"),
    (None, None, "", "internal"),
])
def test_classify_on_sqlstate_native_number_and_message(sqlstate, native, message, cause):
    assert C.classify(sqlstate, native, message)[0] == cause


def test_classify_names_the_reason():
    assert C.classify("01000", 20017, "Unexpected EOF from the server (20017)") == ("unreachable", "connection_lost")
    assert C.classify("08001", 10061, "refused (10061)") == ("unreachable", "refused")
    assert C.classify("42000", 18456, "Login failed (18456)") == ("login_failed", "login_18456")


def test_diagnostics_parse_pyodbc_messages_with_several_records():
    class Error(Exception):
        pass

    exc = Error("28000", "[28000] [Microsoft][ODBC Driver 18 for SQL Server][SQL Server]Login failed for user 'sa'. "
                         "(18456) (SQLDriverConnect); [28000] [Microsoft][ODBC Driver 18 for SQL Server][SQL Server]"
                         "Login failed for user 'sa'. (18456)")
    assert C.diagnostics(exc) == ("28000", 18456, "Login failed for user 'sa'. (18456); Login failed for user 'sa'. "
                                                  "(18456)")
    freetds = Error("01000", "[01000] [unixODBC][Driver Manager]Can't open lib 'X' : file not found (0) "
                             "(SQLDriverConnect)")
    assert C.diagnostics(freetds) == ("01000", 0, "Can't open lib 'X' : file not found")
    assert C.diagnostics(Error("odd")) == (None, None, "odd")


def test_connect_errors_give_a_remediation_per_cause_and_never_the_password():
    settings = C.resolve_settings({"login_host": "sql01", "login_user": "bk", "login_password": PASSWORD,
                                   "connect_timeout": 4})
    cases = {
        ("42000", 18456, "Login failed for user 'bk'. (18456)"): ("login_failed", "Check login_user"),
        ("42000", 18470, "Login failed (18470)"): ("login_failed", "ALTER LOGIN [bk] ENABLE;"),
        ("HYT00", 0, "Timeout expired"): ("timeout", "raise connect_timeout"),
        ("08S01", 20009, "Unable to connect (20009)"): ("unreachable", "SQL Server runs"),
        ("08001", -1, "SSL Provider: certificate verify failed"): ("tls", "trust_server_certificate"),
        ("01000", 0, "Can't open lib 'X' : file not found"): ("driver_missing", "apt-get install unixodbc tdsodbc"),
    }
    for (sqlstate, native, message), (cause, fix) in cases.items():
        exc = C.connect_error(settings, sqlstate, native, message, "freetds")
        assert (exc.cause, exc.source) == (cause, "sqlserver.connection")
        assert fix in exc.remediation, (cause, exc.remediation)
        assert "sql01:1433" in exc.message or cause == "driver_missing"
        assert PASSWORD not in exc.message + exc.remediation + str(exc.details)
    timeout = C.connect_error(settings, "HYT00", 0, "Timeout expired")
    assert "within 4s (connect_timeout)" in timeout.message


def test_a_diagnosis_refines_an_unclear_connect_error():
    settings = C.resolve_settings({"login_host": "sql01", "login_user": "bk", "connect_timeout": 4})
    exc = C.connect_error(settings, "08001", 0, "Unable to connect to data source", "freetds",
                          {"cause": "unreachable", "reason": "dns", "detail": "DNS lookup of sql01 failed"})
    assert (exc.cause, exc.details["reason"]) == ("unreachable", "dns")
    assert "Diagnosis: DNS lookup of sql01 failed." in exc.message and "does not resolve" in exc.remediation
    tls = C.connect_error(dict(settings, encrypt=True), "08001", 0, "Unable to connect to data source", "freetds",
                          {"cause": "tls", "reason": "server_no_encryption", "detail": "no encryption"})
    assert tls.cause == "tls" and "encrypt: false" in tls.remediation


def test_query_errors_are_classified():
    assert C.query_error(("01000", 20017, "Unexpected EOF from the server (20017)"), "sql01:1433",
                         "the database list").cause == "unreachable"
    assert C.query_error(("HYT00", 0, "Timeout expired"), "sql01:1433", "x").cause == "timeout"
    denied = C.query_error(("42000", 297, "no permission (297)"), "sql01:1433", "AG states")
    assert denied.cause == "permission" and denied.source is None
    assert "Not allowed to read AG states on sql01:1433" in denied.message


# -- connection strings -------------------------------------------------------------------------

@pytest.mark.parametrize("value, msodbc, freetds", [
    ("plain", "plain", "plain"),
    ("p;w", "{p;w}", "{p;w}"),
    ("p}w", "{p}}w}", "p}w"),
    ("p}w;x", "{p}}w;x}", C.UnquotableValue),
    ("{start", "{{start}", "{{start}"),
    (" spaced ", "{ spaced }", "{ spaced }"),
    ("", "{}", "{}"),
    ("a=b", "{a=b}", "a=b"),
    ("x};y", "{x}};y}", C.UnquotableValue),
    ("nul\x00", C.UnquotableValue, C.UnquotableValue),
])
def test_odbc_value_escaping_per_driver(value, msodbc, freetds):
    for family, expected in (("msodbc", msodbc), ("freetds", freetds)):
        if expected is C.UnquotableValue:
            with pytest.raises(C.UnquotableValue) as info:
                C.odbc_value(value, family)
            assert value not in str(info.value) or not value
        else:
            assert C.odbc_value(value, family) == expected


def settings(**options):
    values = {"login_host": "sql01", "login_user": "bk", "login_password": PASSWORD}
    values.update(options)
    return C.resolve_settings(values)


def test_connection_string_for_the_microsoft_drivers():
    text = C.connection_string(settings(login_port=14330, trust_server_certificate=True),
                               "ODBC Driver 18 for SQL Server", "msodbc")
    assert text == ("DRIVER={ODBC Driver 18 for SQL Server};SERVER=tcp:sql01,14330;Encrypt=yes;"
                    "TrustServerCertificate=yes;DATABASE=master;APP=cloudbackup.precheck;UID=bk;"
                    "PWD={S3cr;et{pw=9f3c1d};")
    named = C.connection_string(settings(instance_name="PROD", encrypt=False), "ODBC Driver 17 for SQL Server", "msodbc")
    assert "SERVER=sql01\\PROD;Encrypt=no;TrustServerCertificate=no;" in named


def test_connection_string_for_freetds():
    text = C.connection_string(settings(), "FreeTDS", "freetds")
    assert text == ("DRIVER={FreeTDS};SERVER=sql01;PORT=1433;TDS_Version=7.4;Encryption=require;Encrypt=yes;"
                    "DATABASE=master;APP=cloudbackup.precheck;UID=bk;PWD={S3cr;et{pw=9f3c1d};")
    named = C.connection_string(settings(instance_name="PROD", encrypt=False), "FreeTDS", "freetds")
    assert "SERVER=sql01\\PROD;TDS_Version=7.4;Encryption=request;" in named and "PORT=" not in named
    integrated = C.connection_string(settings(login_user=None, login_password=None), "/opt/lib/libtdsodbc.so",
                                     "freetds")
    assert integrated.startswith("DRIVER=/opt/lib/libtdsodbc.so;") and "Trusted_Connection=yes;" in integrated
    assert "UID=" not in integrated and "PWD=" not in integrated


def test_ipv6_host_and_labels():
    assert C.format_label("::1", 1433, None) == "[::1]:1433"
    assert C.format_label("[::1]", 1433, None) == "[::1]:1433"
    assert C.format_label("sql01", 1433, "MSSQLSERVER") == "sql01:1433"
    assert C.format_label("sql01", 1433, "PROD") == "sql01\\PROD"
    text = C.connection_string(settings(login_host="[::1]"), "ODBC Driver 18 for SQL Server", "msodbc")
    assert "SERVER=tcp:::1,1433;" in text
    default = C.resolve_settings({"login_host": "sql01", "instance_name": "mssqlserver"})
    assert (default["instance"], default["port"], default["label"]) == (None, 1433, "sql01:1433")


# -- drivers ------------------------------------------------------------------------------------

def test_choose_driver_prefers_microsoft_then_freetds():
    assert C.choose_driver(["FreeTDS", "ODBC Driver 17 for SQL Server"], None) == (
        "ODBC Driver 17 for SQL Server", "msodbc")
    assert C.choose_driver(["FreeTDS", "ODBC Driver 18 for SQL Server", "ODBC Driver 17 for SQL Server"], None)[0] == \
        "ODBC Driver 18 for SQL Server"
    assert C.choose_driver(["PostgreSQL", "FreeTDS"], None) == ("FreeTDS", "freetds")
    assert C.choose_driver(["FreeTDS", "Vendor X"], "Vendor X") == ("Vendor X", "msodbc")


def test_choose_driver_without_one_is_driver_missing_saying_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("ODBCSYSINI", str(tmp_path))
    with pytest.raises(PrecheckError) as info:
        C.choose_driver([], None)
    assert info.value.cause == "driver_missing" and info.value.source == "sqlserver.connection"
    assert "registered drivers: none; from %s/odbcinst.ini" % tmp_path in info.value.message
    assert "apt-get install unixodbc tdsodbc" in info.value.remediation and "msodbcsql18" in info.value.remediation
    with pytest.raises(PrecheckError) as named:
        C.choose_driver(["FreeTDS"], "No Such Driver")
    assert "The ODBC driver 'No Such Driver' (option driver) is not installed" in named.value.message
    assert named.value.details["installed_drivers"] == ["FreeTDS"]
    library = tmp_path / "libtdsodbc.so"
    library.write_text("")
    assert C.choose_driver([], str(library)) == (str(library), "freetds")


class _Refuse:
    """A meta path finder that makes `import pyodbc` fail as it does without the package or libodbc."""

    def __init__(self, message):
        self.message = message

    def find_spec(self, name, path=None, target=None):
        if name == "pyodbc":
            raise ImportError(self.message)
        return None


@pytest.mark.parametrize("message, reason, fix", [
    ("No module named 'pyodbc'", "pyodbc", "-m pip install pyodbc"),
    ("libodbc.so.2: cannot open shared object file: No such file or directory", "libodbc", "apt-get install unixodbc"),
])
def test_pyodbc_that_cannot_be_imported_is_driver_missing(monkeypatch, message, reason, fix):
    monkeypatch.delitem(sys.modules, "pyodbc", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_Refuse(message)] + sys.meta_path)
    with pytest.raises(PrecheckError) as info:
        C.load_pyodbc()
    assert (info.value.cause, info.value.details["reason"]) == ("driver_missing", reason)
    assert fix in info.value.remediation and sys.executable in info.value.message


# -- the time bound -----------------------------------------------------------------------------

class _StuckDriver:
    """A pyodbc stand-in whose connect ignores its login timeout."""

    class Error(Exception):
        pass

    def __init__(self):
        self.released = threading.Event()

    @staticmethod
    def drivers():
        return ["FreeTDS"]

    def connect(self, text, timeout=None, autocommit=False):
        self.released.wait(30)
        raise self.Error("HYT00", "[HYT00] late (0)")


def test_a_connect_stuck_beyond_the_login_timeout_is_abandoned(monkeypatch):
    stuck = _StuckDriver()
    monkeypatch.setattr(C, "load_pyodbc", lambda: stuck)
    monkeypatch.setattr(C, "CONNECT_GRACE", 0.5)
    started = time.monotonic()
    try:
        with pytest.raises(PrecheckError) as info:
            C.connect(settings(connect_timeout=1))
    finally:
        stuck.released.set()
    assert time.monotonic() - started < 2.5
    assert info.value.cause == "timeout" and "did not return" in info.value.message


# -- against the TDS test server (real pyodbc and FreeTDS) --------------------------------------

pyodbc = pytest.importorskip("pyodbc")
needs_freetds = pytest.mark.skipif("FreeTDS" not in pyodbc.drivers(), reason="FreeTDS ODBC driver not installed")

SCENARIO = {
    "logins": [{"user": "bk", "password": PASSWORD}, {"user": "brace", "password": "a}b=c"}],
    "queries": [
        {"match": r"WHERE d\.name = @P1", "params": ["it's [odd]"],
         "columns": [{"name": "name", "type": "nvarchar"}, {"name": "database_id", "type": "int"}],
         "rows": [["it's [odd]", 7]]},
        {"match": "slow", "delay_seconds": 3, "columns": [{"name": "x", "type": "int"}], "rows": [[1]]},
        {"match": "^SELECT 1 AS one$", "columns": [{"name": "one", "type": "int"}], "rows": [[1]]},
    ],
    "default": "error",
}


@pytest.fixture
def server():
    with TdsServer(SCENARIO) as srv:
        yield srv


def tds(srv, **options):
    values = {"login_host": "127.0.0.1", "login_port": srv.port, "login_user": "bk", "login_password": PASSWORD,
              "driver": "FreeTDS", "encrypt": False, "connect_timeout": 3, "query_timeout": 1}
    values.update(options)
    return C.resolve_settings(values)


@needs_freetds
def test_connect_delivers_escaped_passwords_intact_in_autocommit(server):
    conn = C.connect(tds(server))
    conn2 = C.connect(tds(server, login_user="brace", login_password="a}b=c"))
    try:
        assert [login["password"] for login in server.logins] == [PASSWORD, "a}b=c"]
        assert all(login["database"] == "master" and login["app"] == "cloudbackup.precheck" for login in server.logins)
        assert conn.driver == "FreeTDS" and conn.family == "freetds" and conn.driver_version
        assert conn.query("SELECT 1 AS one") == [{"one": 1}]
    finally:
        conn.close()
        conn2.close()
    assert not [r for r in server.records if r["kind"] == "transaction"]


@needs_freetds
def test_names_are_bound_as_parameters_never_formatted(server):
    conn = C.connect(tds(server))
    try:
        rows = conn.query("SELECT d.name, d.database_id FROM sys.databases AS d WHERE d.name = ?", ["it's [odd]"])
    finally:
        conn.close()
    assert rows == [{"name": "it's [odd]", "database_id": 7}]
    (record,) = [r for r in server.records if not r["driver"]]
    assert record["params"] == ["it's [odd]"] and "odd" not in record["sql"] and "@P1" in record["sql"]


@needs_freetds
def test_only_select_statements_are_sent(server):
    conn = C.connect(tds(server))
    try:
        for statement in ("DELETE FROM x", "EXEC sp_who", "ALTER DATABASE [x] SET ONLINE", "  update x set y=1"):
            with pytest.raises(ValueError):
                conn.query(statement)
    finally:
        conn.close()
    assert not [r for r in server.records if not r["driver"]]


@needs_freetds
def test_query_timeout_is_a_classified_error_and_the_connection_stays_usable(server):
    conn = C.connect(tds(server))
    try:
        started = time.monotonic()
        with pytest.raises(PrecheckError) as info:
            conn.query("SELECT slow", what="a slow view")
        assert time.monotonic() - started < 2.5
        assert info.value.cause == "timeout" and "Reading a slow view on 127.0.0.1:%d took longer than query_timeout" \
            % server.port in info.value.message
        assert conn.query("SELECT 1 AS one") == [{"one": 1}]
    finally:
        conn.close()


@needs_freetds
def test_wrong_password_is_login_failed_without_the_password(server):
    with pytest.raises(PrecheckError) as info:
        C.connect(tds(server, login_password="Wr0ng;pw{"))
    assert info.value.cause == "login_failed" and info.value.details["native_error"] == 18456
    assert "refused the login 'bk'" in info.value.message
    for text in (info.value.message, info.value.remediation, str(info.value.details)):
        assert "Wr0ng" not in text and "PWD" not in text


@needs_freetds
def test_unquotable_value_for_freetds_fails_before_any_login(server):
    with pytest.raises(PrecheckError) as info:
        C.connect(tds(server, login_password="x};y"))
    assert info.value.cause == "login_failed" and info.value.details["reason"] == "unquotable_value"
    assert "x};y" not in info.value.message and server.logins == []


def _closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@needs_freetds
def test_refused_and_dns_failures_are_unreachable_with_the_reason():
    refused = C.resolve_settings({"login_host": "127.0.0.1", "login_port": _closed_port(), "login_user": "bk",
                                  "driver": "FreeTDS", "connect_timeout": 2})
    with pytest.raises(PrecheckError) as info:
        C.connect(refused)
    assert (info.value.cause, info.value.details["reason"]) == ("unreachable", "refused")
    nowhere = C.resolve_settings({"login_host": "no-such-host.invalid", "login_user": "bk", "driver": "FreeTDS",
                                  "connect_timeout": 2})
    with pytest.raises(PrecheckError) as info:
        C.connect(nowhere)
    assert (info.value.cause, info.value.details["reason"]) == ("unreachable", "dns")


@needs_freetds
def test_encryption_required_but_not_offered_is_tls():
    with TdsServer({}) as srv:
        with pytest.raises(PrecheckError) as info:
            C.connect(tds(srv, encrypt=True))
    assert (info.value.cause, info.value.details["reason"]) == ("tls", "server_no_encryption")
    assert "does not support encryption" in info.value.message


@needs_freetds
def test_server_closing_at_once_is_unreachable_closed():
    with TdsServer({"behaviour": {"mode": "close_on_connect"}}) as srv:
        with pytest.raises(PrecheckError) as info:
            C.connect(tds(srv))
    assert (info.value.cause, info.value.details["reason"]) == ("unreachable", "closed")


@needs_freetds
def test_named_instance_without_a_browser_ends_within_the_bound():
    started = time.monotonic()
    with pytest.raises(PrecheckError) as info:
        C.connect(C.resolve_settings({"login_host": "127.0.0.1", "instance_name": "SQLEXPRESS", "login_user": "bk",
                                      "driver": "FreeTDS", "encrypt": False, "connect_timeout": 1}))
    elapsed = time.monotonic() - started
    assert elapsed < 1 + C.CONNECT_GRACE + 1.5, elapsed
    assert info.value.cause == "timeout" and info.value.details["diagnosis"]["reason"] == "browser_silent"
    assert "UDP 1434" in info.value.remediation


# -- the diagnosis probes -----------------------------------------------------------------------

def test_prelogin_reply_of_the_test_server_says_no_encryption():
    with TdsServer({"server": {"version": "15.0.2000.5"}}) as srv:
        plain = C.diagnose(tds(srv), 2)
        wanted = C.diagnose(tds(srv, encrypt=True), 2)
    assert plain == {"server_encryption": "not supported", "server_version": "15.0.2000"}
    assert (wanted["cause"], wanted["reason"]) == ("tls", "server_no_encryption")


def test_parse_prelogin_rejects_what_is_not_tds():
    with pytest.raises(ValueError):
        C.parse_prelogin(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    packet = C.prelogin_packet(True)
    assert packet[0] == 0x12 and len(packet) == int.from_bytes(packet[2:4], "big")


class _Browser(threading.Thread):
    """A SQL Server Browser on a UDP port of 127.0.0.1 that answers one CLNT_UCAST_INST request."""

    def __init__(self, answer):
        super(_Browser, self).__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.answer = answer
        self.request = None

    def run(self):
        data, peer = self.sock.recvfrom(1024)
        self.request = data
        if self.answer is not None:
            body = self.answer.encode("ascii")
            self.sock.sendto(b"\x05" + len(body).to_bytes(2, "little") + body, peer)


@pytest.mark.parametrize("answer, expected", [
    ("ServerName;SQL01;InstanceName;PROD;IsClustered;No;Version;15.0.2000.5;tcp;14330;;",
     {"ok": True, "port": 14330, "version": "15.0.2000.5"}),
    ("ServerName;SQL01;InstanceName;OTHER;IsClustered;No;Version;15.0.2000.5;tcp;14330;;",
     {"ok": False, "reason": "instance_not_found"}),
    ("ServerName;SQL01;InstanceName;PROD;IsClustered;No;Version;15.0.2000.5;np;\\\\SQL01\\pipe\\sql\\query;;",
     {"ok": False, "reason": "no_tcp"}),
    (None, {"ok": False, "reason": "browser_silent"}),
])
def test_browser_lookup(monkeypatch, answer, expected):
    browser = _Browser(answer)
    browser.start()
    monkeypatch.setattr(C, "BROWSER_PORT", browser.port)
    found = C.browser_lookup("127.0.0.1", "PROD", C.probes.Deadline(1))
    browser.sock.close()
    assert dict((k, v) for k, v in found.items() if k != "detail") == expected
    assert browser.request == b"\x04PROD\x00"
