"""Snapshots: what a fetch returned, kept in WARC files (ISO 28500, written by ``warcio``).

Each source has its own folder under ``<data_dir>/snapshots``; each writer (one per crawl
process and source) starts its own gzipped WARC file, named by time and process id so
that concurrent crawlers never share one, and starts another once a file reaches its size
limit. A record points at its snapshot by ``<source>/<file>#<offset>`` (the byte offset
of the gzip member holding the response record, so a reader seeks straight to it) and
carries the sha256 of the payload, which :func:`read_payload` lets anyone check again.
"""

from __future__ import annotations

import base64
import hashlib
import http
import io
import os
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from lurewatch.config import Settings

SNAPSHOT_DIR = "snapshots"
WARC_SUFFIX = ".warc.gz"
# The body is kept as Scrapy hands it over: already de-chunked and decompressed. Headers
# saying otherwise would make WARC readers decode it again, so they keep their value under
# the name replay tools use for original headers, and Content-Length is the kept length.
_RENAMED_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})
_ORIGINAL_PREFIX = "X-Archive-Orig-"


def snapshot_dir(settings: Settings) -> Path:
    return settings.data_dir / SNAPSHOT_DIR


@dataclass(frozen=True)
class SnapshotRef:
    """Where one snapshot is: a WARC file (relative to the snapshot folder) and an offset."""

    path: str
    offset: int

    def __str__(self) -> str:
        return f"{self.path}#{self.offset}"

    @classmethod
    def parse(cls, ref: str) -> SnapshotRef:
        """The reference in ``ref``; raises ``ValueError`` for anything else, including a
        path that would leave the snapshot folder (a stored record is not trusted)."""
        path, sep, offset = ref.rpartition("#")
        parts = Path(path).parts
        if (not sep or not offset.isdigit() or not path.endswith(WARC_SUFFIX)
                or Path(path).is_absolute() or ".." in parts):
            raise ValueError(f"not a snapshot reference: {ref[:200]!r}")
        return cls(path, int(offset))


@dataclass(frozen=True)
class Snapshot:
    ref: SnapshotRef
    sha256: str


class SnapshotUnreadable(Exception):
    """The WARC file is there but holds no readable response record at the offset."""


def http_header_block(status: int, headers: list[tuple[str, str]], body_length: int,
                      protocol: str | None) -> StatusAndHeaders:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    kept = [(f"{_ORIGINAL_PREFIX}{name}" if name.lower() in _RENAMED_HEADERS else name, value)
            for name, value in headers]
    kept.append(("Content-Length", str(body_length)))
    return StatusAndHeaders(f"{status} {phrase}".strip(), kept, protocol=protocol or "HTTP/1.1")


class SnapshotWriter:
    """Appends response records to WARC files in ``directory``, rotating at ``max_bytes``."""

    def __init__(self, directory: Path, *, root: Path, max_bytes: int,
                 software: str = "Lurewatch") -> None:
        self.directory = directory
        self.root = root
        self.max_bytes = max_bytes
        self.software = software
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._writer: WARCWriter | None = None
        self._files_started = 0

    def write(self, *, url: str, status: int, headers: list[tuple[str, str]], body: bytes,
              protocol: str | None = None, fetched_at: datetime | None = None) -> Snapshot:
        """Keep one response; returns where it went and the payload's sha256."""
        writer, file, path = self._current()
        digest = hashlib.sha256(body).hexdigest()
        when = datetime_to_iso_date(fetched_at or datetime.now(UTC))
        record = writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body),
            http_headers=http_header_block(status, headers, len(body), protocol),
            # The payload digest in sha256 (base32, as WARC digests are written), so the
            # file alone proves the hash the record carries (`warcio check` verifies it).
            warc_headers_dict={"WARC-Date": when, "WARC-Payload-Digest":
                               "sha256:" + base64.b32encode(bytes.fromhex(digest)).decode()})
        offset = file.tell()
        writer.write_record(record)
        file.flush()  # a crawl killed later still leaves every referenced record whole
        return Snapshot(SnapshotRef(path.relative_to(self.root).as_posix(), offset), digest)

    def _current(self) -> tuple[WARCWriter, BinaryIO, Path]:
        if self._file is not None and self._file.tell() >= self.max_bytes:
            self.close()
        if self._file is None or self._writer is None or self._path is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._files_started += 1
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            name = f"{stamp}-{os.getpid()}-{self._files_started:05d}{WARC_SUFFIX}"
            self._path = self.directory / name
            self._file = self._path.open("xb")
            self._writer = WARCWriter(self._file, gzip=True)
            self._writer.write_record(self._writer.create_warcinfo_record(
                name, {"software": self.software, "format": "WARC File Format 1.0"}))
        return self._writer, self._file, self._path

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file = self._writer = self._path = None


def read_payload(root: Path, ref: SnapshotRef) -> bytes:
    """The payload kept at ``ref``. Raises ``FileNotFoundError`` when the file is gone and
    :class:`SnapshotUnreadable` when it holds no response record there (a damaged file)."""
    with (root / ref.path).open("rb") as file:
        file.seek(ref.offset)
        try:
            for record in ArchiveIterator(file):
                if record.rec_type != "response":
                    break
                return record.raw_stream.read()
        except (ArchiveLoadFailed, zlib.error, EOFError, ValueError) as exc:
            raise SnapshotUnreadable(f"{ref}: {exc}") from exc
    raise SnapshotUnreadable(f"{ref}: no response record at this offset")
