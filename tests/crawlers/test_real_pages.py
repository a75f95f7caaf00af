"""Real third-party pages from ../shared/fixtures, read as they say."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from crawlers.extract.common import PageRejected, parse_datetime
from crawlers.extract.jsonld import PageContext
from crawlers.extract.pages import parse_page
from lurewatch.config import PACKAGE_ROOT, Selectors

# --- real pages from ../shared/fixtures ----------------------------------------------

FIXTURES = PACKAGE_ROOT.parent / "shared" / "fixtures"
needs_fixtures = pytest.mark.skipif(not FIXTURES.is_dir(),
                                    reason=f"{FIXTURES} is absent (real pages are not "
                                    "part of the repository)")


@dataclass(frozen=True)
class Says:
    """What a saved job page says, read off the page by a person."""

    title: str
    employer: str
    location: str  # a part of the stated location
    date: str | None  # ISO date of posting, None when the page gives none
    salary: tuple[float | None, float | None, str | None, str | None] | str | None
    text: str  # a sentence from the description


JOB_PAGES: dict[str, Says] = {
    "job_jsonld/indeed_au_senior_devops_papercut.html": Says(
        "Senior DevOps Engineer", "PaperCut Software", "Camberwell", "2026-08-06",
        (130000, 160000, "AUD", "year"), "we believe two things"),
    "job_jsonld/stackoverflow_jobs_spacex_2017.html": Says(
        "SpaceX Enterprise Software Engineer, Full Stack", "SpaceX", "Hawthorne", "2017-11-01",
        None, "Paid relocation"),
    "job_jsonld/topcv_vn_ai_engineer_2128588.html": Says(
        "AI Engineer (Middle)", "Công ty cổ phần PT HUB", "Hà Nội", "2026-04-17",
        (60_000_000, 60_000_000, "VND", "month"), "Phát triển Core AI"),
    "job_jsonld/topcv_vn_network_engineer_2130416.html": Says(
        "Network Engineer", "CHI NHÁNH TẠI TP HỒ CHÍ MINH - CÔNG TY CỔ PHẦN NETNAM (TP. HÀ NỘI)",
        "Hồ Chí Minh", "2026-04-18", "Thoả thuận", "Tech Lead"),
    "job_jsonld/topcv_vn_opera_pms_consultant.html": Says(
        "Chuyên Viên Triển Khai Phần Mềm Quản Lý Khách Sạn Oracle – Opera PMS/Opera Cloud/Opera "
        "PMS Implementation Consultant, Nhận Việc Ngay", "CÔNG TY TNHH CÔNG NGHỆ THÔNG TIN PHÚC AN",
        "Hồ Chí Minh", "2026-04-08", "Thoả thuận", "Oracle Opera PMS"),
    "job_jsonld/workday_thales_uk_engineering_delivery_manager.html": Says(
        "Engineering Delivery Manager", "Thales UK Limited", "Green Park", "2024-05-14", None,
        "customers worldwide rely on Thales"),
    "job_detail_no_jsonld/linkedin_au_heidi_senior_swe.html": Says(
        "Senior Software Engineer - Developer Experience", "Heidi", "Melbourne", None, None,
        "Heidi is building an AI Care Partner"),
    "job_detail_no_jsonld/linkedin_fr_secretaire_gentilly.html": Says(
        "Secrétaire / secrétaire de direction — H/F", "Association Monsieur Vincent", "Gentilly",
        None, None, "EHPAD de 86 lits recherche un/une secrétaire de direction"),
    "job_detail_no_jsonld/seek_au_senior_platform_engineer.html": Says(
        "Senior Platform Engineer | Remote | Australia", "iterate", "Melbourne", None, None,
        "Platform Engineer"),
    "job_detail_no_jsonld/greenhouse_jobboards_remote_forward_deployed_engineer.html": Says(
        "Senior Forward Deployed Engineer (Remote Build)", "Remote", "Remote-NORAM", None, None,
        "Forward Deployed"),
    "job_detail_no_jsonld/boss_zhipin_cn_embedded_engineer.html": Says(
        "高级嵌入式软件工程师", "新联电子", "", None, "17-30K·13薪", "嵌入式"),
}


_LINKEDIN_GUEST_JOB = Selectors(
    item_link="a.base-card__full-link::attr(href)",
    title="h1.top-card-layout__title::text",
    employer="a.topcard__org-name-link::text",
    location="(//span[contains(@class, 'topcard__flavor--bullet')])[1]/text()",
    body="div.show-more-less-html__markup",
)
# What a `selectors` source in sources.yaml would say for these sites: configuration only.
SITE_SELECTORS: dict[str, Selectors] = {
    "job_detail_no_jsonld/linkedin_au_heidi_senior_swe.html": _LINKEDIN_GUEST_JOB,
    "job_detail_no_jsonld/linkedin_fr_secretaire_gentilly.html": _LINKEDIN_GUEST_JOB,
    "job_detail_no_jsonld/seek_au_senior_platform_engineer.html": Selectors(
        item_link="a[data-automation='jobTitle']::attr(href)",
        title="h1[data-automation='job-detail-title'] ::text",
        employer="[data-automation='advertiser-name'] ::text",
        location="[data-automation='job-detail-location'] ::text",
        body="[data-automation='jobAdDetails']",
    ),
}


def field_problems(path: str, says: Says, selectors: Selectors | None = None) -> list[str]:
    """Fields of the first record of a saved page that differ from what the page says."""
    try:
        records = parse_page((FIXTURES / path).read_bytes(),
                             PageContext(url=f"https://example.org/{path}", source="fixture"),
                             selectors=selectors)
    except PageRejected as rejected:
        return [f"no record ({rejected.reason})"]
    ad = records.records[0]
    problems = []
    if ad.title != says.title:
        problems.append(f"title {ad.title!r}")
    if ad.employer != says.employer:
        problems.append(f"employer {ad.employer!r}")
    if says.location not in (ad.location or ""):
        problems.append(f"location {ad.location!r}")
    date = ad.posted_at.date().isoformat() if ad.posted_at else None
    if date != says.date:
        problems.append(f"date {date!r}")
    salary = ad.salary
    if isinstance(says.salary, tuple):
        got = (salary.amount_min, salary.amount_max, salary.currency, salary.period) \
            if salary else None
        if got != says.salary:
            problems.append(f"salary {got!r}")
    elif (salary.text if salary else None) != says.salary:
        problems.append(f"salary {salary!r}")
    if says.text not in ad.text or "<" in ad.text[:200]:
        problems.append("text")
    return problems


@needs_fixtures
@pytest.mark.parametrize("path", [p for p in JOB_PAGES if p.startswith("job_jsonld/")])
def test_real_jsonld_job_pages_parse_as_the_page_says(path: str) -> None:
    assert field_problems(path, JOB_PAGES[path]) == []


@needs_fixtures
def test_share_of_real_job_pages_parsed_with_all_fields_right(
        capsys: pytest.CaptureFixture[str]) -> None:
    generic = {path: field_problems(path, says) for path, says in JOB_PAGES.items()}
    configured = {path: field_problems(path, says, SITE_SELECTORS.get(path))
                  for path, says in JOB_PAGES.items()}
    with capsys.disabled():
        for name, problems in (("as is", generic), ("with site selectors", configured)):
            right = [p for p, found in problems.items() if not found]
            print(f"\nreal job pages parsed with all fields right, {name}: "
                  f"{len(right)}/{len(problems)} ({len(right) / len(problems):.0%})")
            for path, found in problems.items():
                if found:
                    print(f"  {path}: {', '.join(found)}")
    jsonld_pages = [p for p in JOB_PAGES if p.startswith("job_jsonld/")]
    assert [p for p, found in generic.items() if not found] == jsonld_pages
    assert [p for p, found in configured.items() if not found] == [
        p for p in JOB_PAGES if p in jsonld_pages or p in SITE_SELECTORS]


@needs_fixtures
@pytest.mark.parametrize(("path", "reason"), [
    ("malformed/cloudflare_challenge_instead_of_indeed.html", "bot_challenge"),
    ("telegram/tme_durov_channel_landing.html", "no_preview"),
    ("telegram/tme_python_group_landing.html", "no_preview"),
    ("malformed/jsoup_bom_utf16le.html", "no_job_posting"),
    ("malformed/jsoup_baidu_cn_home_gb2312.html", "no_job_posting"),
    ("malformed/extruct_jsonld_js_comments_udn.html", "no_job_posting"),
])
def test_real_pages_without_postings_are_refused_with_a_reason(path: str, reason: str) -> None:
    with pytest.raises(PageRejected) as refused:
        parse_page((FIXTURES / path).read_bytes(), PageContext(url="https://example.org/",
                                                                source="fixture"))
    assert refused.value.reason == reason


@needs_fixtures
@pytest.mark.parametrize("path", ["malformed/jsoup_fuzz_1646_deep_nesting.html",
                                  "malformed/jsoup_fuzz_2374_wordpress_svg.html",
                                  "malformed/jsoup_garble.html"])
def test_real_hostile_pages_do_not_crash(path: str) -> None:
    try:
        parse_page((FIXTURES / path).read_bytes(), PageContext(url="https://e.org/", source="f"))
    except PageRejected as refused:
        assert refused.reason in ("undecodable", "no_job_posting", "unparseable_html")


@needs_fixtures
def test_real_telegram_preview() -> None:
    parsed = parse_page((FIXTURES / "telegram/tme_s_xCareers_2020.html").read_bytes(),
                        PageContext(url="https://t.me/s/xCareers", source="f"))
    posts = {ad.post_id: ad for ad in parsed.records}
    assert len(posts) == 20
    first = posts["xCareers/1491"]
    assert first.title == "РАЗРАБОТЧИК IOS 🔥"
    assert first.posted_at == parse_datetime("2020-04-30T17:00:04+00:00")
    assert first.views == 4400
    assert "Зарплата: от 170 000 рублей в месяц" in first.text
    assert first.url == "https://t.me/xCareers/1491"


@needs_fixtures
@pytest.mark.parametrize(("path", "count", "language"), [
    ("mastodon/bigbone_tag_timeline_mastodon_2017.json", 20, None),
    ("mastodon/mastodonpy_timelines_public.json", 8, "ja"),  # as the response says
    ("mastodon/tootsdk_akkoma_quote_post.json", 1, "en"),
    ("mastodon/tootsdk_akkoma_status_emojis_attachments.json", 1, None),
])
def test_real_mastodon_responses(path: str, count: int, language: str | None) -> None:
    parsed = parse_page((FIXTURES / path).read_bytes(),
                        PageContext(url="https://mastodon.example/api", source="f"))
    assert len(parsed.records) == count
    assert all(ad.posted_at and ad.text and "<p>" not in ad.text for ad in parsed.records)
    assert len({ad.id for ad in parsed.records}) == count
    if language:
        assert parsed.records[0].language == language
    if "attachments" in path:
        assert parsed.records[0].images == [
            "https://m.iamkonstantin.eu/media/3febd084-8f52-461f-a30e-c4cdac6ba1e4/image.jpeg"]


@needs_fixtures
@pytest.mark.parametrize(("path", "count", "title"), [
    ("rss/weworkremotely_programming_2014.rss", 25, "Kaleo Software: Senior Software Engineer"),
    ("rss/research_computing_teams_jobs_2026.rss", 350, None),
    ("rss/surprise_com_jobs_feed.xml", 7, "Algorithm Developer"),
    ("rss/recruityard_talentcom_job_feed_2025.xml", 100, "Client Support with Icelandic - Remote"),
])
def test_real_feeds(path: str, count: int, title: str | None) -> None:
    parsed = parse_page((FIXTURES / path).read_bytes(),
                        PageContext(url="https://example.org/feed", source="f"))
    assert len(parsed.records) == count
    assert all(ad.text and ad.posted_at for ad in parsed.records)
    if title:
        assert parsed.records[0].title == title


@needs_fixtures
def test_real_jsonld_industry_becomes_the_sector() -> None:
    from classifiers.scoring import RuleScorer

    path = "job_jsonld/topcv_vn_network_engineer_2130416.html"
    ad = parse_page((FIXTURES / path).read_bytes(),
                    PageContext(url=f"https://example.org/{path}", source="fixture")).records[0]
    assert ad.sector is not None and ad.sector.startswith("IT phần mềm")  # the page's words
    assert RuleScorer().score([ad])[0].sector == "office"
