"""Redacted referrals: case exports with contacts and names of people as pseudonyms."""

from __future__ import annotations

import csv
import io
import json

from classifiers.contacts import contacts_record, find_contacts
from lurewatch.record import Ad, Indicator, Label, Span
from tests.review_ui.conftest import Env
from tests.review_ui.seed import T0, XSS, XSS_TITLE

EMPLOYER = "Maju Jaya Sdn Bhd"
FORWARDER = "Rina Abdullah"
# Every written form of a contact in the records below; none may be left in an export.
RAW = ["012-345 6789", "+60 12-345 6789", "+60123456789", "ejen.rina@gmail.com",
       "rina_agent", "rina88", "wa.me/60198765432", "60198765432", "jobs.example.my/ring",
       "rina_channel", FORWARDER]


def _span(text: str, phrase: str) -> Span:
    start = text.index(phrase)
    return Span(start=start, end=start + len(phrase), text=phrase)


def _ad(n: int, title: str, text: str, **fields: object) -> Ad:
    return Ad(source="fb_group_my", url=f"https://jobs.example.my/ring/{n}", title=title,
              text=text, language="ms", country="MY", employer=EMPLOYER, fetched_at=T0,
              risk_label=Label.deceptive_recruitment, risk_score=0.9,
              contacts=contacts_record(find_contacts(f"{title}\n{text}", "MY", ["ms"])),
              indicators=[Indicator(id="unrealistic_pay", score=0.9,
                                    spans=[_span(text, "gaji RM")]),
                          Indicator(id="private_messaging_only", score=0.9,
                                    spans=[_span(text, "call +60 12-345 6789 or line"
                                                 if n == 2 else "Hubungi 012-345")])],
              **fields)  # type: ignore[arg-type]


FIRST = _ad(1, "Kerja kilang, WhatsApp 012-345 6789",
            "Hubungi 012-345 6789 atau emel ejen.rina@gmail.com, telegram: @rina_agent. "
            f"Majikan {EMPLOYER}, gaji RM6000.")
SECOND = _ad(2, "Kilang Penang", f"{FORWARDER} kata: call +60 12-345 6789 or line id: rina88, "
             "https://wa.me/60198765432 gaji RM5000.", forwarded_from=FORWARDER,
             post_id="rina_channel/77")


def _case(env: Env) -> int:
    env.store.upsert([FIRST, SECOND, XSS])
    case_id = env.db.add_case("Ring", "ivan", [FIRST.id, SECOND.id, XSS.id])
    env.db.add_note(FIRST.id, "ivan", "Same number as 012-345 6789 on the other board")
    return case_id


def test_redacted_exports_carry_no_contact(env: Env) -> None:
    case_id = _case(env)
    ivan = env.client("ivan")
    bodies = {form: ivan.get(f"/cases/{case_id}/{path}?redact=1")
              for form, path in (("csv", "export.csv"), ("json", "export.json"),
                                 ("report", "report"))}
    for form, response in bodies.items():
        assert response.status_code == 200, (form, response.status_code)
        for raw in RAW:
            assert raw not in response.text, (form, raw)
        assert EMPLOYER in response.text, form
    assert "redacted" in bodies["csv"].headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(bodies["csv"].text)))
    phone = rows[0]["phones"]
    assert phone == "[phone-1]" and rows[1]["phones"] == phone  # the same number, one name
    assert rows[0]["text"].startswith("Hubungi [phone-1] atau emel [email-1]")
    assert rows[0]["employer"] == EMPLOYER and "[phone-1]" in rows[0]["notes"]
    records = json.loads(bodies["json"].text)["records"]
    assert records[1]["post_id"] == "[post-1]"
    assert records[1]["forwarded_from"] == "[name-1]" and records[1]["text"].startswith(
        "[name-1] kata: call [phone-1]")
    # Evidence offsets point into the redacted text; a span that ends inside a phone
    # takes in its pseudonym whole.
    evidence = [[(record["text"][s["start"]:s["end"]], s["text"])
                 for indicator in record["indicators"] for s in indicator["spans"]]
                for record in records[:2]]
    assert evidence == [[("gaji RM", "gaji RM"), ("Hubungi [phone-1]", "Hubungi [phone-1]")],
                        [("gaji RM", "gaji RM"),
                         ("call [phone-1] or line", "call [phone-1] or line")]]
    report = bodies["report"].text
    assert 'id="redacted-notice"' in report
    assert XSS_TITLE not in report and "&lt;script&gt;window.__xss" in report
    assert "<script>window" not in report
    details = [e.detail for e in env.db.audit_entries(action="export")]
    assert details == ["report, 3 records, redacted", "json, 3 records, redacted",
                       "csv, 3 records, redacted"]


def test_pseudonyms_stay_the_same_across_exports_and_new_records(env: Env) -> None:
    case_id = _case(env)
    ivan = env.client("ivan")
    first = ivan.get(f"/cases/{case_id}/export.csv?redact=1").text
    assert ivan.get(f"/cases/{case_id}/export.csv?redact=1").text == first
    other = env.db.add_case("Other", "ivan", [SECOND.id])
    # Numbering is per case: the second case's first phone is its own [phone-1].
    rows = list(csv.DictReader(io.StringIO(
        ivan.get(f"/cases/{other}/export.csv?redact=1").text)))
    assert rows[0]["phones"] == "[phone-1]"


def test_mapping_shown_to_an_investigator_refused_to_an_analyst(env: Env) -> None:
    case_id = _case(env)
    ivan = env.client("ivan")
    assert "No redacted export" in ivan.get(f"/cases/{case_id}/pseudonyms").text
    ivan.get(f"/cases/{case_id}/export.json?redact=1")
    page = ivan.get(f"/cases/{case_id}/pseudonyms").text
    assert "<td>[phone-1]</td><td>phone</td><td>+60123456789</td>" in page
    assert "<td>[email-1]</td><td>email</td><td>ejen.rina@gmail.com</td>" in page
    assert f"<td>[name-1]</td><td>name</td><td>{FORWARDER}</td>" in page
    assert "&lt;script&gt;" in page and '"><script>window.__xss="handle"' not in page
    assert "export-redacted-csv" in ivan.get(f"/cases/{case_id}").text
    ana = env.client("ana")
    for path in ("pseudonyms", "export.csv?redact=1", "report?redact=1"):
        assert ana.get(f"/cases/{case_id}/{path}").status_code == 403, path
    assert [e.actor for e in env.db.audit_entries(action="pseudonyms_viewed")] == [
        "ivan", "ivan"]

