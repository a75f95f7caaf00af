"""Re-crawls that re-check stored board ads: an edited ad keeps its earlier version, a
removed one (410 Gone) is marked taken down with everything kept, and clears the mark
when it comes back."""

from __future__ import annotations

from pathlib import Path

from crawlers.run import crawl
from crawlers.sample_sites.server import serve_sample_sites
from crawlers.settings import UNSCORED
from index.sqlite import SQLiteStore
from lurewatch.record import Ad, Decision, ReviewState, record_id
from tests.crawlers.conftest import make_settings, sources_for

EDITED = "kerja-kilang-johor-tanpa-pengalaman"
REMOVED = "kerja-malaysia-tanpa-paspor"
EDIT = "Gaji naik RM9000 sebulan! Hubungi WA sekarang."


def test_recrawl_keeps_versions_and_marks_takedowns(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    store = SQLiteStore(tmp_path / "store.db")
    with serve_sample_sites() as site:
        [board] = [source.model_copy(update={"recheck_per_run": 100})
                   for source in sources_for(site, "kerjahub")]

        def stored(slug: str) -> Ad:
            ad = store.get(record_id(url=f"{site}/board/job/{slug}"))
            assert ad is not None
            return ad

        def recrawl() -> None:
            crawl([board], settings, store=store, overrides=UNSCORED)

        recrawl()
        original = stored(EDITED)
        removed = stored(REMOVED)
        store.decide(removed.id, Decision(reviewer="aisyah", state=ReviewState.escalated), 0)

        site.edited[EDITED] = EDIT
        site.taken_down.add(REMOVED)
        stats = crawl([board], settings, store=store, overrides=UNSCORED)
        assert stats.sources["kerjahub"].taken_down == 1
        assert stats.sources["kerjahub"].changed == 1
        now_edited = stored(EDITED)
        assert EDIT in now_edited.text
        assert [(v.text, v.content_hash) for v in now_edited.versions] == [
            (original.text, original.content_hash)]
        gone = stored(REMOVED)
        assert gone.taken_down_at is not None
        assert (gone.text, gone.review_state, gone.review_version) == (
            removed.text, ReviewState.escalated, 1)

        recrawl()  # still gone: the first mark stays
        assert stored(REMOVED).taken_down_at == gone.taken_down_at

        site.taken_down.clear()
        recrawl()
        back = stored(REMOVED)
        assert back.taken_down_at is None and back.versions == []
        assert back.review_state == ReviewState.escalated
