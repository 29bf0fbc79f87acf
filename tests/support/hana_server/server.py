"""HanaServer: the test server run in a child process of the test.

hdbcli keeps the GIL during some network calls (dropping a prepared statement when a cursor is
garbage-collected waits for the reply with the GIL held), so a server thread in the test's own
process could not answer and the client would time out. The child process owns the listening
socket and sends every record, login and violation back over a pipe; the parent keeps them in
lists a test reads at any time."""
import datetime
import json
import multiprocessing
import socket
import threading

from .core import Core
from .scenario import Scenario


class ScenarioViolation(AssertionError):
    """The scenario or a statement is one real HANA would reject."""


class HanaServer:
    def __init__(self, scenario=None, host="127.0.0.1", port=0, on_record=None, record_file=None):
        self.scenario = scenario if isinstance(scenario, Scenario) else Scenario.load(scenario)
        self.host, self.port = host, port
        self.on_record = on_record
        self.record_file = record_file
        self._records, self._logins, self._violations = [], [], []
        self._lock = threading.Lock()
        self._synced = threading.Condition(self._lock)
        self._syncs = 0
        self._listener = self._process = self._pipe = self._reader = None
        self._stopped = False

    def start(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        self.port = listener.getsockname()[1]
        self._listener = listener
        if self.scenario.mode == "refuse":
            return self  # bound, never listening: connecting is refused, and no one else takes the port
        listener.listen(16)
        ours, theirs = multiprocessing.Pipe()
        context = multiprocessing.get_context("fork")
        self._process = context.Process(target=_child, args=(self.scenario, listener, theirs, self.record_file),
                                        daemon=True)
        self._process.start()
        theirs.close()
        listener.close()  # the child's now
        self._listener, self._pipe = None, ours
        if ours.recv() != ("ready", None):
            raise RuntimeError("hana_server: the server process did not start")
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def stop(self, check=True):
        if self._stopped:
            return  # stopped already (a test's own stop() inside the with block)
        self._stopped = True
        if self._listener is not None:
            self._listener.close()
        if self._process is not None:
            self._pipe.send("stop")
            self._reader.join(5)
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()
        if check and self.violations:
            raise ScenarioViolation("; ".join(self.violations))

    def __enter__(self):
        return self.start()

    def __exit__(self, kind, value, traceback):
        self.stop(check=kind is None)

    @property
    def records(self):
        """Every statement that arrived, in order (see README.md)."""
        return self._sync(self._records)

    @property
    def logins(self):
        return self._sync(self._logins)

    @property
    def violations(self):
        return self._sync(self._violations)

    def statements(self):
        """The SQL of every execution (direct or prepared), in arrival order."""
        return [r["sql"] for r in self.records if r["kind"] != "prepare"]

    def clear_records(self):
        self._sync(self._records)
        with self._lock:
            del self._records[:]

    def _sync(self, items):
        """Everything the server process sent before now has arrived: it answers a sync after what it
        emitted already, and a client's reply is sent after the record of its request."""
        if self._process is not None and self._process.is_alive() and not self._stopped:
            with self._lock:
                wanted = self._syncs + 1
                self._pipe.send("sync")
                self._synced.wait_for(lambda: self._syncs >= wanted or not self._reader.is_alive(), 5)
        with self._lock:
            return list(items)

    def _read(self):
        while True:
            try:
                kind, payload = self._pipe.recv()
            except (EOFError, OSError):
                return
            if kind == "done":
                return
            with self._lock:
                if kind == "synced":
                    self._syncs += 1
                    self._synced.notify_all()
                    continue
                {"record": self._records, "login": self._logins, "violation": self._violations}[kind].append(payload)
                if kind == "record" and self.on_record is not None:
                    self.on_record(payload)


def _child(scenario, listener, pipe, record_file):
    lock = threading.Lock()
    journal = open(record_file, "a", encoding="utf-8") if record_file else None

    def emit(kind, payload):
        with lock:
            if kind == "record" and journal is not None:
                # written before the client gets its answer, so a test can read the file right after
                journal.write(json.dumps(payload, default=_text) + "\n")
                journal.flush()
            pipe.send((kind, payload))
    core = Core(scenario, listener, emit)
    threading.Thread(target=_await_stop, args=(pipe, core, emit), daemon=True).start()
    emit("ready", None)
    core.run()
    emit("done", None)
    if journal is not None:
        journal.close()


def _text(value):
    """JSON for bound values json cannot write: timestamps as ISO text, bytes as hex."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError("not JSON serializable: %r" % (value,))


def _await_stop(pipe, core, emit):
    while True:
        try:
            request = pipe.recv()
        except (EOFError, OSError):
            break  # the test's process went away: stop as well
        if request != "sync":
            break
        emit("synced", None)
    core.stop()
