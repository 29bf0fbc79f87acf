"""Column encoding for replies and value decoding for RPC parameters.

Only the TDS 7.2+ layouts are produced (FreeTDS is always told TDS 7.4 by LOGINACK), and every
column is sent with a nullable "N" type so that NULL is possible in any column.
"""
import datetime
import decimal
import struct
import uuid

# SQL_Latin1_General_CP1_CI_AS: the collation FreeTDS expects for char data from a default server.
COLLATION = b"\x09\x04\xd0\x00\x34"

_DATE0 = datetime.date(1, 1, 1)
_DATE1900 = datetime.date(1900, 1, 1)
PLP_NULL = 0xFFFFFFFFFFFFFFFF
MAX_VALUE_BYTES = 16 * 1024 * 1024


class DecodeError(ValueError):
    """A request does not parse; the connection that sent it is closed."""


class ByteReader:
    def __init__(self, data, pos=0):
        self.data = data
        self.pos = pos

    def remaining(self):
        return len(self.data) - self.pos

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise DecodeError("truncated message (want %d bytes at %d of %d)" % (n, self.pos, len(self.data)))
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt):
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))[0]

    def u8(self):
        return self.take(1)[0]

    def ucs2(self, nchars):
        return self.take(2 * nchars).decode("utf-16-le", "replace")


# ---------------------------------------------------------------- parameter decoding (client -> server)

_FIXED = {  # type code -> (byte size, kind) for types without a length prefix
    0x1F: (0, "null"), 0x30: (1, "uint"), 0x32: (1, "bit"), 0x34: (2, "int"), 0x38: (4, "int"),
    0x7F: (8, "int"), 0x3B: (4, "float"), 0x3E: (8, "float"), 0x3C: (8, "money"), 0x7A: (4, "money"),
    0x3D: (8, "datetime"), 0x3A: (4, "smalldatetime"),
}
# nullable types with a 1-byte length: code -> kind
_BYTELEN = {0x26: "int", 0x68: "bit", 0x6D: "float", 0x6E: "money", 0x6F: "datetime", 0x24: "guid",
            0x6A: "decimal", 0x6C: "decimal", 0x37: "decimal", 0x3F: "decimal",
            0x2F: "char", 0x27: "char", 0x2D: "binary", 0x25: "binary"}
_USHORTLEN = {0xE7: "nchar", 0xEF: "nchar", 0xA7: "char", 0xAF: "char", 0xA5: "binary", 0xAD: "binary"}
_LONGLEN = {0x63: "nchar", 0x23: "char", 0x22: "binary"}


class TypeInfo:
    def __init__(self, code, kind, size=0, precision=0, scale=0, plp=False):
        self.code, self.kind, self.size = code, kind, size
        self.precision, self.scale, self.plp = precision, scale, plp


def read_typeinfo(r):
    code = r.u8()
    if code in _FIXED:
        size, kind = _FIXED[code]
        return TypeInfo(code, kind, size)
    if code in _BYTELEN:
        ti = TypeInfo(code, _BYTELEN[code], r.u8())
        if ti.kind == "decimal":
            ti.precision, ti.scale = r.u8(), r.u8()
        elif code in (0x2F, 0x27):
            r.take(5)  # legacy char types carry a collation too
        return ti
    if code in (0x28, 0x29, 0x2A, 0x2B):
        kind = {0x28: "date", 0x29: "time", 0x2A: "datetime2", 0x2B: "datetimeoffset"}[code]
        return TypeInfo(code, kind, scale=0 if code == 0x28 else r.u8())
    if code in _USHORTLEN:
        ti = TypeInfo(code, _USHORTLEN[code], r.unpack("H"))
        ti.plp = ti.size == 0xFFFF
        if ti.kind != "binary":
            r.take(5)
        return ti
    if code in _LONGLEN:
        ti = TypeInfo(code, _LONGLEN[code], r.unpack("I"))
        if ti.kind != "binary":
            r.take(5)
        return ti
    if code == 0xF1:  # XML: schema-present flag (FreeTDS never sends a schema)
        if r.u8():
            raise DecodeError("XML parameters with a schema collection are not supported")
        return TypeInfo(code, "nchar", plp=True)
    raise DecodeError("unsupported parameter type 0x%02x" % code)


def _read_plp(r):
    total = r.unpack("Q")
    if total == PLP_NULL:
        return None
    parts, size = [], 0
    while True:
        n = r.unpack("I")
        if n == 0:
            return b"".join(parts)
        size += n
        if size > MAX_VALUE_BYTES:
            raise DecodeError("parameter value too large")
        parts.append(r.take(n))


def read_value(r, ti):
    """Return the Python value of one parameter (None for NULL)."""
    if ti.code in _FIXED:
        raw = r.take(ti.size)
    elif ti.plp:
        raw = _read_plp(r)
    elif ti.code in _USHORTLEN:
        n = r.unpack("H")
        raw = None if n == 0xFFFF else r.take(n)
    elif ti.code in _LONGLEN:
        n = r.unpack("I")
        raw = None if n == 0xFFFFFFFF else r.take(n)
    else:
        n = r.u8()
        raw = None if n == 0 and ti.kind not in ("char", "binary") else r.take(n)
    if raw is None or ti.kind == "null":
        return None
    return _convert(ti, raw)


def _time_units(raw, scale):
    return datetime.timedelta(microseconds=int.from_bytes(raw, "little") * 10 ** 6 // 10 ** scale)


def _convert(ti, raw):
    kind = ti.kind
    if kind == "int":
        return int.from_bytes(raw, "little", signed=len(raw) > 1)
    if kind == "uint":
        return raw[0]
    if kind == "bit":
        return raw[0] != 0
    if kind == "float":
        return struct.unpack("<f" if len(raw) == 4 else "<d", raw)[0]
    if kind == "money":
        if len(raw) == 8:  # high dword first, then low dword
            cents = (struct.unpack("<i", raw[:4])[0] << 32) | struct.unpack("<I", raw[4:])[0]
        else:
            cents = struct.unpack("<i", raw)[0]
        return decimal.Decimal(cents) / 10000
    if kind == "decimal":
        digits = tuple(int(c) for c in str(int.from_bytes(raw[1:], "little")))
        return decimal.Decimal((0 if raw[0] else 1, digits, -ti.scale))  # exact, unlike scaleb()
    if kind == "datetime":
        if len(raw) == 4:
            days, minutes = struct.unpack("<HH", raw)
            return datetime.datetime(1900, 1, 1) + datetime.timedelta(days=days, minutes=minutes)
        days, ticks = struct.unpack("<iI", raw)
        return datetime.datetime(1900, 1, 1) + datetime.timedelta(days=days, milliseconds=ticks * 10 / 3)
    if kind == "smalldatetime":
        days, minutes = struct.unpack("<HH", raw)
        return datetime.datetime(1900, 1, 1) + datetime.timedelta(days=days, minutes=minutes)
    if kind == "date":
        return _DATE0 + datetime.timedelta(days=int.from_bytes(raw, "little"))
    if kind == "time":
        return (datetime.datetime.min + _time_units(raw, ti.scale)).time()
    if kind in ("datetime2", "datetimeoffset"):
        tlen = len(raw) - (5 if kind == "datetimeoffset" else 3)
        day = _DATE0 + datetime.timedelta(days=int.from_bytes(raw[tlen:tlen + 3], "little"))
        value = datetime.datetime.combine(day, datetime.time()) + _time_units(raw[:tlen], ti.scale)
        if kind == "datetimeoffset":  # stored as UTC plus the offset in minutes
            offset = datetime.timedelta(minutes=struct.unpack("<h", raw[-2:])[0])
            value = (value + offset).replace(tzinfo=datetime.timezone(offset))
        return value
    if kind == "guid":
        return str(uuid.UUID(bytes_le=raw))
    if kind == "nchar":
        return raw.decode("utf-16-le", "replace")
    if kind == "char":
        return raw.decode("cp1252", "replace")
    return bytes(raw)


# ---------------------------------------------------------------- result columns (server -> client)

def _to_datetime(value):
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, datetime.date):
        return datetime.datetime.combine(value, datetime.time())
    if isinstance(value, str):
        return datetime.datetime.fromisoformat(value.strip().replace(" ", "T", 1).rstrip("Z"))
    raise TypeError("not a date/time: %r" % (value,))


def _to_bool(value):
    if isinstance(value, str):
        if value.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if value.strip().lower() in ("0", "false", "no", "off"):
            return False
        raise TypeError("not a bit: %r" % (value,))
    return bool(value)


def _plp(data):
    # one chunk is enough: the reply is split into packets independently of PLP chunks
    return struct.pack("<QI", len(data), len(data)) + data + b"\x00\x00\x00\x00" if data else \
        struct.pack("<QI", 0, 0)


class Column:
    """One result column declared in a scenario: name, type name and optional size arguments."""

    INT_SIZES = {"tinyint": 1, "smallint": 2, "int": 4, "bigint": 8}
    TYPES = ("nvarchar", "varchar", "tinyint", "smallint", "int", "bigint", "bit", "float", "real",
             "datetime", "datetime2", "date", "decimal", "numeric", "varbinary", "uniqueidentifier")

    def __init__(self, name, type, length=None, precision=None, scale=None):
        self.name = str(name)
        self.type = str(type).lower()
        if self.type not in self.TYPES:
            raise ValueError("column %r: unknown type %r (known: %s)" % (name, type, ", ".join(self.TYPES)))
        if self.type in ("nvarchar", "varchar", "varbinary"):
            default = 4000 if self.type == "nvarchar" else 8000
            self.length = -1 if str(length).lower() == "max" else int(length or default)
            if not (self.length == -1 or 0 < self.length <= default):
                raise ValueError("column %r: length must be 1..%d or max" % (name, default))
        self.precision = int(precision if precision is not None else 18)
        if self.type == "datetime2":
            self.scale = int(scale if scale is not None else 7)
            if not 0 <= self.scale <= 7:
                raise ValueError("column %r: datetime2 scale must be 0..7" % (name,))
        else:
            self.scale = int(scale or 0)
        if self.type in ("decimal", "numeric") and not (1 <= self.precision <= 38 and 0 <= self.scale <= self.precision):
            raise ValueError("column %r: bad precision/scale %s/%s" % (name, precision, scale))

    @classmethod
    def from_spec(cls, spec):
        if isinstance(spec, Column):
            return spec
        if isinstance(spec, str):  # "name" alone means nvarchar
            return cls(spec, "nvarchar")
        spec = dict(spec)
        return cls(spec.pop("name"), spec.pop("type", "nvarchar"), **spec)

    def metadata(self):
        """UserType, Flags (nullable), TYPE_INFO and name: one column of a COLMETADATA token."""
        t = self.type
        if t in ("nvarchar", "varchar", "varbinary"):
            code = {"nvarchar": 0xE7, "varchar": 0xA7, "varbinary": 0xA5}[t]
            size = 0xFFFF if self.length == -1 else self.length * (2 if t == "nvarchar" else 1)
            info = struct.pack("<BH", code, size) + (b"" if t == "varbinary" else COLLATION)
        elif t in self.INT_SIZES:
            info = bytes([0x26, self.INT_SIZES[t]])
        elif t == "bit":
            info = b"\x68\x01"
        elif t in ("float", "real"):
            info = bytes([0x6D, 8 if t == "float" else 4])
        elif t == "datetime":
            info = b"\x6f\x08"
        elif t == "datetime2":
            info = bytes([0x2A, self.scale])
        elif t == "date":
            info = b"\x28"
        elif t in ("decimal", "numeric"):
            info = bytes([0x6A if t == "decimal" else 0x6C, 17, self.precision, self.scale])
        else:  # uniqueidentifier
            info = b"\x24\x10"
        name = self.name.encode("utf-16-le")
        return struct.pack("<IH", 0, 0x0001 | 0x0008) + info + bytes([len(name) // 2]) + name

    def null(self):
        if self.type in ("nvarchar", "varchar", "varbinary"):
            return struct.pack("<Q", PLP_NULL) if self.length == -1 else b"\xff\xff"
        return b"\x00"

    def encode(self, value):
        """Bytes of one non-NULL value in a ROW/NBCROW token."""
        t = self.type
        if t in ("nvarchar", "varchar", "varbinary"):
            if t == "varbinary":
                data = bytes(value) if isinstance(value, (bytes, bytearray)) else bytes.fromhex(str(value))
            else:
                text = value if isinstance(value, str) else _stringify(value)
                data = text.encode("utf-16-le" if t == "nvarchar" else "cp1252")
            if self.length == -1:
                return _plp(data)
            limit = self.length * (2 if t == "nvarchar" else 1)
            if len(data) > limit:
                raise ValueError("value too long for %s(%d) column %r" % (t, self.length, self.name))
            return struct.pack("<H", len(data)) + data
        if t in self.INT_SIZES:
            size = self.INT_SIZES[t]
            if isinstance(value, float) and not value.is_integer():
                raise TypeError("column %r: not an integer: %r" % (self.name, value))
            return bytes([size]) + int(value).to_bytes(size, "little", signed=t != "tinyint")
        if t == "bit":
            return b"\x01" + (b"\x01" if _to_bool(value) else b"\x00")
        if t == "float":
            return b"\x08" + struct.pack("<d", float(value))
        if t == "real":
            return b"\x04" + struct.pack("<f", float(value))
        if t == "datetime":
            dt = _to_datetime(value)
            midnight = dt.replace(hour=0, minute=0, second=0, microsecond=0)
            ticks = round((dt - midnight).total_seconds() * 300)
            days = (dt.date() - _DATE1900).days
            if ticks >= 300 * 86400:
                days, ticks = days + 1, 0
            return b"\x08" + struct.pack("<iI", days, ticks)
        if t == "date":
            day = _to_datetime(value).date()
            return b"\x03" + (day - _DATE0).days.to_bytes(3, "little")
        if t == "datetime2":
            dt = _to_datetime(value)
            micros = (dt.hour * 3600 + dt.minute * 60 + dt.second) * 10 ** 6 + dt.microsecond
            units = micros * 10 ** self.scale // 10 ** 6
            tlen = 3 if self.scale <= 2 else 4 if self.scale <= 4 else 5
            return bytes([tlen + 3]) + units.to_bytes(tlen, "little") + (dt.date() - _DATE0).days.to_bytes(3, "little")
        if t in ("decimal", "numeric"):
            d = decimal.Decimal(str(value)) if isinstance(value, float) else decimal.Decimal(value)
            with decimal.localcontext() as exact:  # the default 28-digit context would round decimal(38)
                exact.prec = 100
                scaled = int(d.scaleb(self.scale).to_integral_value(decimal.ROUND_HALF_EVEN))
            if abs(scaled) >= 10 ** self.precision:
                raise ValueError("column %r: %s does not fit decimal(%d,%d)" % (self.name, value, self.precision, self.scale))
            size = 4 if self.precision <= 9 else 8 if self.precision <= 19 else 12 if self.precision <= 28 else 16
            return bytes([size + 1, 1 if scaled >= 0 else 0]) + abs(scaled).to_bytes(size, "little")
        return b"\x10" + uuid.UUID(str(value)).bytes_le


def _stringify(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)
