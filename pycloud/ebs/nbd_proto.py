"""NBD wire constants and layouts (the NBD protocol, newstyle fixed handshake, simple replies),
shared by the server (``nbd.py``) and the client (``nbd_client.py``)."""

from __future__ import annotations

import errno
import struct

# -- handshake ------------------------------------------------------------------------------------

NBDMAGIC = 0x4E42444D41474943  # "NBDMAGIC"
IHAVEOPT = 0x49484156454F5054  # "IHAVEOPT"
REPLY_MAGIC = 0x0003E889045565A9
"""Magic of every option reply."""

FLAG_FIXED_NEWSTYLE = 1 << 0
FLAG_NO_ZEROES = 1 << 1
HANDSHAKE_FLAGS = FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES
"""The server's handshake flags; the client answers with the same bits (``NBD_FLAG_C_*``)."""

OPT_EXPORT_NAME = 1
OPT_ABORT = 2
OPT_LIST = 3
OPT_STARTTLS = 5
OPT_INFO = 6
OPT_GO = 7
OPT_STRUCTURED_REPLY = 8
OPT_LIST_META_CONTEXT = 9
OPT_SET_META_CONTEXT = 10
OPT_EXTENDED_HEADERS = 11

REP_ACK = 1
REP_SERVER = 2
REP_INFO = 3
_REP_ERR = 1 << 31
REP_ERR_UNSUP = _REP_ERR | 1
REP_ERR_POLICY = _REP_ERR | 2
REP_ERR_INVALID = _REP_ERR | 3
REP_ERR_UNKNOWN = _REP_ERR | 6
REP_ERR_SHUTDOWN = _REP_ERR | 7
REP_ERR_TOO_BIG = _REP_ERR | 9


def is_error_reply(reply_type: int) -> bool:
    """Option replies with the high bit set are errors."""
    return bool(reply_type & _REP_ERR)


INFO_EXPORT = 0
INFO_NAME = 1
INFO_DESCRIPTION = 2
INFO_BLOCK_SIZE = 3

# -- transmission ---------------------------------------------------------------------------------

TFLAG_HAS_FLAGS = 1 << 0
TFLAG_READ_ONLY = 1 << 1
TFLAG_SEND_FLUSH = 1 << 2
TFLAG_SEND_FUA = 1 << 3
TFLAG_SEND_TRIM = 1 << 5
TFLAG_SEND_WRITE_ZEROES = 1 << 6
TFLAG_CAN_MULTI_CONN = 1 << 8

REQUEST_MAGIC = 0x25609513
SIMPLE_REPLY_MAGIC = 0x67446698

CMD_READ = 0
CMD_WRITE = 1
CMD_DISC = 2
CMD_FLUSH = 3
CMD_TRIM = 4
CMD_WRITE_ZEROES = 6

CMD_FLAG_FUA = 1 << 0
CMD_FLAG_NO_HOLE = 1 << 1

# NBD error values (the protocol fixes them; they are Linux's numbers)
NBD_EPERM = 1
NBD_EIO = 5
NBD_ENOMEM = 12
NBD_EINVAL = 22
NBD_ENOSPC = 28
NBD_EOVERFLOW = 75
NBD_ENOTSUP = 95
NBD_ESHUTDOWN = 108

TO_OS_ERRNO = {
    NBD_EPERM: errno.EPERM,
    NBD_EIO: errno.EIO,
    NBD_ENOMEM: errno.ENOMEM,
    NBD_EINVAL: errno.EINVAL,
    NBD_ENOSPC: errno.ENOSPC,
    NBD_EOVERFLOW: errno.EOVERFLOW,
    NBD_ENOTSUP: errno.ENOTSUP,
    NBD_ESHUTDOWN: errno.ESHUTDOWN,
}
FROM_OS_ERRNO = {v: k for k, v in TO_OS_ERRNO.items()}

# -- block sizes advertised (NBD_INFO_BLOCK_SIZE) -------------------------------------------------

MIN_BLOCK = 1
"""Any byte range works: the block store reads and writes at byte granularity."""
PREFERRED_BLOCK = 4096
MAX_PAYLOAD = 32 * 1024 * 1024
"""Largest READ/WRITE payload accepted (TRIM and WRITE_ZEROES carry none and are not limited)."""

# -- layouts (network byte order) -----------------------------------------------------------------

OPTION_HEADER = struct.Struct(">QII")  # IHAVEOPT, option, length
OPTION_REPLY = struct.Struct(">QIII")  # REPLY_MAGIC, option, reply type, length
REQUEST = struct.Struct(">IHHQQI")  # magic, command flags, type, cookie, offset, length
SIMPLE_REPLY = struct.Struct(">IIQ")  # magic, error, cookie
EXPORT_INFO = struct.Struct(">HQH")  # INFO_EXPORT, size, transmission flags
BLOCK_SIZE_INFO = struct.Struct(">HIII")  # INFO_BLOCK_SIZE, minimum, preferred, maximum
