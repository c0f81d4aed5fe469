"""Bytes to text: file hashing and the encoding fallback of the CSV reader.

A CSV file is read as UTF-16 when it has a UTF-16 byte-order mark or the NUL pattern of UTF-16
text, as UTF-8 (with or without BOM) otherwise, and as Latin-1 when it is not valid UTF-8 (noted
in the report). Binary content is refused as a whole.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .report import DataContractError, LoadReport

__all__ = ["file_sha256", "decode_text"]

_UTF16_BOMS = (
    (b"\xff\xfe", "utf-16-le", "utf-16 (little-endian, with BOM)"),
    (b"\xfe\xff", "utf-16-be", "utf-16 (big-endian, with BOM)"),
)
#: Bytes inspected to tell UTF-16 text from binary content.
_SAMPLE_BYTES = 65536


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes.

    Parameters
    ----------
    path : str or path-like
        The file, read in blocks of 1 MiB.

    Returns
    -------
    str
        64 lower-case hex digits.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder, "x.csv")
    ...     _ = path.write_bytes(b"abc")
    ...     print(file_sha256(path)[:16])
    ba7816bf8f01cfea
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def decode_text(path: Path, raw: bytes, report: LoadReport) -> str:
    r"""Text of a CSV file's bytes, under the encoding fallback; the encoding goes to ``report``.

    Parameters
    ----------
    path : Path
        The file (named in errors).
    raw : bytes
        Its content.
    report : LoadReport
        Receives ``encoding`` and, for UTF-16 or Latin-1, a note.

    Returns
    -------
    str
        The decoded text, without a byte-order mark.

    Raises
    ------
    DataContractError
        Binary content, or text that looks like UTF-16 but is not valid UTF-16.

    Examples
    --------
    >>> report = LoadReport("x.csv", "csv")
    >>> decode_text(Path("x.csv"), "a,é\n".encode("latin-1"), report), report.encoding
    ('a,é\n', 'latin-1')
    """
    for bom, codec, label in _UTF16_BOMS:
        if raw.startswith(bom):
            return _decode_utf16(path, raw[2:], codec, label, report)
    utf16 = _sniff_utf16(path, raw[:_SAMPLE_BYTES])
    if utf16 is not None:
        return _decode_utf16(path, raw, *utf16, report)
    try:
        text = raw.decode("utf-8-sig")
        report.encoding = "utf-8 with BOM" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError as exc:
        text = raw.decode("latin-1")
        report.encoding = "latin-1"
        report.notes.append(f"file is not valid UTF-8 (first bad byte at offset {exc.start}); decoded as Latin-1")
    return text


def _sniff_utf16(path: Path, sample: bytes) -> tuple[str, str] | None:
    """(codec, label) of BOM-less UTF-16 text told by its NUL bytes; refuse binary content."""
    nul = sample.count(0)
    if not nul:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = max(len(sample) // 2, 1)
    if odd >= 0.4 * half and even <= 0.01 * half:
        return "utf-16-le", "utf-16 (little-endian, no BOM)"
    if even >= 0.4 * half and odd <= 0.01 * half:
        return "utf-16-be", "utf-16 (big-endian, no BOM)"
    if nul > max(1, len(sample) // 100):
        raise DataContractError(
            path,
            f"unparseable file: binary content ({nul:,} NUL bytes in the first "
            f"{len(sample):,} bytes), not a CSV text file",
        )
    return None


def _decode_utf16(path: Path, raw: bytes, codec: str, label: str, report: LoadReport) -> str:
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise DataContractError(
            path,
            f"the file looks like {label} text but is not valid {codec.upper()} "
            f"(bad bytes at offset {exc.start}); save it as UTF-8",
        ) from None
    report.encoding = label
    report.notes.append(f"file is {label}; decoded as such (UTF-8 is the expected encoding)")
    return text.removeprefix("\ufeff")
