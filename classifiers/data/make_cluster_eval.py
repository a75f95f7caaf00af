"""Write ``cluster_eval.jsonl``: the labelled test set for near-duplicate clustering.

Every line is one ad with ``group``, the cluster it truly belongs to. The set holds:

* ``template``: one recruiter's ad posted again with its slots changed (city, salary,
  phone, contact name, head count, age);
* ``repost``: a variant posted again with emoji added, spacing and line breaks changed,
  the title in capitals, full-width digits, zero-width spaces;
* ``script``: the same ad in the other script of its language (simplified and
  traditional Chinese, Serbian Latin and Cyrillic) or Vietnamese without diacritics;
* ``boilerplate``: unrelated ads from one agency that share its footer and "apply now"
  lines; each is a group of its own, and must not be merged;
* ``sample_site``: every ad of the bundled sample sites (``crawlers/sample_sites/content``,
  hand-written in the region's languages, all different ads), each a group of its own,
  and a ``repost`` of each flagged one.

Deterministic: ``python -m classifiers.data.make_cluster_eval`` rewrites the same file.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from classifiers.data import write_jsonl
from classifiers.normalise import html_to_text

OUTPUT = Path(__file__).with_name("cluster_eval.jsonl")
SAMPLE_SITES = Path(__file__).resolve().parents[2] / "crawlers" / "sample_sites" / "content"
FLAGGED = ("deceptive_recruitment", "smuggling_offer")
SEED = 20261127
SOURCES = ("jobboard_my", "telegram_kerja", "facebook_group_jb", "classifieds_sg", "rss_jobs")

CITIES = ("Kuala Lumpur", "Johor Bahru", "Penang", "Shah Alam", "Ipoh", "Melaka", "Kuching",
          "Kota Kinabalu", "Seremban", "Klang", "Sihanoukville", "Bangkok", "Mae Sot")
NAMES = ("Ms Lina", "Mr Tan", "Kak Ros", "Abang Joe", "Sister May", "Boss Ken", "Ms Aye",
         "Mr Sok", "Anna", "Mr Wong")


@dataclass(frozen=True)
class Template:
    name: str
    language: str
    title: str
    body: str
    # The same ad in another script: written out (title, body) with the same slots, or
    # a function that converts the text.
    other_script: tuple[str, str] | Callable[[str], str] | None = None


TEMPLATES_FILE = Path(__file__).with_name("cluster_templates.yaml")


def load_templates(path: Path = TEMPLATES_FILE) -> tuple[Template, ...]:
    """The templates of ``cluster_templates.yaml``."""
    templates = []
    for spec in yaml.safe_load(path.read_text(encoding="utf-8"))["templates"]:
        other = spec.pop("other_script", None)
        if other and "convert" in other:
            other = {"strip_diacritics": strip_diacritics,
                     "serbian_cyrillic": serbian_cyrillic}[other["convert"]]
        elif other:
            other = (other["title"], other["body"])
        templates.append(Template(other_script=other, **spec))
    return tuple(templates)


FOOTER = ("\n\nGlobal Reach Manpower Sdn Bhd (Licence JTK-1234) is an equal opportunity "
          "employer. All applications are handled in confidence. Apply now! Click the link "
          "or send your CV to hr@globalreach.example.my. Follow us for more vacancies.")

# Unrelated ads one agency posts with the same footer: none of them may merge.
BOILERPLATE_BODIES = (
    ("en", "Accounts executive, Petaling Jaya",
     "Handle accounts payable and receivable, monthly closing and bank reconciliation. "
     "Degree in accounting, two years of experience with SQL Accounting preferred."),
    ("en", "Warehouse supervisor, Port Klang",
     "Lead a team of twelve in inbound and outbound logistics. Forklift licence and "
     "experience with SAP warehouse modules required. Five day week."),
    ("en", "Registered nurse, private hospital Penang",
     "Provide ward care in the surgical unit, rotating shifts. Valid nursing board "
     "registration and BLS certificate required. Housing allowance offered."),
    ("en", "Software tester",
     "Write and run manual and automated tests for our mobile banking app. Selenium or "
     "Appium, an eye for detail and good written English are essential."),
    ("ms", "Pembantu tadbir, Shah Alam",
     "Menguruskan fail, surat-menyurat dan jadual mesyuarat pejabat. SPM dengan kepujian "
     "Bahasa Melayu, mahir Microsoft Office. Waktu pejabat biasa."),
    ("ms", "Juruteknik penyelenggaraan",
     "Menjalankan penyelenggaraan pencegahan mesin pembungkusan. Sijil kemahiran "
     "elektrik atau mekanikal, boleh bekerja syif."),
    ("id", "Staf pemasaran digital",
     "Mengelola kampanye media sosial dan iklan berbayar untuk merek ritel. Pengalaman "
     "minimal satu tahun, mengerti Meta Ads dan Google Analytics."),
    ("zh", "会计助理",
     "负责日常账务处理、发票整理和报税资料准备。大专以上学历，熟悉金蝶或用友软件，"
     "有两年以上工作经验者优先。"),
    ("th", "พนักงานขายประจำสาขา",
     "ดูแลลูกค้าหน้าร้าน จัดสินค้า และทำรายงานยอดขายประจำวัน วุฒิ ปวช. ขึ้นไป "
     "มีใจรักงานบริการ สามารถทำงานเป็นกะได้"),
    ("vi", "Nhân viên kế toán kho",
     "Theo dõi nhập xuất tồn, đối chiếu số liệu với phòng kế toán hàng tháng. Tốt nghiệp "
     "cao đẳng trở lên, thành thạo Excel."),
    ("en", "Chef de partie, hotel kitchen",
     "Run the grill station for breakfast and lunch service, train commis cooks and keep "
     "HACCP records. Culinary diploma and three years in a hotel kitchen."),
    ("en", "Marketing intern",
     "Three month internship supporting events and newsletters. Final year students in "
     "marketing or communications, allowance provided."),
)

_SERBIAN_TO_CYRILLIC = {
    "nj": "њ", "lj": "љ", "dž": "џ", "Nj": "Њ", "Lj": "Љ", "Dž": "Џ",
    **dict(zip("abvgdđežzijklmnoprstćufhcčš", "абвгдђежзијклмнопрстћуфхцчш", strict=True)),
    **dict(zip("ABVGDĐEŽZIJKLMNOPRSTĆUFHCČŠ", "АБВГДЂЕЖЗИЈКЛМНОПРСТЋУФХЦЧШ", strict=True)),
}


def serbian_cyrillic(latin: str) -> str:
    """Serbian Latin to Cyrillic; digraphs first (the mapping is one-to-one)."""
    out, i = [], 0
    while i < len(latin):
        pair = latin[i:i + 2]
        if pair in _SERBIAN_TO_CYRILLIC:
            out.append(_SERBIAN_TO_CYRILLIC[pair])
            i += 2
        else:
            out.append(_SERBIAN_TO_CYRILLIC.get(latin[i], latin[i]))
            i += 1
    return "".join(out)


def strip_diacritics(text: str) -> str:
    """Vietnamese as typed without diacritics (a common re-post)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def slot_values(rng: random.Random) -> dict[str, str]:
    phone = f"+60 1{rng.randint(0, 9)}-{rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    return {
        "city": rng.choice(CITIES),
        "name": rng.choice(NAMES),
        "phone": phone,
        "count": str(rng.choice((5, 8, 10, 15, 20, 30, 50, 100))),
        "age": str(rng.randint(30, 45)),
        "salary_rm": f"RM{rng.randint(25, 60) * 100:,}",
        "salary_usd": str(rng.randint(8, 30) * 100),
        "salary_thb": f"{rng.randint(12, 30) * 1000:,}",
    }


def repost(text: str, rng: random.Random) -> str:
    """The same ad as another poster (or the same one, later) would paste it."""
    emoji = ("🔥", "✅", "💰", "📞", "‼️", "👉", "🌟", "✈️")
    lines = [line for line in text.replace(". ", ".\n").split("\n") if line.strip()]
    lines = [f"{rng.choice(emoji)} {line}" if rng.random() < 0.6 else line for line in lines]
    changed = "\n\n".join(lines) if rng.random() < 0.5 else "  ".join(lines)
    if rng.random() < 0.5:
        changed = changed.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if rng.random() < 0.5:
        changed = changed.replace(" ", " \u200b", 5)
    return f"{rng.choice(emoji)}{rng.choice(emoji)} {changed} {rng.choice(emoji)}"


def other_script(template: Template, title: str, body: str, slots: dict[str, str]
                 ) -> tuple[str, str]:
    if callable(template.other_script):
        return template.other_script(title), template.other_script(body)
    assert template.other_script is not None
    other_title, other_body = template.other_script
    return other_title.format(**slots), other_body.format(**slots)


def sample_site_ads() -> list[tuple[str, str, str, str]]:
    """(name, label, title, text) of every ad the sample sites serve."""
    board = yaml.safe_load((SAMPLE_SITES / "board.yaml").read_text(encoding="utf-8"))
    social = yaml.safe_load((SAMPLE_SITES / "social.yaml").read_text(encoding="utf-8"))
    ads = [(f"board_{p['slug']}", p["label"], p["title"], html_to_text(p["description"]))
           for p in board["postings"]]
    ads += [(f"classifieds_{a['id']}", a["label"], a["title"], a["body"])
            for a in social["classifieds"]]
    ads += [(f"telegram_{p['id']}", p["label"], "", p["text"])
            for p in social["telegram"]["posts"]]
    ads += [(f"mastodon_{s['id']}", s["label"], "", html_to_text(s["text"]))
            for s in social["mastodon"]["statuses"]]
    ads += [(f"rss_{i['guid']}", i["label"], i["title"], html_to_text(i["text"]))
            for i in social["rss"]["items"]]
    return ads


def generate() -> list[dict[str, str]]:
    rng = random.Random(SEED)
    records: list[dict[str, str]] = []

    def add(group: str, kind: str, language: str, title: str, text: str) -> None:
        records.append({"id": f"eval-{len(records):04d}", "group": group, "kind": kind,
                        "language": language, "source": rng.choice(SOURCES),
                        "title": title, "text": text})

    for template in load_templates():
        for variant in range(rng.randint(4, 7)):
            slots = slot_values(rng)
            title, body = template.title.format(**slots), template.body.format(**slots)
            add(template.name, "template", template.language, title, body)
            if variant == 0 or rng.random() < 0.4:
                add(template.name, "repost", template.language, title.upper(),
                    repost(body, rng))
            if template.other_script and (variant == 0 or rng.random() < 0.4):
                add(template.name, "script", template.language,
                    *other_script(template, title, body, slots))
    for number, (language, title, body) in enumerate(BOILERPLATE_BODIES):
        add(f"boilerplate_{number:02d}", "boilerplate", language, title, body + FOOTER)
    for name, label, title, text in sample_site_ads():
        add(f"sample_{name}", "sample_site", "", title, text)
        if label in FLAGGED:
            add(f"sample_{name}", "repost", "", title.upper(), repost(text, rng))
    return records


def main() -> None:
    write_jsonl(OUTPUT, generate())


if __name__ == "__main__":
    main()
