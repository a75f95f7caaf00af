"""The focus view of one record, its image proxy and content warnings."""

from __future__ import annotations

from crawlers.sample_sites.server import SAMPLE_IMAGES, sample_png, serve_sample_sites
from lurewatch.record import Ad
from tests.review_ui.conftest import (
    Env,
)
from tests.review_ui.seed import BURMESE, LEGIT, MALAY, MALAY_COPY, MINORS


def test_focus_view_shows_evidence_contacts_and_links(any_env: Env) -> None:
    env = any_env
    html = env.client("ana").get(f"/records/{MALAY.id}").text
    assert ('<mark class="ev" data-ev="3">Yuran proses RM1500<sup class="ev-num">3</sup></mark>'
            in html)
    assert "worker_pays_fees" in html and "rules-test-1" in html
    assert "RM6000 sebulan" in html and "1280 USD/month" in html
    # another record shares the phone and the cluster; the Burmese one shares the phone
    assert f"/records/{MALAY_COPY.id}" in html and f"/records/{BURMESE.id}" in html
    for key in ("t", "s", "l", "x", "e", "j"):
        assert f'data-key="{key}"' in html


def _image_record(source: str, *images: str, n: int = 0) -> Ad:
    return Ad(source=source, url=f"https://jobs.example.my/ad/poster-{n}", title="Poster",
              text="Lihat poster.", images=list(images))


def test_image_proxy_fetches_for_the_reviewer_and_never_caches(any_env: Env) -> None:
    """Through both stores: the record keeps its image URLs, and the application fetches
    the image (a local_test source may use loopback), never the browser."""
    with serve_sample_sites() as site:
        ad = _image_record("kerjahub", f"{site.base_url}/board/images/kilang.png",
                           f"{site.base_url}/board/images/dubai.png")
        any_env.store.upsert([ad])
        assert any_env.store.get(ad.id).images == ad.images  # type: ignore[union-attr]
        ivan = any_env.client("ivan")  # an investigator may see records, so their images
        page = ivan.get(f"/records/{ad.id}").text
        assert f'data-image-src="/records/{ad.id}/images/1"' in page
        assert site.base_url not in page.split("<h2>Images</h2>")[1].split("</ul>")[0]
        response = ivan.get(f"/records/{ad.id}/images/1")
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        assert response.headers["cache-control"] == "no-store"
        assert response.content == sample_png(*SAMPLE_IMAGES["dubai.png"])
        assert "img-src 'self' data:;" in response.headers["content-security-policy"]
        assert ivan.get(f"/records/{ad.id}/images/2").status_code == 404
        assert any_env.client().get(f"/records/{ad.id}/images/0").status_code == 303  # login
    fetched = any_env.db.audit_entries(action="image_fetched")
    assert [(e.actor, e.target) for e in fetched] == [("ivan", f"{ad.id} image 1")]
    assert fetched[0].detail.startswith(f"{ad.images[1]} (image/png, ")


def test_image_proxy_refuses_private_addresses_other_types_and_oversize(env: Env) -> None:
    ana = env.client("ana")
    with serve_sample_sites() as site:
        # Not a local_test source: loopback is refused before anything is sent.
        ads = [_image_record("jobboard_my", f"{site.base_url}/board/images/kilang.png", n=0),
               _image_record("jobboard_my", "http://169.254.169.254/latest/meta-data", n=1),
               _image_record("kerjahub", f"{site.base_url}/board/jobs", n=2),
               _image_record("kerjahub", f"{site.base_url}/board/images/huge.png", n=3)]
        env.store.upsert(ads)
        ids = [ad.id for ad in ads]
        refused = ana.get(f"/records/{ids[0]}/images/0")
        assert refused.status_code == 403 and "non-public address" in refused.text
        assert site.hits["/board/images/kilang.png"] == 0
        assert ana.get(f"/records/{ids[1]}/images/0").status_code == 403
        not_image = ana.get(f"/records/{ids[2]}/images/0")
        assert not_image.status_code == 502 and "not an image: content type text/html" in (
            not_image.text)
        oversize = ana.get(f"/records/{ids[3]}/images/0")
        assert oversize.status_code == 502 and "larger than" in oversize.text
        assert oversize.headers["cache-control"] == "no-store"
    refusals = env.db.audit_entries(action="image_refused")
    assert [e.target for e in refusals] == [f"{i} image 0" for i in reversed(ids)]
    assert "non-public address" in refusals[-1].detail and refusals[-1].actor == "ana"


def test_content_warning_for_minors(env: Env) -> None:
    html = env.client("ana").get(f"/records/{MINORS.id}").text
    assert "Content warning: minors may be targeted" in html
    assert '<details class="content-warning">' in html
    assert '<details class="content-warning">' not in env.client("ana").get(
        f"/records/{LEGIT.id}").text


def test_focus_view_shows_the_snapshot_reference_and_hash(any_env: Env) -> None:
    """Through both stores: the snapshot fields survive, and are shown as text only."""
    ad = Ad(source="kerjahub", url="https://jobs.example.my/ad/snap", title="Kilang",
            text="Kerja kilang.", raw_ref='kerjahub/<script>x</script>.warc.gz#42',
            snapshot_sha256="ab" * 32)
    any_env.store.upsert([ad])
    stored = any_env.store.get(ad.id)
    assert stored is not None
    assert (stored.raw_ref, stored.snapshot_sha256) == (ad.raw_ref, ad.snapshot_sha256)
    html = any_env.client("ana").get(f"/records/{ad.id}").text
    assert "kerjahub/&lt;script&gt;x&lt;/script&gt;.warc.gz#42" in html
    assert "<script>x</script>" not in html
    assert f'<code class="snapshot-sha256">{"ab" * 32}</code>' in html
