"""Threaded TDS server: one accept thread, one thread per client connection."""
import datetime
import decimal
import logging
import select
import socket
import struct
import threading
import time

from . import protocol as p
from .datatypes import COLLATION, DecodeError
from .scenario import Scenario

log = logging.getLogger("tds_server")


class ScenarioViolation(AssertionError):
    """A scenario answered, or a statement asked, what the documented SQL Server would not."""


class _Dropped(Exception):
    """The scenario asks to drop the connection without replying."""


class _Cancelled(Exception):
    """The client sent ATTENTION while the reply was being delayed."""


def jsonable(value):
    """Make record values JSON-friendly (datetimes as ISO text, decimals as text, bytes as hex)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    return value


class TdsServer:
    def __init__(self, scenario=None, host="127.0.0.1", port=0, on_record=None):
        self.scenario = Scenario.load(scenario)
        self.host, self.port = host, port
        self.on_record = on_record
        self.records = []   # statements, in arrival order over all connections
        self.logins = []    # every LOGIN7 seen, accepted or not
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._clients = set()
        self._listener = None
        self._thread = None
        self._next_id = 0

    # -- lifecycle
    def start(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(64)
        listener.settimeout(0.1)  # lets the accept loop notice stop() without relying on close() waking accept()
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, name="tds-accept-%d" % self.port, daemon=True)
        self._thread.start()
        log.info("listening on %s:%d", self.host, self.port)
        return self

    def stop(self, timeout=5.0, check=True):
        self._stopping.set()
        if self._listener is not None:
            self._listener.close()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            client.close()
        deadline = time.monotonic() + timeout
        for client in clients:
            client.join(max(0.0, deadline - time.monotonic()))
        if check and self.violations:
            raise ScenarioViolation("the TDS test server answered what SQL Server would not:\n- " +
                                    "\n- ".join(self.violations))

    @property
    def violations(self):
        """What the scenario or the statements did that the documented SQL Server would not (fidelity.py)."""
        return list(self.scenario.fidelity.violations)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop(check=exc[0] is None)  # an exception already under way is not masked

    # -- helpers for tests
    def statements(self, include_driver=False):
        """SQL texts received so far, without the driver's own chatter unless asked for."""
        with self._lock:
            return [r["sql"] for r in self.records if include_driver or not r["driver"]]

    def clear_records(self):
        with self._lock:
            del self.records[:]

    # -- internals
    def _accept_loop(self):
        while not self._stopping.is_set():
            try:
                sock, _addr = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            sock.setblocking(True)
            with self._lock:
                self._next_id += 1
                client = _Client(self, sock, self._next_id)
                self._clients.add(client)
            client.start()

    def _forget(self, client):
        with self._lock:
            self._clients.discard(client)

    def _record(self, target, record):
        with self._lock:
            target.append(record)
            if self.on_record is not None and target is self.records:
                self.on_record(record)


class _Client(threading.Thread):
    def __init__(self, server, sock, conn_id):
        super().__init__(name="tds-conn-%d" % conn_id, daemon=True)
        self.server, self.sock, self.id = server, sock, conn_id
        self.scenario = server.scenario
        self.io = p.PacketIO(sock, spid=50 + conn_id)
        self.user, self.database = None, "master"
        self.prepared, self.next_handle = {}, 1
        self.transaction, self.transactions_begun = None, 0

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes this client's thread if it is blocked in recv()
        except OSError:
            pass
        self.sock.close()

    def run(self):
        try:
            self._serve()
        except _Dropped as exc:
            log.info("connection %d: dropped on %r", self.id, str(exc)[:80])
        except (EOFError, OSError) as exc:
            log.debug("connection %d: closed (%s)", self.id, exc)
        except DecodeError as exc:
            log.warning("connection %d: closing after malformed request: %s", self.id, exc)
        except Exception:  # malformed input must only cost this one connection
            log.exception("connection %d: closing after unexpected input", self.id)
        finally:
            self.close()
            self.server._forget(self)

    def _drain(self):
        while self.sock.recv(65536):
            pass

    def _serve(self):
        mode = self.scenario.mode
        if mode == "close_on_connect":
            return
        if mode == "silent":
            return self._drain()
        ptype, data = self.io.read_message()
        if ptype == p.PKT_PRELOGIN:
            self.io.send(p.build_prelogin(self.scenario.server.version_tuple))
            if mode == "silent_after_prelogin":
                return self._drain()
            ptype, data = self.io.read_message()
        if ptype != p.PKT_LOGIN7:
            raise DecodeError("expected LOGIN7, got packet type %d" % ptype)
        if not self._login(p.parse_login7(data)):
            return self._drain()
        handlers = {p.PKT_BATCH: self._batch, p.PKT_RPC: self._rpc, p.PKT_TRANS: self._transaction}
        while True:
            ptype, data = self.io.read_message()
            if ptype == p.PKT_ATTENTION:  # cancel after the reply was already complete
                self._send_attention_ack()
            elif ptype in handlers:
                reply = p.Reply()
                try:
                    handlers[ptype](reply, data)
                except _Cancelled:
                    self._send_attention_ack()
                    continue
                self.io.send(reply.encode())
            else:
                raise DecodeError("unexpected packet type %d" % ptype)

    def _send_attention_ack(self):
        reply = p.Reply()
        reply.done(p.TOK_DONE, p.DONE_ATTN)
        self.io.send(reply.encode())

    def _login(self, login):
        info = self.scenario.server
        self.user, self.database = login.user, login.database or "master"
        error = self.scenario.login_error(login.user, login.password)
        self.server._record(self.server.logins, {
            "conn": self.id, "user": login.user, "password": login.password, "database": self.database,
            "app": login.app, "host": login.host, "library": login.library, "server": login.server,
            "tds_version": "%08x" % login.tds_version, "ok": error is None})
        reply = p.Reply()
        if error:
            reply.add(p.message(error["number"], error["state"], error["severity"], error["message"], info.server_name))
            reply.done(p.TOK_DONE, p.DONE_ERROR)
            self.io.send(reply.encode())
            return False
        size = min(max(login.packet_size or 4096, 512), 32767)
        reply.add(p.envchange(1, self.database, "master"))
        reply.add(p.message(5701, 2, 0, "Changed database context to '%s'." % self.database, info.server_name, error=False))
        reply.add(p.envchange(7, COLLATION, b""))
        reply.add(p.envchange(2, "us_english", ""))
        reply.add(p.message(5703, 1, 0, "Changed language setting to us_english.", info.server_name, error=False))
        reply.add(p.loginack("Microsoft SQL Server", info.version_tuple))
        reply.add(p.envchange(4, str(size), "4096"))
        reply.done()
        self.io.send(reply.encode())
        self.io.packet_size = size
        return True

    def _wait(self, seconds):
        """Sleep for a delayed answer; raise _Cancelled if the client sends ATTENTION meanwhile."""
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if self.server._stopping.is_set():
                raise EOFError("server stopping")
            if not self.io.buffered() and not select.select([self.sock], [], [], min(remaining, 0.05))[0]:
                continue
            ptype, _payload = self.io.read_message()
            if ptype == p.PKT_ATTENTION:
                raise _Cancelled()
            raise DecodeError("packet type %d while a request is in progress" % ptype)

    # -- statements
    def _execute(self, reply, kind, sql, params, proc=None):
        ctx = {"spid": self.io.spid, "trancount": 1 if self.transaction else 0, "database": self.database,
               "user": self.user}
        rule = self.scenario.answer(sql, params, ctx)
        self.server._record(self.server.records, {
            "kind": kind, "sql": sql, "params": list(params), "proc": proc, "login": self.user,
            "database": self.database, "conn": self.id, "driver": rule.driver})
        drop_on = self.scenario.drop_on
        if rule.drop or (drop_on is not None and not rule.driver and drop_on.search(sql)):
            raise _Dropped(sql)
        delay = rule.delay or (0 if rule.driver else self.scenario.delay)
        if delay:
            self._wait(delay)
        done = p.TOK_DONE if kind == "batch" else p.TOK_DONEINPROC
        for result in rule.results:
            reply.add(p.colmetadata(result.columns))
            for row in result.encoded:
                reply.add(row)
            reply.done(done, p.DONE_COUNT, len(result.encoded), p.CMD_SELECT)
        if rule.error:
            e = rule.error
            reply.add(p.message(e["number"], e["state"], e["severity"], e["message"], self.scenario.server.server_name,
                                proc or ""))
            reply.done(done, p.DONE_ERROR)
        elif not rule.results:
            reply.done(done, p.DONE_COUNT if rule.rowcount is not None else 0, int(rule.rowcount or 0))
        return rule

    def _batch(self, reply, data):
        self._execute(reply, "batch", p.parse_batch(data), [])

    def _rpc(self, reply, data):
        for call in p.parse_rpc(data):
            name = call.proc.lower().split(".")[-1]
            values = [param.value for param in call.params]
            handle = None
            rule = None
            if name in ("sp_prepexec", "sp_prepare") and len(values) >= 3:
                handle, self.next_handle = self.next_handle, self.next_handle + 1
                self.prepared[handle] = str(values[2])
                if name == "sp_prepexec":
                    rule = self._execute(reply, "rpc", str(values[2]), values[3:], call.proc)
                else:  # preparing runs nothing; recorded for completeness, flagged as driver chatter
                    self.server._record(self.server.records, {
                        "kind": "rpc", "sql": str(values[2]), "params": [], "proc": call.proc, "login": self.user,
                        "database": self.database, "conn": self.id, "driver": True})
            elif name == "sp_executesql" and values:
                rule = self._execute(reply, "rpc", str(values[0]), values[2:], call.proc)
            elif name == "sp_execute" and values:
                sql = self.prepared.get(values[0])
                if sql is None:
                    reply.add(p.message(8179, 5, 16, "Could not find prepared statement with handle %s." % values[0],
                                        self.scenario.server.server_name, call.proc))
                    reply.done(p.TOK_DONEINPROC, p.DONE_ERROR)
                else:
                    rule = self._execute(reply, "rpc", sql, values[1:], call.proc)
            elif name == "sp_unprepare":
                self.prepared.pop(values[0] if values else None, None)
                self.server._record(self.server.records, {
                    "kind": "rpc", "sql": "", "params": values, "proc": call.proc, "login": self.user,
                    "database": self.database, "conn": self.id, "driver": True})
            else:  # a stored procedure called by name, e.g. {call dbo.proc(?)}
                rule = self._execute(reply, "rpc", "EXEC " + call.proc, values, call.proc)
            reply.add(p.returnstatus(0))
            if handle is not None:
                reply.add(p.returnvalue_int(0, call.params[0].name, handle))
            reply.done(p.TOK_DONEPROC, p.DONE_ERROR if rule is not None and rule.error else 0)

    def _transaction(self, reply, data):
        kind, begin_after = p.parse_transaction(data)
        self.server._record(self.server.records, {
            "kind": "transaction", "sql": p.TM_NAMES.get(kind, "TM#%d" % kind), "params": [], "proc": None,
            "login": self.user, "database": self.database, "conn": self.id, "driver": True})
        if kind in (7, 8) and self.transaction:
            reply.add(p.envchange(9 if kind == 7 else 10, b"", self.transaction))
            self.transaction = None
        if kind == 5 or (kind in (7, 8) and begin_after):
            self.transactions_begun += 1
            self.transaction = struct.pack("<Q", self.id << 32 | self.transactions_begun)
            reply.add(p.envchange(8, self.transaction, b""))
        reply.done()
