"""Realistic records for the review UI's tests: several languages, shared contacts, a
near-duplicate cluster, a minors warning, and one record that carries script injections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lurewatch.record import Ad, Contacts, Indicator, Label, Salary, Span

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
SHARED_PHONE = "+60123456789"
XSS_TITLE = '<script>window.__xss = "title"</script><img src=x onerror="window.__xss=\'img\'">'
XSS_TEXT = ('Kerja kosong "><script>window.__xss="text"</script> gaji tinggi '
            '<svg onload="window.__xss=\'svg\'"></svg> hubungi segera {{ 7*7 }}')


def _ind(text: str, indicator: str, phrase: str, score: float = 0.9,
         source: str = "rule") -> Indicator:
    start = text.index(phrase)
    return Indicator(id=indicator, score=score, source=source,  # type: ignore[arg-type]
                     rule=f"{indicator}_lexicon" if source == "rule" else None,
                     spans=[Span(start=start, end=start + len(phrase), text=phrase)])


def _ad(n: int, *, title: str, text: str, language: str, label: Label, score: float,
        indicators: list[tuple[str, str]], country: str = "MY", days: int = 0,
        **fields: object) -> Ad:
    return Ad(
        source=fields.pop("source", "jobboard_my"),  # type: ignore[arg-type]
        url=f"https://jobs.example.my/ad/{n}", posted_at=T0 + timedelta(days=days),
        fetched_at=T0 + timedelta(days=days, hours=2), title=title, text=text,
        language=language, country=country, risk_label=label, risk_score=score,
        model_version="rules-test-1",
        indicators=[_ind(text, i, p) for i, p in indicators], **fields,  # type: ignore[arg-type]
    )


def records() -> list[Ad]:
    malay = ("Kerja kilang di Johor, gaji RM6000 sebulan, tiada pengalaman diperlukan. "
             "Yuran proses RM1500 dipotong dari gaji. Hubungi WhatsApp sahaja.")
    thai = ("รับสมัครพนักงานนวดหญิง อายุ 18-25 ปี หน้าตาดี ทำงานที่มาเลเซีย "
            "รายได้ดีมาก ไม่ต้องมีประสบการณ์ ติดต่อไลน์เท่านั้น")
    burmese = ("ပတ်စပို့မလိုဘဲ မလေးရှားသို့ ပို့ပေးမည်။ နယ်စပ်ဖြတ်ကျော်ရေး စီစဉ်ပေးသည်။")
    chinese = "高薪招聘网络客服，包吃包住，公司保管护照，月薪三万，限女性，急招"
    indonesian = ("Dicari pembantu rumah tangga untuk Kuala Lumpur, biaya visa dan tiket "
                  "dipotong dari gaji, paspor disimpan majikan.")
    minors = "Cari gadis umur 15 ke atas untuk kerja karaoke, tinggal di asrama, gaji harian."
    legit = ("Software engineer, 3 years Python experience, Petronas Digital Sdn Bhd, "
             "Kuala Lumpur office, EPF and SOCSO provided. Apply via company site.")
    return [
        _ad(1, title="Kerja kilang gaji RM6000", text=malay, language="ms",
            label=Label.deceptive_recruitment, score=0.93, days=0,
            indicators=[("unrealistic_pay", "gaji RM6000 sebulan"),
                        ("no_requirements", "tiada pengalaman diperlukan"),
                        ("worker_pays_fees", "Yuran proses RM1500"),
                        ("private_messaging_only", "WhatsApp sahaja")],
            contacts=Contacts(phones=[SHARED_PHONE], whatsapp=[SHARED_PHONE]),
            salary=Salary(text="RM6000 sebulan", amount_min=6000, currency="MYR",
                          period="month", monthly_usd=1280), sector="manufacturing",
            cluster_id="cluster-kilang"),
        _ad(2, title="Kerja kilang gaji RM6000 (Penang)", text=malay.replace("Johor", "Penang"),
            language="ms", label=Label.deceptive_recruitment, score=0.90, days=3,
            indicators=[("unrealistic_pay", "gaji RM6000 sebulan")],
            contacts=Contacts(phones=[SHARED_PHONE]), sector="manufacturing",
            cluster_id="cluster-kilang"),
        _ad(3, title="รับสมัครพนักงานนวด ทำงานมาเลเซีย", text=thai, language="th", country="TH",
            label=Label.deceptive_recruitment, score=0.88, days=5, source="fb_group_th",
            indicators=[("targets_women_girls", "พนักงานนวดหญิง"),
                        ("age_or_appearance_requirements", "อายุ 18-25 ปี หน้าตาดี"),
                        ("high_risk_sector", "นวด")],
            contacts=Contacts(line=["@thaijob88"]), sector="massage"),
        _ad(4, title="မလေးရှား အလုပ်", text=burmese, language="my", country="MM",
            label=Label.smuggling_offer, score=0.81, days=7, source="telegram_mm",
            indicators=[("no_passport_needed", "ပတ်စပို့မလိုဘဲ"),
                        ("border_crossing_arranged", "နယ်စပ်ဖြတ်ကျော်ရေး")],
            contacts=Contacts(phones=[SHARED_PHONE], telegram=["@border_mm"])),
        _ad(5, title="网络客服 高薪 急招", text=chinese, language="zh", country="KH",
            label=Label.deceptive_recruitment, score=0.72, days=9, source="telegram_mm",
            indicators=[("scam_compound_pattern", "网络客服"),
                        ("passport_retained", "公司保管护照"),
                        ("targets_women_girls", "限女性")], sector="online services"),
        _ad(6, title="Pembantu rumah tangga KL", text=indonesian, language="id", country="MY",
            label=Label.deceptive_recruitment, score=0.55, days=12,
            indicators=[("debt_or_advance", "dipotong dari gaji"),
                        ("passport_retained", "paspor disimpan majikan")],
            sector="domestic work"),
        _ad(7, title="Kerja karaoke untuk gadis", text=minors, language="ms",
            label=Label.deceptive_recruitment, score=0.97, days=14,
            indicators=[("minors_targeted", "umur 15 ke atas"),
                        ("high_risk_sector", "karaoke"),
                        ("live_in_or_closed_site", "tinggal di asrama")],
            sector="karaoke"),
        _ad(8, title="Software engineer (Python)", text=legit, language="en",
            label=Label.legitimate, score=0.04, days=15, employer="Petronas Digital Sdn Bhd",
            indicators=[]),
        _ad(9, title=XSS_TITLE, text=XSS_TEXT, language="ms",
            label=Label.deceptive_recruitment, score=0.99, days=16,
            indicators=[("urgency_pressure", "hubungi segera"),
                        ("unrealistic_pay", "gaji tinggi")],
            contacts=Contacts(urls=["javascript:window.__xss='href'"],
                              telegram=['"><script>window.__xss="handle"</script>']),
            employer='<b onmouseover="window.__xss=1">Evil</b>'),
    ]


RECORDS = records()
MALAY, MALAY_COPY, THAI, BURMESE, CHINESE, INDONESIAN, MINORS, LEGIT, XSS = RECORDS
