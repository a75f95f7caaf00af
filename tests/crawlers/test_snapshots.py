"""Snapshots: a real crawl of the sample sites keeps every page that yields a record in a
WARC file; ``archive verify`` finds them intact, damaged or gone; ``archive prune``
deletes them by each source's retention."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from crawlers.archive import prune, verify
from crawlers.run import crawl
from crawlers.sample_sites.server import SampleSites
from crawlers.settings import UNSCORED
from crawlers.warc import SnapshotRef, SnapshotWriter, read_payload, snapshot_dir
from index.query import SearchFilters
from index.sqlite import SQLiteStore
from lurewatch.cli import load_commands
from tests.crawlers.conftest import Crawled, make_settings, sources_for

# A board of detail pages, a feed whose one page yields many records, a channel page.
SOURCES = ("kerjahub", "kerjarss", "tg-kerja-luar-negara")
runner = CliRunner()


@pytest.fixture(scope="module")
def archived(site: SampleSites, tmp_path_factory: pytest.TempPathFactory) -> Crawled:
    # Laid out as the command line expects it from its working folder: ./data/…
    root = tmp_path_factory.mktemp("archive") / "data"
    settings = make_settings(root)
    store = SQLiteStore(root / "lurewatch.db")
    sources = sources_for(site, *SOURCES)
    assert {s.name for s in sources} == set(SOURCES)
    stats = crawl(sources, settings, store=store, overrides=UNSCORED)
    return Crawled(site, settings, store, stats)


def warc_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.warc.gz"))


def test_every_crawled_record_points_at_an_intact_snapshot(archived: Crawled) -> None:
    root = snapshot_dir(archived.settings)
    records = list(archived.store.scan())
    assert len(records) > 10
    for ad in records:
        assert ad.raw_ref and ad.snapshot_sha256
        ref = SnapshotRef.parse(ad.raw_ref)
        assert ref.path.startswith(f"{ad.source}/")
        assert hashlib.sha256(read_payload(root, ref)).hexdigest() == ad.snapshot_sha256
    report = verify(records, root)
    assert report.without_snapshot == 0 and report.mismatched == report.missing == 0
    assert report.intact == report.snapshots
    # One feed page yields many records and is kept once.
    feed = [ad for ad in records if ad.source == "kerjarss"]
    assert len(feed) > 1 and len({ad.raw_ref for ad in feed}) == 1
    assert report.snapshots < len(records)


def test_snapshot_keeps_the_response_headers_and_body(archived: Crawled) -> None:
    root = snapshot_dir(archived.settings)
    ad = next(iter(archived.store.scan(SearchFilters(sources=("kerjahub",)))))
    ref = SnapshotRef.parse(ad.raw_ref or "")
    with (root / ref.path).open("rb") as file:
        file.seek(ref.offset)
        record = next(iter(ArchiveIterator(file)))
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Target-URI") == ad.url
        assert record.http_headers.get_statuscode() == "200"
        # The file alone proves the record's hash: `warcio check` verifies this digest.
        assert record.rec_headers.get_header("WARC-Payload-Digest") == "sha256:" + (
            base64.b32encode(bytes.fromhex(ad.snapshot_sha256 or "")).decode())
        assert "html" in (record.http_headers.get_header("Content-Type") or "")
        body = record.content_stream().read()
    assert hashlib.sha256(body).hexdigest() == ad.snapshot_sha256


def test_unchanged_recrawl_keeps_nothing_new(archived: Crawled) -> None:
    before = warc_files(snapshot_dir(archived.settings))
    again = crawl(sources_for(archived.site, *SOURCES), archived.settings,
                  store=archived.store, overrides=UNSCORED)
    assert again.totals.stored == 0
    assert warc_files(snapshot_dir(archived.settings)) == before


def test_verify_tells_damaged_and_missing_snapshots(archived: Crawled, tmp_path: Path) -> None:
    copy = tmp_path / "snapshots"
    shutil.copytree(snapshot_dir(archived.settings), copy)
    records = list(archived.store.scan())
    damaged, deleted = (SnapshotRef.parse(r.raw_ref or "") for r in
                        (next(r for r in records if r.source == "kerjahub"),
                         next(r for r in records if r.source == "tg-kerja-luar-negara")))
    warc = copy / damaged.path
    data = bytearray(warc.read_bytes())
    member_length = len(gzip.compress(b""))  # the smallest gzip member, as a lower bound
    data[damaged.offset + member_length + 20] ^= 0x55  # a byte inside the compressed record
    warc.write_bytes(bytes(data))
    (copy / deleted.path).unlink()

    report = verify(records, copy)
    assert report.mismatched >= 1 and report.missing >= 1
    assert report.intact + report.mismatched + report.missing == report.snapshots
    problems = {p["problem"] for p in report.problems}
    assert problems == {"mismatched", "missing"}
    assert all(p["ref"].startswith("tg-kerja-luar-negara/") for p in report.problems
               if p["problem"] == "missing")


def test_archive_commands_on_the_default_store(archived: Crawled,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(archived.settings.data_dir.parent)
    monkeypatch.delenv("LUREWATCH_CONFIG", raising=False)
    result = runner.invoke(load_commands(), ["archive", "verify", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["snapshots"] == report["intact"] > 0
    assert report["mismatched"] == report["missing"] == report["without_snapshot"] == 0
    # The sample sources set no retention: their snapshots are kept forever.
    result = runner.invoke(load_commands(), ["archive", "prune"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files_deleted"] == 0
    assert warc_files(snapshot_dir(archived.settings))


def test_prune_honours_each_sources_retention(site: SampleSites, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    store = SQLiteStore(tmp_path / "store.db")
    kept, expiring = sources_for(site, "kerjarss", "tg-kerja-luar-negara")
    expiring = expiring.model_copy(update={"snapshot_retention_days": 30})
    crawl([kept, expiring], settings, store=store, overrides=UNSCORED)
    root = snapshot_dir(settings)
    old = time.time() - 40 * 86400
    for path in warc_files(root):
        os.utime(path, (old, old))  # every file is 40 days old

    report = prune(store, [kept, expiring], root)
    assert report.files_deleted == report.by_source[expiring.name] >= 1
    assert kept.name not in report.by_source
    assert not list((root / expiring.name).glob("*.warc.gz"))
    assert list((root / kept.name).glob("*.warc.gz"))  # no retention: kept forever
    pruned = list(store.scan(SearchFilters(sources=(expiring.name,))))
    assert pruned and all(r.raw_ref is None and r.snapshot_sha256 for r in pruned)
    assert report.references_cleared == len(pruned)
    after = verify(store.scan(), root)
    assert after.mismatched == after.missing == 0
    assert after.without_snapshot == len(pruned)


def test_writer_rotates_files_by_size(tmp_path: Path) -> None:
    writer = SnapshotWriter(tmp_path / "src", root=tmp_path, max_bytes=2048)
    bodies = [os.urandom(1500) for _ in range(3)]  # random: gzip cannot shrink them
    snapshots = [writer.write(url=f"https://jobs.example.my/{n}", status=200,
                              headers=[("Content-Encoding", "gzip")], body=body)
                 for n, body in enumerate(bodies)]
    writer.close()
    assert len({s.ref.path for s in snapshots}) == 3
    for snapshot, body in zip(snapshots, bodies, strict=True):
        assert read_payload(tmp_path, snapshot.ref) == body
        assert snapshot.sha256 == hashlib.sha256(body).hexdigest()
    with (tmp_path / snapshots[0].ref.path).open("rb") as file:
        file.seek(snapshots[0].ref.offset)
        headers = next(iter(ArchiveIterator(file))).http_headers
    # The kept body is decoded: its original encoding is kept under another name.
    assert headers.get_header("Content-Encoding") is None
    assert headers.get_header("X-Archive-Orig-Content-Encoding") == "gzip"


@pytest.mark.parametrize("ref", ["../other/x.warc.gz#0", "/etc/x.warc.gz#0", "a/x.warc.gz",
                                 "a/x.txt#0", "a/x.warc.gz#-1"])
def test_references_that_leave_the_snapshot_folder_are_refused(ref: str) -> None:
    with pytest.raises(ValueError, match="not a snapshot reference"):
        SnapshotRef.parse(ref)
