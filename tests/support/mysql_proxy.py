"""A TCP relay on 127.0.0.1 in front of a real MySQL/MariaDB server that fails the connection after
the login, at the first statement that starts with a given text: a network fault of the session
itself, with a real handshake and a real login before it.

    with CuttingProxy(server.port, b"SELECT VERSION()", "drop") as proxy:    # closes both sides
        ...login_port=proxy.port...
    with CuttingProxy(server.port, b"SELECT VERSION()", "stall") as proxy:   # the answer never comes

The client's statements travel as COM_QUERY packets (command byte 0x03 before the SQL text); the
relay looks for them in what the client sends, so TLS and compression must be off.
"""

import select
import socket
import threading

COM_QUERY = b"\x03"


class CuttingProxy:
    def __init__(self, upstream_port, statement, mode):
        assert mode in ("drop", "stall"), mode
        self.upstream = ("127.0.0.1", upstream_port)
        self.marker = COM_QUERY + statement
        self.mode = mode
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.cuts = 0  # sessions cut at the marker
        self._open = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        while not self._stopped.is_set():
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream, timeout=10)
            self._open += [client, server]
            threading.Thread(target=self._relay, args=(client, server), daemon=True).start()

    def _relay(self, client, server):
        seen = b""
        while not self._stopped.is_set():
            ready, _w, _x = select.select([client, server], [], [], 0.2)
            for sock in ready:
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    self._close(client, server)
                    return
                if sock is client:
                    seen = (seen + data)[-4096:]
                    if self.marker in seen:
                        self.cuts += 1
                        if self.mode == "drop":
                            self._close(client, server)
                        else:
                            self._stopped.wait()  # keep both sockets open, forward nothing
                        return
                    server.sendall(data)
                else:
                    client.sendall(data)

    @staticmethod
    def _close(*sockets):
        for sock in sockets:
            try:
                sock.close()
            except OSError:
                pass

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stopped.set()
        self._close(self.listener, *self._open)
