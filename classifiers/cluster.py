"""Near-duplicate clustering of ads: MinHash signatures, LSH bands kept in SQLite.

One recruiter posts the same ad many times with small changes (a city, a salary, a
phone number, emoji, spacing) and sometimes in another script of the same language.
:class:`NearDuplicateIndex` gives every record a cluster id so those re-posts can be
seen together.

* Text is folded before shingling: NFKC, then every letter, digit and mark is
  transliterated to ASCII with ``anyascii`` (so simplified and traditional Chinese,
  Serbian Cyrillic and Latin, Vietnamese with and without diacritics fold to the same
  form), and everything else (spaces, punctuation, emoji) is dropped. Digits stay:
  templates often differ only in a number.
* Shingles are runs of ``shingle_size`` *units*: one unit per ASCII character, one unit
  per CJK/kana/Hangul syllable. No word boundaries are needed, so Thai, Burmese, Khmer
  and Chinese shingle as well as spaced scripts.
* Signatures are ``datasketch`` MinHashes; LSH band keys live in SQLite so an index
  survives across processes and cluster ids stay stable between crawls.
* A new record is compared only with the records that share an LSH band with it (at
  most ``bucket_limit`` per band), so adding a record costs a fixed number of indexed
  look-ups whatever the number of stored records. It joins the cluster of its most
  similar candidate at or above ``threshold`` (estimated Jaccard), or founds a cluster
  named after itself.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from anyascii import anyascii
from datasketch import MinHash, MinHashLSH

from lurewatch.record import Ad
from lurewatch.sqlite import Database

# Hostile pages can be megabytes long; the first part of an ad says what it is.
MAX_TEXT_CHARS = 20_000
CLUSTER_PREFIX = "nd-"
LSH_THRESHOLD_RATIO = 0.7
# Bumped when folding or shingling changes, so an index built the old way is refused.
FOLDING_VERSION = "1"
_SYLLABIC_RANGES = (
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x2FFFF),  # CJK extensions B onwards
)
_SYLLABLE_PLANE = 0xF0000  # supplementary private use area A


# Under ``settings.data_dir``; holds both the cluster and the campaign index, shared by
# the crawl pipeline's stage and ``lurewatch cluster rebuild``.
CLUSTER_INDEX_FILE = "clusters.sqlite"


class ClusterIndexError(Exception):
    """The near-duplicate index file cannot be used as asked."""


def _fold_char(char: str) -> str:
    """The shingle units one character contributes: ASCII letters and digits, one stand-in
    character per CJK/kana/Hangul syllable, nothing for spaces, punctuation and emoji."""
    if unicodedata.category(char)[0] not in "LNM":
        return ""
    folded = "".join(c for c in anyascii(char).lower() if c.isascii() and c.isalnum())
    code = ord(char)
    if folded and any(low <= code <= high for low, high in _SYLLABIC_RANGES):
        # One syllable (们 and 們 both "men") carries about as much as two letters: it
        # becomes two private-use characters, so a shingle is a plain slice of the folded
        # string and a shingle spans about as much text in Chinese as in Malay.
        syllable = zlib.crc32(folded.encode())
        return chr(_SYLLABLE_PLANE + (syllable & 0xFFFF)) + chr(_SYLLABLE_PLANE + (syllable >> 16))
    return folded


class _FoldTable(dict[int, str]):
    """``str.translate`` table that folds each code point once, then serves it from C."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


_FOLD_TABLE = _FoldTable()


def fold_text(text: str) -> str:
    """``text`` as a script-neutral string of units (see the module docstring)."""
    return unicodedata.normalize("NFKC", text[:MAX_TEXT_CHARS]).translate(_FOLD_TABLE)


def shingles(text: str, size: int = 5) -> set[bytes]:
    """Overlapping runs of ``size`` folded units; a shorter text is one shingle."""
    folded = fold_text(text)
    if len(folded) <= size:
        return {folded.encode()} if folded else set()
    return {folded[i:i + size].encode() for i in range(len(folded) - size + 1)}


def seen_at(ad: Ad) -> datetime:
    """When a record appeared: posted, else fetched; naive times read as UTC (as stores do)."""
    seen = ad.posted_at or ad.fetched_at
    return seen if seen.tzinfo is not None else seen.replace(tzinfo=UTC)


def ad_text(ad: Ad) -> str:
    """What a record says, for comparison: title and body."""
    return f"{ad.title}\n{ad.text}"


CLUSTER_MIGRATIONS = ("""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY, record_id TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL, cluster_id TEXT NOT NULL, signature BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS records_cluster ON records (cluster_id);
CREATE TABLE IF NOT EXISTS bands (
    band_key INTEGER NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (band_key, seq)) WITHOUT ROWID;
""",)


class NearDuplicateIndex:
    """Persistent incremental near-duplicate clustering (one SQLite file).

    ``NearDuplicateIndex(path).assign(ad)`` returns the record's cluster id; call
    :meth:`close` when done. Several processes may share one file (SQLite locking).
    """

    def __init__(self, path: str | Path, threshold: float = 0.5, num_perm: int = 128,
                 shingle_size: int = 5, bucket_limit: int = 16) -> None:
        if not 0.0 < threshold < 1.0:
            raise ClusterIndexError(f"threshold must be between 0 and 1, got {threshold}")
        self.threshold = threshold
        self.shingle_size = shingle_size
        self.bucket_limit = bucket_limit
        # Bands tuned below the join threshold, so that pairs just above it are still
        # found as candidates; the exact signature comparison then decides.
        lsh = MinHashLSH(threshold=threshold * LSH_THRESHOLD_RATIO, num_perm=num_perm)
        self.bands, self.rows = lsh.b, lsh.r
        # One statement for all bands; each bucket capped so a look-up costs the same
        # however large the index or a cluster grows.
        self._candidates_sql = " UNION ".join(
            f"SELECT * FROM (SELECT seq FROM bands WHERE band_key = ? "
            f"ORDER BY seq DESC LIMIT {int(bucket_limit)})" for _ in range(self.bands))
        # crc32 is enough here: datasketch mixes every value before permuting it.
        self._empty = MinHash(num_perm=num_perm, hashfunc=zlib.crc32)
        self.db = Database(path, "clusters", CLUSTER_MIGRATIONS)
        self.db.execute("PRAGMA cache_size=-65536")  # 64 MiB: band look-ups are random reads
        self._check_settings({
            "threshold": str(threshold), "num_perm": str(num_perm),
            "shingle_size": str(shingle_size), "folding": FOLDING_VERSION,
        })

    def _check_settings(self, params: dict[str, str]) -> None:
        """Keep the settings the index is built with; refuse to open it with others."""
        with self.db.write() as db:
            stored = dict(db.execute("SELECT key, value FROM meta").fetchall())
            if not stored:
                db.executemany("INSERT INTO meta VALUES (?, ?)", params.items())
            elif stored != params:
                raise ClusterIndexError(
                    f"index was built with {stored}, not {params}; rebuild it or open it "
                    "with the same settings")

    def signature(self, ad: Ad) -> np.ndarray | None:
        """The record's MinHash values (uint32, ``num_perm`` of them); ``None`` when the
        record has no text left to compare (an image-only post)."""
        units = shingles(ad_text(ad), self.shingle_size)
        if not units:
            return None
        minhash = self._empty.copy()
        minhash.update_batch(units)
        return minhash.hashvalues.astype(np.uint32)

    def _band_keys(self, signature: np.ndarray) -> list[int]:
        keys = []
        for band in range(self.bands):
            chunk = signature[band * self.rows:(band + 1) * self.rows].tobytes()
            digest = hashlib.blake2b(chunk, digest_size=8, person=band.to_bytes(16, "big"))
            keys.append(int.from_bytes(digest.digest(), "big", signed=True))
        return keys

    def _best_match(self, signature: np.ndarray, band_keys: list[int],
                    exclude_seq: int | None) -> tuple[str, float] | None:
        candidates = {seq for (seq,) in self.db.execute(self._candidates_sql, band_keys)}
        if exclude_seq is not None:
            candidates.discard(exclude_seq)
        if not candidates:
            return None
        rows = self.db.execute(
            f"SELECT seq, cluster_id, signature FROM records WHERE seq IN "
            f"({','.join('?' * len(candidates))}) ORDER BY seq", tuple(candidates)).fetchall()
        matrix = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.uint32)
        similarity = (matrix.reshape(len(rows), -1) == signature).mean(axis=1)
        best = int(np.argmax(similarity))  # first maximum: the oldest record wins ties
        if similarity[best] < self.threshold:
            return None
        return rows[best][1], float(similarity[best])

    def _assign(self, ad: Ad) -> str:
        known = self.db.execute(
            "SELECT seq, content_hash, cluster_id FROM records WHERE record_id = ?",
            (ad.id,)).fetchone()
        if known and known[1] == ad.content_hash:
            return str(known[2])
        return self._place(ad.id, ad.content_hash, self.signature(ad),
                           known[0] if known else None)

    def _place(self, record_id: str, content_hash: str, signature: np.ndarray | None,
               known_seq: int | None) -> str:
        if signature is None:  # alone: empty records must not all fall into one cluster
            band_keys, match, stored = [], None, b""
        else:
            band_keys = self._band_keys(signature)
            match = self._best_match(signature, band_keys, known_seq)
            stored = signature.tobytes()
        cluster_id = match[0] if match else CLUSTER_PREFIX + record_id
        if known_seq is not None:
            self.db.execute("DELETE FROM bands WHERE seq = ?", (known_seq,))
            self.db.execute(
                "UPDATE records SET content_hash = ?, cluster_id = ?, signature = ? "
                "WHERE seq = ?", (content_hash, cluster_id, stored, known_seq))
            seq = known_seq
        else:
            seq = self.db.execute(
                "INSERT INTO records (record_id, content_hash, cluster_id, signature) "
                "VALUES (?, ?, ?, ?)", (record_id, content_hash, cluster_id, stored)).lastrowid
        self.db.connection().executemany("INSERT OR IGNORE INTO bands VALUES (?, ?)",
                             [(key, seq) for key in band_keys])
        return cluster_id

    def assign(self, ad: Ad) -> str:
        """Cluster id for ``ad``, storing it: an unchanged re-fetch keeps its cluster, a new
        or changed record joins its nearest cluster or founds ``nd-<record id>``."""
        with self.db.write():  # look-up and insert as one step across processes
            return self._assign(ad)

    def rebuild(self, ads: Iterable[Ad]) -> dict[str, str]:
        """Forget everything and cluster ``ads`` oldest first (``posted_at``, else
        ``fetched_at``; then id), so a cluster is named after its first post whatever
        order the ads come in. Returns record id -> cluster id. Holds only signatures
        (about 600 bytes a record) in memory, not the ads."""
        latest = {ad.id: (seen_at(ad).timestamp(), ad.id, ad.content_hash, self.signature(ad))
                  for ad in ads}
        entries = sorted(latest.values(), key=lambda entry: entry[:2])
        with self.db.write() as db:
            db.execute("DELETE FROM bands")
            db.execute("DELETE FROM records")
            return {record_id: self._place(record_id, content_hash, signature, None)
                    for _, record_id, content_hash, signature in entries}

    def cluster_of(self, record_id: str) -> str | None:
        row = self.db.execute(
            "SELECT cluster_id FROM records WHERE record_id = ?", (record_id,)).fetchone()
        return str(row[0]) if row else None

    def members(self, cluster_id: str) -> list[str]:
        """Record ids in a cluster, in the order they were added."""
        return [r for (r,) in self.db.execute(
            "SELECT record_id FROM records WHERE cluster_id = ? ORDER BY seq", (cluster_id,))]

    def __len__(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM records").fetchone()[0])

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> NearDuplicateIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


EVAL_SET = Path(__file__).with_name("data") / "cluster_eval.jsonl"


@dataclass(frozen=True)
class PairwiseScores:
    """Pairwise clustering quality: over all pairs of records, how often 'same cluster'
    was said rightly (precision) and how many true same-group pairs were found (recall)."""

    precision: float
    recall: float
    records: int


def pairwise_scores(truth: dict[str, str], predicted: dict[str, str]) -> PairwiseScores:
    """Compare two labellings of the same record ids (id -> group, id -> cluster)."""
    same_truth = same_predicted = both = 0
    ids = sorted(truth)
    for i, first in enumerate(ids):
        for second in ids[i + 1:]:
            in_truth = truth[first] == truth[second]
            in_predicted = predicted[first] == predicted[second]
            same_truth += in_truth
            same_predicted += in_predicted
            both += in_truth and in_predicted
    return PairwiseScores(precision=both / same_predicted if same_predicted else 1.0,
                          recall=both / same_truth if same_truth else 1.0, records=len(ids))


def load_eval_set(path: Path = EVAL_SET) -> list[tuple[Ad, str]]:
    """The labelled set as records and their true groups."""
    labelled = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            ad = Ad(id=row["id"], source=row["source"], url=f"https://eval.invalid/{row['id']}",
                    title=row["title"], text=row["text"], language=row["language"] or None)
            labelled.append((ad, row["group"]))
    return labelled


def evaluate(path: Path = EVAL_SET, threshold: float = 0.5,
             shingle_size: int = 5) -> PairwiseScores:
    """Cluster the labelled set in a fresh in-memory index and score it pairwise."""
    labelled = load_eval_set(path)
    with NearDuplicateIndex(":memory:", threshold=threshold,
                            shingle_size=shingle_size) as index:
        predicted = {ad.id: index.assign(ad) for ad, _ in labelled}
    return pairwise_scores({ad.id: group for ad, group in labelled}, predicted)
