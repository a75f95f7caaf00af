"""Build ``classifiers/data/langid_test.jsonl``, the labelled set for ``benchmarks/langid.py``.

Run: ``python -m classifiers.data.build_langid_test`` (deterministic).

Single-language items: up to 30 lines per language drawn from the formal written data
(writer ``w1`` of ``written/<lang>/``; lines under 12 letters, and lines with Latin
words in a non-Latin-script language, left out, since those are code-switched), plus the
colloquial Malay and Indonesian lines below, written for this set because the pair is
the hard one. Code-switched items: written below, main language first in ``langs``.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from classifiers.data import write_jsonl
from classifiers.data.recipe import written_items

OUTPUT = Path(__file__).resolve().parent / "langid_test.jsonl"
PER_LANGUAGE = 30
SEED = 7
LATIN_SCRIPT = {"ms", "id", "en", "vi", "tl"}
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")

COLLOQUIAL = {
    "ms": [
        "Kerja kosong kat KL, gaji ok, berminat pm je",
        "Sape nak kerja kilang area Shah Alam? Boleh mula minggu depan",
        "Cari budak kedai, tak perlu pengalaman, duduk area Bangi",
        "Nak cari kerja part time hujung minggu, ada sesiapa tahu?",
        "Syarikat kami perlukan pemandu lori, hubungi pejabat sekarang",
        "Kereta rosak tepi jalan, boleh tolong hantar ke bengkel?",
        "Wang pendahuluan tak perlu, majikan tanggung semua kos",
        "Dah sebulan tak dapat gaji, apa patut saya buat?",
        "Permohonan dibuka sehingga hujung bulan ini sahaja",
        "Jawatan kosong kerani, kelayakan minima SPM, sila hantar resume",
    ],
    "id": [
        "Loker Cikarang gan, gaji UMR, minat japri aja",
        "Ada yang mau kerja di pabrik Bekasi? Bisa langsung masuk minggu depan",
        "Cari karyawan toko, gak perlu pengalaman, domisili Depok",
        "Mau cari kerja sampingan akhir pekan, ada yang tahu?",
        "Perusahaan kami membutuhkan sopir truk, hubungi kantor sekarang",
        "Mobil mogok di pinggir jalan, bisa tolong antar ke bengkel?",
        "Uang muka tidak perlu, semua biaya ditanggung perusahaan",
        "Sudah sebulan belum gajian, saya harus bagaimana?",
        "Lamaran dibuka sampai akhir bulan ini saja",
        "Lowongan staf admin, pendidikan minimal SMA, silakan kirim CV",
    ],
}
CODE_SWITCHED = [
    # The main language (first) carries most of each text, as in real code-switched ads.
    (["ms", "en"], "Jawatan kosong untuk operator kilang di Penang, gaji RM2,000 sebulan.\n"
     "Sila hubungi kami melalui WhatsApp untuk temuduga, kelayakan minima SPM.\n"
     "Apply now!"),
    (["en", "zh"], "Hiring kitchen helpers for our restaurant in Kuala Lumpur, apply today.\n"
     "We provide training and meals for all staff members.\n招聘厨房助理。"),
    (["zh", "en"], "急聘网络客服，月薪八千美元，包吃包住，名额有限。\n公司在西港，机票公司出。\n"
     "Contact us now."),
    (["th", "en"], "รับสมัครพนักงานขายหน้าร้าน เงินเดือนดี มีประกันสังคม ทำงานวันละ 8 ชั่วโมง\n"
     "สนใจติดต่อฝ่ายบุคคลได้ทุกวัน\nSales staff wanted."),
    (["tl", "en"], "Kailangan ng kasambahay sa Maynila, may sahod at day off tuwing Linggo.\n"
     "Magdala ng valid ID at biodata sa interview.\nPlease apply."),
    (["bn", "en"], "মালয়েশিয়ায় কারখানায় কাজ, বেতন ভালো, থাকা খাওয়া ফ্রি। আজই যোগাযোগ করুন।\n"
     "Factory workers needed."),
    (["ne", "en"], "मलेसियामा कारखानाको काम, तलब राम्रो, खाना बस्न फ्री। आजै सम्पर्क गर्नुहोस्।\n"
     "Factory workers needed."),
    (["id", "en"], "Lowongan kerja operator produksi di Cikarang, gaji UMK, ada BPJS.\n"
     "Kirim lamaran lewat email sebelum akhir bulan.\nWe are hiring!"),
    (["vi", "en"], "Tuyển nhân viên phục vụ nhà hàng, lương 8 triệu mỗi tháng, bao ăn trưa.\n"
     "Liên hệ quản lý để phỏng vấn.\nWe are hiring."),
    (["ta", "en"], "உணவகத்திற்கு சமையல்காரர் தேவை, நல்ல சம்பளம், தங்குமிடம் வழங்கப்படும்.\n"
     "Apply now."),
    (["my", "th"], "ထိုင်းနိုင်ငံတွင် စက်ရုံအလုပ် လစာကောင်း နေစရာပါ။ အမြန်ဆက်သွယ်ပါ။\n"
     "รับสมัครคนงาน"),
    (["km", "en"], "ត្រូវការបុគ្គលិកលក់ សម្រាប់ហាងទំនិញ នៅសៀមរាប។ ប្រាក់ខែល្អ។\n"
     "Sales staff needed."),
]


def _single_language_lines(text: str, lang: str) -> list[str]:
    lines = [line.strip(" -•*\t") for line in text.splitlines()]
    return [line for line in lines if sum(c.isalpha() for c in line) >= 12
            and (lang in LATIN_SCRIPT or not LATIN_WORD.search(line))]


def build() -> list[dict]:
    rng = random.Random(SEED)
    lines_by_language: dict[str, list[str]] = {}
    for item in written_items(("w1",)):
        lines_by_language.setdefault(item.lang, []).extend(
            _single_language_lines(item.text, item.lang))
    items: list[dict] = []
    for language, lines in sorted(lines_by_language.items()):
        unique = sorted(set(lines))
        for text in rng.sample(unique, k=min(PER_LANGUAGE, len(unique))):
            items.append({"langs": [language], "text": text, "origin": "written_w1"})
    for language, texts in COLLOQUIAL.items():
        items.extend({"langs": [language], "text": t, "origin": "colloquial"} for t in texts)
    items.extend({"langs": langs, "text": t, "origin": "code_switched"}
                 for langs, t in CODE_SWITCHED)
    return items


def main() -> None:
    print(f"wrote {write_jsonl(OUTPUT, build())} items to {OUTPUT}")


if __name__ == "__main__":
    main()
