"""The network side of the test server: one thread per connection, the init handshake, SCRAMSHA256
login, statements answered by the scenario (answers.py), faults, and the record of every statement."""
import hmac
import itertools
import logging
import re
import socket
import threading

from . import auth, wire
from .answers import Answerer, SqlError

LOG = logging.getLogger("hana_server")

# CONNECTOPTIONS keys of the reply (SAP HANA SQL Command Network Protocol Reference, "Connect Options").
_CONNECTION_ID, _SYSTEM_ID, _DATA_FORMAT_VERSION, _DATA_FORMAT_VERSION2 = 1, 11, 12, 23
_FULL_VERSION, _DATABASE_NAME = 44, 45
_DISTRIBUTION_ENABLED, _CLIENT_DISTRIBUTION_MODE = 5, 15   # one server, no statement routing
_DATA_FORMAT = 4   # LONGDATE for TIMESTAMP, BOOLEAN; no FIXED decimals


class Core:
    """The network side, run in the server's own process (server.py): `emit(kind, payload)` hands
    records, logins and violations to the test's process."""

    def __init__(self, scenario, listener, emit):
        self.scenario = scenario
        self.answerer = Answerer(scenario, on_violation=lambda text: emit("violation", text))
        self.listener = listener
        self.host, self.port = listener.getsockname()[:2]
        self.emit = emit
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._sockets, self._threads = [], []
        self._numbers = itertools.count(1)

    def run(self):
        """Serve until stop() (from another thread)."""
        self.listener.settimeout(0.2)
        self._spawn(self._accept_loop)
        self.stopping.wait()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets + [self.listener]:
            _close(sock)
        for thread in list(self._threads):
            thread.join(2)

    def stop(self):
        self.stopping.set()

    def _spawn(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self):
        while not self.stopping.is_set():
            try:
                sock, _address = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self._sockets.append(sock)
            self._spawn(self._serve, sock, next(self._numbers))

    def _serve(self, sock, number):
        session = Session(self, sock, number)
        try:
            session.run()
        except (OSError, wire.ProtocolError, _Dropped) as exc:
            LOG.debug("connection %d ends: %s", number, exc)
        except Exception:  # a bug here must show in the test log, not kill the thread silently
            LOG.exception("connection %d failed", number)
        finally:
            _close(sock)


class _Dropped(Exception):
    pass


class Session:
    """One client connection."""

    def __init__(self, server, sock, number):
        self.server, self.sock, self.number = server, sock, number
        self.scenario = server.scenario
        self.user, self.session_id = None, 0
        self.login = None          # (user, salt, server challenge, client challenge)
        self.packet = 0            # the request's packet count, echoed in its reply
        self.statements, self.resultsets = {}, {}
        self.ids = itertools.count(1)

    def run(self):
        if self.scenario.mode == "silent":
            self.server.stopping.wait()
            return
        self._recv(wire.INIT_REQUEST_SIZE)
        if self.scenario.mode == "silent_after_init":
            self.sock.sendall(wire.init_reply())
            self.server.stopping.wait()
            return
        self.sock.sendall(wire.init_reply())
        while not self.server.stopping.is_set():
            header = self._recv(wire.MESSAGE_HEADER.size)
            length = wire.MESSAGE_HEADER.unpack(header)[2]
            request = wire.read_request(header, self._recv(length))
            answer = self.handle(request)
            if answer is None:
                return
            self.sock.sendall(answer)

    def _recv(self, size):
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise _Dropped("client closed the connection")
            data += chunk
        return data

    # -- dispatch ----------------------------------------------------------------------------

    def handle(self, request):
        parts = dict((p.kind, p) for p in request.parts)
        kind = request.message_type
        LOG.debug("connection %d: message type %d, parts %s", self.number, kind, sorted(parts))
        self.packet = request.packet
        if kind == wire.AUTHENTICATE:
            return self.authenticate(parts)
        if kind == wire.CONNECT:
            return self.connect(parts)
        if kind == wire.DB_CONNECT_INFO:
            return self.db_connect_info(parts)
        if self.user is None:
            return self.error(5, "not connected", 2)
        if kind in (wire.EXECUTE_DIRECT, wire.PREPARE):
            sql = parts[wire.COMMAND].data.decode("utf-8", "surrogateescape")
            return self.statement(kind, sql, parts)
        if kind == wire.EXECUTE:
            return self.execute(parts)
        if kind == wire.FETCH_NEXT:
            return self.fetch(parts)
        if kind == wire.CLOSE_RESULTSET:
            self.resultsets.pop(int.from_bytes(parts[wire.RESULTSET_ID].data[:8], "little"), None)
            return self.reply([])
        if kind == wire.DROP_STATEMENT:
            self.statements.pop(int.from_bytes(parts[wire.STATEMENT_ID].data[:8], "little"), None)
            return self.reply([])
        if kind in (wire.COMMIT, wire.ROLLBACK):
            return self.reply([], wire.FC_COMMIT if kind == wire.COMMIT else wire.FC_ROLLBACK)
        if kind == wire.DISCONNECT:
            self.sock.sendall(self.reply([], wire.FC_DISCONNECT))
            return None
        LOG.warning("connection %d: message type %d is not implemented", self.number, kind)
        return self.error(7, "feature not supported: message type %d (test server)" % kind)

    def reply(self, parts, function_code=0):
        return wire.reply(self.session_id, self.packet, parts, function_code)

    def error(self, code, message, level=1):
        return wire.reply(self.session_id, self.packet, [wire.error_part(code, message, level)], error=True)

    # -- login -------------------------------------------------------------------------------

    def authenticate(self, parts):
        fields = wire.read_fields(parts[wire.AUTHENTICATION].data)
        methods = auth.offered(fields)
        if auth.METHOD not in methods:
            return self._refuse_login(fields[0], sorted(m.decode("ascii", "replace") for m in methods))
        salt, server_challenge = auth.challenge()
        self.login = (fields[0].decode("utf-8"), salt, server_challenge, methods[auth.METHOD])
        answer = wire.write_fields([auth.METHOD, wire.write_fields([salt, server_challenge])])
        return self.reply([(wire.AUTHENTICATION, 0, 1, answer)])

    def connect(self, parts):
        fields = wire.read_fields(parts[wire.AUTHENTICATION].data)
        if self.login is None or len(fields) < 3:
            return self.error(10, "authentication failed", 2)
        user, salt, server_challenge, client_challenge = self.login
        proof = wire.read_fields(fields[2])[0] if fields[2] else b""
        password = self.scenario.password_of(user)
        ok = self.scenario.users is None or password is not None and hmac.compare_digest(
            proof, auth.expected_proof(password, salt, server_challenge, client_challenge))
        self.server.emit("login", {"user": user, "ok": ok, "conn": self.number, "method": "SCRAMSHA256"})
        if not ok:
            return self.error(10, "authentication failed", 2)
        self.user, self.session_id = user, 0x10000 + self.number
        options = {_CONNECTION_ID: 200000 + self.number, _SYSTEM_ID: self.scenario.sid,
                   _DATABASE_NAME: self.scenario.database, _FULL_VERSION: self.scenario.version,
                   _DATA_FORMAT_VERSION: _DATA_FORMAT, _DATA_FORMAT_VERSION2: _DATA_FORMAT,
                   _DISTRIBUTION_ENABLED: False, _CLIENT_DISTRIBUTION_MODE: 0}
        answer = wire.write_fields([auth.METHOD, b""])
        return self.reply([(wire.AUTHENTICATION, 0, 1, answer),
                           (wire.CONNECT_OPTIONS, 0, len(options), wire.write_options(options))])

    def _refuse_login(self, user, methods):
        self.server.emit("login", {"user": user.decode("utf-8", "replace"), "ok": False, "conn": self.number,
                                   "method": ",".join(methods)})
        return self.error(10, "authentication failed", 2)

    def db_connect_info(self, parts):
        """hdbcli asks where a database is (databaseName=) before it logs in. One server is one
        database: its own name is "connected here", another name is unknown."""
        wanted = wire.read_options(parts[wire.DBCONNECTINFO_PART].data).get(1, b"").decode("utf-8").upper()
        if wanted and wanted != self.scenario.database:
            return self.error(3, "test server: database %s not found (this server is %s)"
                              % (wanted, self.scenario.database), 2)
        options = {4: True}  # ON_CORRECT_DATABASE alone: hdbcli 2.30 calls a reply with host and port a protocol error
        return self.reply([(wire.DBCONNECTINFO_PART, 0, len(options), wire.write_options(options))])

    # -- statements --------------------------------------------------------------------------

    def statement(self, kind, sql, parts):
        record = {"kind": "prepare" if kind == wire.PREPARE else "execute_direct", "sql": sql, "params": [],
                  "user": self.user, "conn": self.number, "database": self.scenario.database, "error": None}
        try:
            plan = self.server.answerer.prepare(sql)
        except SqlError as exc:
            record["error"] = exc.code
            self.server.emit("record", record)
            return self.error(exc.code, exc.message)
        if kind == wire.PREPARE:
            self.server.emit("record", record)
            statement_id = next(self.ids)
            self.statements[statement_id] = plan
            answer = [(wire.STATEMENT_ID, 0, 1, statement_id.to_bytes(8, "little"))]
            if plan.columns:
                answer.append(wire.resultset_metadata(plan.columns))
            answer.append(wire.parameter_metadata(plan.parameters))
            return self.reply(answer, wire.FC_SELECT if plan.columns else 0)
        return self.run_plan(plan, [], record, parts)

    def execute(self, parts):
        plan = self.statements.get(int.from_bytes(parts[wire.STATEMENT_ID].data[:8], "little"))
        if plan is None:
            return self.error(1033, "error while parsing protocol: unknown statement id")
        params = []
        if wire.PARAMETERS in parts and plan.parameters:
            params = wire.read_parameters(parts[wire.PARAMETERS].data, len(plan.parameters))
        record = {"kind": "execute", "sql": plan.sql, "params": params, "user": self.user, "conn": self.number,
                  "database": self.scenario.database, "error": None}
        return self.run_plan(plan, params, record, parts)

    def run_plan(self, plan, params, record, parts):
        """Answer a statement. The record goes out before any fault, so a test sees what was sent
        even when the connection drops or the answer comes late."""
        if self.scenario.drop_on and re.search(self.scenario.drop_on, plan.sql, re.I | re.S):
            self.server.emit("record", record)
            raise _Dropped("drop_on matched: %s" % plan.sql[:60])
        try:
            rows = self.server.answerer.execute(plan, params, self.user)
        except SqlError as exc:
            record["error"] = exc.code
            rows = exc
        self.server.emit("record", record)
        delay = self.scenario.delay_for(plan.sql)
        if delay and self.server.stopping.wait(delay):
            raise _Dropped("server stopping")
        if isinstance(rows, SqlError):
            return self.error(rows.code, rows.message)
        if not plan.columns:
            return self.reply([(12, 0, 1, (0).to_bytes(4, "little"))])  # ROWSAFFECTED 0
        resultset_id = next(self.ids)
        self.resultsets[resultset_id] = (plan, rows)
        answer = [wire.resultset_metadata(plan.columns), (wire.RESULTSET_ID, 0, 1, resultset_id.to_bytes(8, "little"))]
        return self.reply(answer + [self._rows(resultset_id, parts)], wire.FC_SELECT)

    def fetch(self, parts):
        resultset_id = int.from_bytes(parts[wire.RESULTSET_ID].data[:8], "little")
        if resultset_id not in self.resultsets:
            return self.error(1033, "error while parsing protocol: unknown result set id")
        return self.reply([self._rows(resultset_id, parts)], wire.FC_SELECT)

    def _rows(self, resultset_id, parts):
        """The next rows of a result set, as many as the client's FETCHSIZE asks for."""
        plan, rows = self.resultsets[resultset_id]
        size = len(rows)
        if wire.FETCH_SIZE in parts:
            size = max(1, int.from_bytes(parts[wire.FETCH_SIZE].data[:4], "little", signed=True))
        size = min(size, self.scenario.rows_per_fetch or size)
        batch, rest = rows[:size], rows[size:]
        self.resultsets[resultset_id] = (plan, rest)
        data = b"".join(wire.encode_value(code, value) for row in batch
                        for (_name, code, _t, _s), value in zip(plan.columns, row))
        attributes = 0 if rest else wire.LAST_PACKET | wire.RESULTSET_CLOSED | (0 if batch else wire.ROW_NOT_FOUND)
        return (wire.RESULTSET, attributes, len(batch), data)


def _close(sock):
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
