import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from lurewatch.record import (
    INDICATORS,
    SCHEMA_VERSION,
    Ad,
    Contacts,
    Indicator,
    Label,
    Salary,
    Span,
    normalise_employer,
    record_id,
)


def test_id_is_stable_across_url_spellings() -> None:
    a = record_id(url="https://jobs.example.my/ad?b=2&a=1#apply")
    b = record_id(url="  https://jobs.example.my/ad?a=1&b=2")
    assert a == b
    assert a != record_id(url="https://jobs.example.my/ad?a=1&b=3")


def test_platform_post_id_wins_over_url() -> None:
    first = Ad(source="tg", platform="telegram", post_id="kerja/12", url="https://t.me/s/kerja?before=20")
    again = Ad(source="tg", platform="telegram", post_id="kerja/12", url="https://t.me/kerja/12")
    assert first.id == again.id == record_id(platform="telegram", post_id="kerja/12")


def test_a_record_needs_an_identity() -> None:
    with pytest.raises(ValueError):
        record_id()


def test_json_round_trip_keeps_every_field() -> None:
    ad = Ad(
        source="board", url="https://jobs.example.my/1", title="Operator kilang",
        text="Gaji RM1,800. Hubungi 012-345 6789.", language="ms", country="MY",
        posted_at=datetime(2026, 5, 1, 8, tzinfo=UTC),
        contacts=Contacts(phones=["+60123456789"], whatsapp=["+60123456789"]),
        salary=Salary(text="RM1,800", amount_min=1800, currency="MYR", period="month",
                      monthly_usd=383.0),
        images=["https://jobs.example.my/img/1.jpg"],
        risk_label=Label.legitimate, risk_score=0.12,
        indicators=[Indicator(id="private_messaging_only", score=0.3,
                              spans=[Span(start=13, end=35, text="Hubungi 012-345 6789.")])],
    )
    again = Ad.from_json(ad.to_json())
    assert again == ad
    assert again.schema_version == SCHEMA_VERSION
    assert again.content_hash == ad.content_hash != ""


def test_content_hash_follows_the_words() -> None:
    a = Ad(source="s", url="https://x.example/1", text="kerja kilang")
    b = Ad(source="s", url="https://x.example/1", text="kerja kilang!")
    assert a.id == b.id and a.content_hash != b.content_hash


def test_score_is_bounded() -> None:
    with pytest.raises(ValidationError):
        Ad(source="s", url="https://x.example/1", risk_score=1.5)


def test_indicator_vocabulary_is_the_designed_one() -> None:
    assert len(INDICATORS) == len(set(INDICATORS)) == 23
    assert {"no_passport_needed", "targets_women_girls", "scam_compound_pattern"} <= set(INDICATORS)


def test_employer_names_meet_after_normalising() -> None:
    assert normalise_employer("Maju Jaya Sdn. Bhd.") == "maju jaya"
    assert normalise_employer("MAJU JAYA") == "maju jaya"
    assert normalise_employer("PT. Sinar Abadi Tbk") == "sinar abadi"
    assert normalise_employer("深圳市科技有限公司") == "深圳市科技有限公司"


def test_images_are_absolute_http_urls_and_optional() -> None:
    earlier = json.loads(Ad(source="s", url="https://x.example/1").to_json())
    del earlier["images"]  # a record written before the field existed still reads
    assert Ad.model_validate(earlier).images == []
    for bad in ("/img/1.jpg", "javascript:alert(1)", "file:///etc/passwd", "data:image/png;"):
        with pytest.raises(ValidationError, match="absolute http"):
            Ad(source="s", url="https://x.example/1", images=[bad])
