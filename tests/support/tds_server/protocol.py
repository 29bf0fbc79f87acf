"""TDS packet framing, request parsing and reply tokens (the subset FreeTDS 1.x uses with TDS 7.4)."""
import struct
from collections import namedtuple

from .datatypes import ByteReader, DecodeError, read_typeinfo, read_value

PKT_BATCH, PKT_RPC, PKT_REPLY, PKT_ATTENTION, PKT_TRANS, PKT_LOGIN7, PKT_PRELOGIN = 1, 3, 4, 6, 14, 16, 18
STATUS_EOM = 0x01
MAX_MESSAGE = 16 * 1024 * 1024  # a test never needs more; anything bigger is treated as garbage

DONE_MORE, DONE_ERROR, DONE_COUNT, DONE_ATTN = 0x01, 0x02, 0x10, 0x20
TOK_DONE, TOK_DONEPROC, TOK_DONEINPROC = 0xFD, 0xFE, 0xFF
CMD_SELECT = 0xC1
TDS74 = 0x74000004

RPC_PROC_IDS = {1: "sp_cursor", 2: "sp_cursoropen", 3: "sp_cursorprepare", 4: "sp_cursorexecute",
                5: "sp_cursorprepexec", 6: "sp_cursorunprepare", 7: "sp_cursorfetch", 8: "sp_cursoroption",
                9: "sp_cursorclose", 10: "sp_executesql", 11: "sp_prepare", 12: "sp_execute",
                13: "sp_prepexec", 14: "sp_prepexecrpc", 15: "sp_unprepare"}

Login = namedtuple("Login", "tds_version packet_size host user password app server library language database")
Param = namedtuple("Param", "name value output")
RpcCall = namedtuple("RpcCall", "proc params")


class PacketIO:
    """Reads whole messages (reassembling packets and TCP segments) and writes replies as packets."""

    def __init__(self, sock, spid):
        self.sock = sock
        self.spid = spid
        self.packet_size = 4096
        self._buf = bytearray()

    def buffered(self):
        return bool(self._buf)

    def _read_exact(self, n):
        while len(self._buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("client closed the connection")
            self._buf += chunk
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def read_packet(self):
        ptype, status, length = struct.unpack(">BBH", self._read_exact(8)[:4])
        if length < 8:
            raise DecodeError("bad packet length %d" % length)
        return ptype, status, self._read_exact(length - 8)

    def read_message(self):
        ptype, status, payload = self.read_packet()
        parts, total = [payload], len(payload)
        while not status & STATUS_EOM:
            more_type, status, payload = self.read_packet()
            if more_type == PKT_ATTENTION:  # the client gave up while still sending
                return PKT_ATTENTION, b""
            if more_type != ptype:
                raise DecodeError("packet type changed from %d to %d inside a message" % (ptype, more_type))
            total += len(payload)
            if total > MAX_MESSAGE:
                raise DecodeError("message larger than %d bytes" % MAX_MESSAGE)
            parts.append(payload)
        return ptype, b"".join(parts)

    def send(self, payload, ptype=PKT_REPLY):
        room = self.packet_size - 8
        chunks = [payload[i:i + room] for i in range(0, len(payload), room)] or [b""]
        out = bytearray()
        for number, chunk in enumerate(chunks, 1):
            status = STATUS_EOM if number == len(chunks) else 0
            out += struct.pack(">BBHHBB", ptype, status, len(chunk) + 8, self.spid, number % 256, 0) + chunk
        self.sock.sendall(out)


# ---------------------------------------------------------------- requests

def parse_prelogin(data):
    r, options = ByteReader(data), {}
    while r.remaining() and data[r.pos] != 0xFF:
        kind, offset, length = struct.unpack(">BHH", r.take(5))
        options[kind] = data[offset:offset + length]
    return options


def build_prelogin(version):
    major, minor, build = version[0], version[1], version[2]
    options = [(0, struct.pack(">BBHH", major, minor, build, 0)),
               (1, b"\x02"),  # ENCRYPT_NOT_SUP: FreeTDS then talks plain TDS, no TLS needed
               (2, b"\x00"), (3, b""), (4, b"\x00")]
    offset = 5 * len(options) + 1
    head, body = bytearray(), bytearray()
    for kind, value in options:
        head += struct.pack(">BHH", kind, offset + len(body), len(value))
        body += value
    return bytes(head) + b"\xff" + bytes(body)


def _unscramble(raw):
    return bytes((((b ^ 0xA5) << 4) & 0xF0) | ((b ^ 0xA5) >> 4) for b in raw).decode("utf-16-le", "replace")


def parse_login7(data):
    if len(data) < 94:
        raise DecodeError("LOGIN7 too short")
    _length, tds_version, packet_size = struct.unpack_from("<III", data, 0)

    def field(at, scrambled=False):
        offset, nchars = struct.unpack_from("<HH", data, at)
        raw = data[offset:offset + 2 * nchars]
        if len(raw) != 2 * nchars:
            raise DecodeError("LOGIN7 field at %d out of range" % at)
        return _unscramble(raw) if scrambled else raw.decode("utf-16-le", "replace")

    return Login(tds_version, packet_size, field(36), field(40), field(44, True), field(48), field(52),
                 field(60), field(64), field(68))


def _skip_all_headers(r):
    """TDS 7.2+ prefixes batches, RPCs and transaction requests with ALL_HEADERS."""
    total = r.unpack("I")
    if total < 4 or total - 4 > r.remaining():
        raise DecodeError("bad ALL_HEADERS length %d" % total)
    r.take(total - 4)


def parse_batch(data, headers=True):
    r = ByteReader(data)
    if headers:
        _skip_all_headers(r)
    if r.remaining() % 2:
        raise DecodeError("odd-sized SQL batch text")
    return r.take(r.remaining()).decode("utf-16-le", "replace")


def parse_rpc(data, headers=True):
    r, calls = ByteReader(data), []
    if headers:
        _skip_all_headers(r)
    while r.remaining():
        nchars = r.unpack("H")
        if nchars == 0xFFFF:
            proc_id = r.unpack("H")
            proc = RPC_PROC_IDS.get(proc_id, "proc#%d" % proc_id)
        else:
            proc = r.ucs2(nchars)
        r.unpack("H")  # option flags (WITH RECOMPILE, no-metadata): nothing to honour here
        params = []
        while r.remaining():
            if data[r.pos] in (0x80, 0xFE, 0xFF):  # separator before the next RPC of a batch
                r.pos += 1
                break
            name = r.ucs2(r.u8())
            status = r.u8()
            info = read_typeinfo(r)
            params.append(Param(name, read_value(r, info), bool(status & 0x01)))
        calls.append(RpcCall(proc, params))
    return calls


TM_NAMES = {0: "TM_GET_DTC_ADDRESS", 1: "TM_PROPAGATE_XACT", 5: "BEGIN TRANSACTION", 6: "TM_PROMOTE_XACT",
            7: "COMMIT TRANSACTION", 8: "ROLLBACK TRANSACTION", 9: "SAVE TRANSACTION"}


def parse_transaction(data):
    """Return (request type, whether a new transaction starts right after commit/rollback)."""
    r = ByteReader(data)
    _skip_all_headers(r)
    kind = r.unpack("H")
    begin_after = False
    if kind in (7, 8) and r.remaining():
        r.ucs2(r.u8())
        begin_after = bool(r.remaining() and r.u8() & 0x01)
    return kind, begin_after


# ---------------------------------------------------------------- reply tokens

def b_varchar(text):
    raw = text.encode("utf-16-le")
    return bytes([len(raw) // 2]) + raw


def us_varchar(text):
    raw = text.encode("utf-16-le")
    return struct.pack("<H", len(raw) // 2) + raw


def _with_length(token, body):
    return bytes([token]) + struct.pack("<H", len(body)) + body


def message(number, state, severity, text, server, proc="", line=1, error=True):
    body = struct.pack("<iBB", number, state, severity) + us_varchar(text) + b_varchar(server) + \
        b_varchar(proc) + struct.pack("<i", line)
    return _with_length(0xAA if error else 0xAB, body)


def loginack(prog_name, version):
    body = b"\x01" + struct.pack(">I", TDS74) + b_varchar(prog_name) + \
        bytes([version[0] & 0xFF, version[1] & 0xFF, (version[2] >> 8) & 0xFF, version[2] & 0xFF])
    return _with_length(0xAD, body)


def envchange(kind, new, old):
    def enc(v):
        return b_varchar(v) if isinstance(v, str) else bytes([len(v)]) + v
    return _with_length(0xE3, bytes([kind]) + enc(new) + enc(old))


def colmetadata(columns):
    return b"\x81" + struct.pack("<H", len(columns)) + b"".join(c.metadata() for c in columns)


def row(columns, values):
    """ROW, or NBCROW when the row has NULLs (a bitmap instead of per-type NULL markers)."""
    if all(v is not None for v in values):
        return b"\xd1" + b"".join(c.encode(v) for c, v in zip(columns, values))
    bitmap = bytearray((len(columns) + 7) // 8)
    for i, value in enumerate(values):
        if value is None:
            bitmap[i // 8] |= 1 << (i % 8)
    return b"\xd2" + bytes(bitmap) + b"".join(c.encode(v) for c, v in zip(columns, values) if v is not None)


def returnstatus(value):
    return b"\x79" + struct.pack("<i", value)


def returnvalue_int(ordinal, name, value):
    return b"\xac" + struct.pack("<H", ordinal) + b_varchar(name) + b"\x01" + \
        struct.pack("<IH", 0, 0x0001) + b"\x26\x04\x04" + struct.pack("<i", value)


class Reply:
    """Collects tokens; on encode every DONE-family token but the last gets DONE_MORE."""

    def __init__(self):
        self.parts = []

    def add(self, data):
        self.parts.append(data)

    def done(self, token=TOK_DONE, status=0, rowcount=0, curcmd=0):
        self.parts.append([token, status, curcmd, rowcount])

    def encode(self):
        dones = [i for i, p in enumerate(self.parts) if isinstance(p, list)]
        if not dones:
            self.done()
            dones = [len(self.parts) - 1]
        out = bytearray()
        for i, part in enumerate(self.parts):
            if isinstance(part, list):
                token, status, curcmd, rowcount = part
                status = status | DONE_MORE if i != dones[-1] else status & ~DONE_MORE
                part = struct.pack("<BHHQ", token, status, curcmd, rowcount)
            out += part
        return bytes(out)
