"""Byte layouts of the SAP HANA SQL Command Network Protocol (little endian throughout), the subset
hdbcli uses: the init handshake, message / segment / part headers, the parts' contents and the
typed values of result rows and bound parameters."""
import datetime
import struct
from collections import namedtuple

MESSAGE_HEADER = struct.Struct("<qiIIh10x")      # session id, packet count, varpart length/size, segments
SEGMENT_HEADER = struct.Struct("<iihhb")         # length, offset, parts, number, kind (+ 11 kind-specific bytes)
PART_HEADER = struct.Struct("<bbhiii")           # kind, attributes, arguments, big arguments, length, size

# Message types (request segment) and function codes (reply segment).
EXECUTE_DIRECT, PREPARE, EXECUTE = 2, 3, 13
AUTHENTICATE, CONNECT, COMMIT, ROLLBACK = 65, 66, 67, 68
CLOSE_RESULTSET, DROP_STATEMENT, FETCH_NEXT, DISCONNECT, DB_CONNECT_INFO = 69, 70, 71, 77, 82
FC_SELECT, FC_COMMIT, FC_ROLLBACK, FC_DISCONNECT = 5, 11, 12, 18

# Part kinds.
COMMAND, RESULTSET, ERROR, STATEMENT_ID, RESULTSET_ID = 3, 5, 6, 10, 13
PARAMETERS, AUTHENTICATION, CONNECT_OPTIONS, FETCH_SIZE = 32, 33, 42, 45
PARAMETER_METADATA, RESULTSET_METADATA, DBCONNECTINFO_PART = 47, 48, 67

LAST_PACKET, ROW_NOT_FOUND, RESULTSET_CLOSED = 0x01, 0x08, 0x10
SEGMENT_REPLY, SEGMENT_ERROR = 2, 5

# Type codes.
TINYINT, SMALLINT, INTEGER, BIGINT, DECIMAL, REAL, DOUBLE = 1, 2, 3, 4, 5, 6, 7
CHAR, VARCHAR, NCHAR, NVARCHAR, BINARY, VARBINARY = 8, 9, 10, 11, 12, 13
DATE, TIME, TIMESTAMP, BOOLEAN, STRING, NSTRING, BSTRING = 14, 15, 16, 28, 29, 30, 33
LONGDATE, SECONDDATE, DAYDATE, SECONDTIME = 61, 62, 63, 64
TYPE_NAMES = {"TINYINT": TINYINT, "SMALLINT": SMALLINT, "INTEGER": INTEGER, "BIGINT": BIGINT,
              "DOUBLE": DOUBLE, "REAL": REAL, "VARCHAR": VARCHAR, "NVARCHAR": NVARCHAR,
              "TIMESTAMP": LONGDATE, "BOOLEAN": BOOLEAN, "VARBINARY": VARBINARY}
_STRINGS = (CHAR, VARCHAR, NCHAR, NVARCHAR, STRING, NSTRING)
_BINARIES = (BINARY, VARBINARY, BSTRING)
_LONGDATE_NULL = 3155380704000000001
# HANA counts days from 0001-01-01 of the Julian calendar (day number = Julian day - 1721423): for a
# Gregorian date after 1582 that is its proleptic ordinal + 2. Earlier dates are not supported here.
_DAY_SHIFT = 2

Part = namedtuple("Part", "kind attributes count data")
Request = namedtuple("Request", "session packet message_type parts")


class ProtocolError(Exception):
    pass


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, size):
        if self.pos + size > len(self.data):
            raise ProtocolError("truncated: %d bytes wanted at %d of %d" % (size, self.pos, len(self.data)))
        chunk = self.data[self.pos:self.pos + size]
        self.pos += size
        return chunk

    def unpack(self, fmt):
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))[0]

    def length_indicated(self):
        """A value with its length indicator (1 byte up to 245, 246 + int16, 247 + int32; 255 NULL)."""
        first = self.unpack("B")
        if first == 255:
            return None
        if first <= 245:
            return self.take(first)
        return self.take(self.unpack("h" if first == 246 else "i"))


# -- init and framing ---------------------------------------------------------------------------

INIT_REQUEST_SIZE = 14


def init_reply(major=4, minor=20):
    """Product version, protocol version, 2 reserved bytes."""
    return struct.pack("<bhbh2x", major, minor, 4, 1)


def read_request(header, body):
    session, packet, length, _size, segments = MESSAGE_HEADER.unpack(header)
    if segments != 1:
        raise ProtocolError("%d segments in one message: only single-segment requests are implemented" % segments)
    reader = Reader(body)
    _length, _offset, count, _number, kind = SEGMENT_HEADER.unpack(reader.take(SEGMENT_HEADER.size))
    message_type = reader.unpack("b")
    reader.take(10)  # commit flag, command options, reserved
    parts = []
    for _part in range(count):
        pkind, attributes, arguments, big, plength, _psize = PART_HEADER.unpack(reader.take(PART_HEADER.size))
        parts.append(Part(pkind, attributes, big if arguments == -1 else arguments, reader.take(plength)))
        reader.take(-plength % 8)
    return Request(session, packet, message_type, parts)


def reply(session, packet, parts, function_code=0, error=False):
    """One message of one reply (or error) segment holding `parts` [(kind, attributes, count, bytes)]."""
    body = b""
    for kind, attributes, count, data in parts:
        small, big = (count, 0) if count < 32767 else (-1, count)
        body += PART_HEADER.pack(kind, attributes, small, big, len(data), len(data) + -len(data) % 8)
        body += data + b"\0" * (-len(data) % 8)
    segment = SEGMENT_HEADER.pack(SEGMENT_HEADER.size + 11 + len(body), 0, len(parts), 1,
                                  SEGMENT_ERROR if error else SEGMENT_REPLY)
    segment += struct.pack("<bh8x", 0, function_code) + body
    return MESSAGE_HEADER.pack(session, packet, len(segment), len(segment), 1) + segment


def error_part(code, message, level=1, sqlstate=b"HY000"):
    text = message.encode("utf-8")
    data = struct.pack("<iiib", code, 0, len(text), level) + sqlstate + text  # position 0: unknown
    return (ERROR, 0, 1, data + b"\0" * (-len(data) % 8))


# -- authentication fields ------------------------------------------------------------------------

def read_fields(data):
    """The field list of an AUTHENTICATION part: int16 count, each field 1-byte length (<= 250) or
    255 + big-endian uint16."""
    reader = Reader(data)
    fields = []
    for _field in range(reader.unpack("h")):
        size = reader.unpack("B")
        if size == 255:
            size = struct.unpack(">H", reader.take(2))[0]
        fields.append(reader.take(size))
    return fields


def write_fields(fields):
    out = struct.pack("<h", len(fields))
    for field in fields:
        out += (bytes([len(field)]) if len(field) <= 250 else b"\xff" + struct.pack(">H", len(field))) + field
    return out


# -- option parts (CONNECTOPTIONS, DBCONNECTINFO) -------------------------------------------------

def read_options(data):
    reader, options = Reader(data), {}
    while reader.pos < len(reader.data):
        key, code = reader.unpack("b"), reader.unpack("b")
        if code == INTEGER:
            options[key] = reader.unpack("i")
        elif code == BIGINT:
            options[key] = reader.unpack("q")
        elif code in (BOOLEAN, TINYINT):
            options[key] = reader.unpack("b")
        elif code == DOUBLE:
            options[key] = reader.unpack("d")
        elif code in (STRING, BSTRING):
            options[key] = reader.take(reader.unpack("h"))
        else:
            raise ProtocolError("option %d has type code %d" % (key, code))
    return options


def write_options(options):
    """{key: value}: bool -> BOOLEAN, int -> INTEGER, str -> STRING."""
    out = b""
    for key, value in options.items():
        if isinstance(value, bool):
            out += struct.pack("<bbb", key, BOOLEAN, value)
        elif isinstance(value, int):
            out += struct.pack("<bbi", key, INTEGER, value)
        else:
            text = value.encode("utf-8")
            out += struct.pack("<bbh", key, STRING, len(text)) + text
    return out


# -- metadata -----------------------------------------------------------------------------------

class Names:
    """The name block after result or parameter metadata: length-prefixed strings at offsets."""

    def __init__(self):
        self.data, self.offsets = b"", {}

    def offset(self, name):
        if name is None:
            return 0xFFFFFFFF
        if name not in self.offsets:
            self.offsets[name] = len(self.data)
            raw = name.encode("utf-8")
            self.data += bytes([len(raw)]) + raw
        return self.offsets[name]


def resultset_metadata(columns):
    """columns: [(name, type code, table, schema)]."""
    names, out = Names(), b""
    for name, code, table, schema in columns:
        precision, scale = _precision(code)
        out += struct.pack("<bbhh2xIIII", 2, code, scale, precision, names.offset(table), names.offset(schema),
                           names.offset(name), names.offset(name))
    return (RESULTSET_METADATA, 0, len(columns), out + names.data)


def parameter_metadata(codes):
    names, out = Names(), b""
    for code in codes:
        precision, scale = _precision(code)
        out += struct.pack("<bbbxIhh4x", 2, code, 1, names.offset(None), precision, scale)
    return (PARAMETER_METADATA, 0, len(codes), out + names.data)


def _precision(code):
    if code in _STRINGS:
        return 5000, 0
    if code == LONGDATE:
        return 27, 7
    return 0, 32767 if code in (DOUBLE, REAL) else 0


# -- values -------------------------------------------------------------------------------------

def encode_value(code, value):
    """One result-row value of type `code`."""
    if code in _STRINGS or code in _BINARIES:
        if value is None:
            return b"\xff"
        raw = value if isinstance(value, bytes) else str(value).encode("utf-8")
        if len(raw) <= 245:
            return bytes([len(raw)]) + raw
        return (b"\xf6" + struct.pack("<h", len(raw)) if len(raw) < 32768 else b"\xf7" + struct.pack("<i", len(raw))) + raw
    if code in (TINYINT, SMALLINT, INTEGER, BIGINT):
        if value is None:
            return b"\x00"
        return b"\x01" + struct.pack({TINYINT: "<B", SMALLINT: "<h", INTEGER: "<i", BIGINT: "<q"}[code], int(value))
    if code == DOUBLE:
        return b"\xff" * 8 if value is None else struct.pack("<d", float(value))
    if code == BOOLEAN:
        return b"\x01" if value is None else (b"\x02" if value else b"\x00")
    if code == LONGDATE:
        if value is None:
            return struct.pack("<q", _LONGDATE_NULL)
        moment = to_datetime(value)
        days = moment.toordinal() + _DAY_SHIFT - 1
        seconds = days * 86400 + moment.hour * 3600 + moment.minute * 60 + moment.second
        return struct.pack("<q", seconds * 10000000 + moment.microsecond * 10 + 1)
    raise ProtocolError("no encoding for type code %d" % code)


def to_datetime(value):
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day)
    return datetime.datetime.fromisoformat(str(value).replace("Z", ""))


def _from_days(days):
    """A datetime from days (with fraction) since HANA's day 1."""
    whole = int(days)
    start = datetime.datetime.fromordinal(whole - _DAY_SHIFT + 1)
    return start + datetime.timedelta(microseconds=round((days - whole) * 86400000000))


def read_parameters(data, count):
    """The bound values of one row of a PARAMETERS part: each a type code (high bit: NULL) and a value."""
    reader, values = Reader(data), []
    for _value in range(count):
        code = reader.unpack("B")
        if code & 0x80:
            values.append(None)
            continue
        values.append(_decode_parameter(reader, code))
    return values


def _decode_parameter(reader, code):
    fixed = {TINYINT: "B", SMALLINT: "h", INTEGER: "i", BIGINT: "q", DOUBLE: "d", REAL: "f"}
    if code in fixed:
        return reader.unpack(fixed[code])
    if code == BOOLEAN:
        return reader.unpack("B") == 2
    if code in _STRINGS:
        raw = reader.length_indicated()
        return None if raw is None else raw.decode("utf-8", "surrogateescape")
    if code in _BINARIES:
        return reader.length_indicated()
    if code == LONGDATE:
        return _from_days((reader.unpack("q") - 1) / 864000000000.0)
    if code == SECONDDATE:
        return _from_days((reader.unpack("q") - 1) / 86400.0)
    if code == DAYDATE:
        return _from_days(reader.unpack("i") - 1).date()
    raise ProtocolError("bound parameter of type code %d is not implemented" % code)
