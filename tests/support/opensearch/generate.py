"""Generated records for load tests and the benchmark: deterministic, multilingual,
with the label, indicator, contact and date spread that investigator queries filter on.
Never used as training or evaluation data."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from lurewatch.record import INDICATORS, Ad, Contacts, Indicator, Label

_TEXTS = (
    ("ms", "MY", "Kerja kilang di Johor, gaji RM1800 sebulan, asrama disediakan."),
    ("ms", "MY", "Cari gadis cantik kerja karaoke KL, gaji RM8000, tiket ditanggung, WA sahaja."),
    ("id", "ID", "Lowongan kerja pabrik di Malaysia, gaji besar, paspor diurus agen."),
    ("en", "MY", "Online customer service job, high salary, no experience, visa arranged."),
    ("zh", "MY", "招聘女服务员，月薪8000，包吃包住，无需经验"),
    ("th", "TH", "รับสมัครพนักงานนวดหญิง รายได้ดี ที่พักฟรี"),
    ("my", "MM", "မလေးရှားမှာ စက်ရုံအလုပ် လစာကောင်း ပတ်စပို့မလို"),
    ("km", "KH", "ត្រូវការបុគ្គលិកបម្រើអតិថិជន ប្រាក់ខែខ្ពស់"),
    ("vi", "VN", "Tuyển lao động đi Malaysia, không cần kinh nghiệm, bao vé máy bay."),
    ("en", "MY", "Plantation workers needed in Sabah, fees deducted from salary."),
)
_SOURCES = ("jobstreet-sample", "tg-kerja", "fb-group-sample", "rss-board", "mastodon-sample")
_EMPLOYERS = ("Maju Jaya Sdn. Bhd.", "Golden Star Agency", "Sinar Harapan", None, None)
_SECTORS = ("manufacturing", "entertainment", "domestic", "plantation", "online", None)
_START = datetime(2026, 1, 1, tzinfo=UTC)


def generated_ads(count: int, seed: int = 7) -> Iterator[Ad]:
    rng = random.Random(seed)
    for n in range(count):
        language, country, text = _TEXTS[n % len(_TEXTS)]
        label = rng.choices(list(Label), weights=(6, 2, 1, 1))[0]
        flagged = label in (Label.deceptive_recruitment, Label.smuggling_offer)
        picked = rng.sample(INDICATORS, k=rng.randint(1, 4)) if flagged else []
        phone = f"+6012{rng.randint(0, 9999):04d}{rng.randint(0, 999):03d}"
        yield Ad(
            source=_SOURCES[n % len(_SOURCES)],
            url=f"https://board.example/ads/{seed}/{n}",
            posted_at=_START + timedelta(minutes=37 * n),
            title=f"Lowongan {n}: {text[:24]}",
            text=f"{text} Ref {n}.",
            language=language,
            country=country,
            employer=rng.choice(_EMPLOYERS),
            sector=rng.choice(_SECTORS),
            contacts=Contacts(phones=[phone], whatsapp=[phone] if flagged else []),
            cluster_id=f"c{n % 97}" if flagged else None,
            risk_label=label,
            risk_score=round(rng.uniform(0.6, 0.99) if flagged else rng.uniform(0, 0.4), 3),
            indicators=[Indicator(id=i, score=round(rng.uniform(0.5, 1), 2)) for i in picked],
            model_version="generated-1",
        )
