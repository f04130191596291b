"""A landing folder full of bad input (governance-rules.md, "Bad input"), with the expected outcome per row.

`write_bad_landing(path)` writes every landing table and returns `EXPECTED`: for each
(source/table, record id) the quarantine reason the row must get, or "staged".
Timestamps are written as text in some tables (allowed: staging parses text timestamps), so the
files use string columns where the test needs unparseable values.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from scv.landing import TABLES, TABLES_BY_KEY

T0 = datetime(2025, 3, 1, 12, 0)
T1 = datetime(2025, 3, 2, 12, 0)

UNICODE_NAMES = [("Nguyễn Thị", "Hương"), ("Ștefan", "Popescu"), ("美玲", "陳"), ("Niccolò", "D'Alessandro"),
                 ("Trần", "Văn Đức")]
INJECTION = ["'; drop table contacts; --", '=HYPERLINK("http://evil.example","x")', "+SUM(1+1)", "@cmd", "-2+3"]


def _text_ts(key: str) -> pa.Schema:
    """The table's schema with every timestamp column as text (so bad timestamps can be written)."""
    schema = TABLES_BY_KEY[key].schema
    return pa.schema([pa.field(f.name, pa.string() if pa.types.is_timestamp(f.type) else f.type) for f in schema])


def _rows() -> dict[str, tuple[list[dict], dict[str, str]]]:
    """Per table: rows and the expected outcome per id."""
    t0, t1 = T0.isoformat(sep=" "), T1.isoformat(sep=" ")
    crm = [
        dict(contact_id="c-ok", first_name="  Anna ", last_name="ROSSI", email="  Anna.Rossi@Gmail.COM ",
             phone="+39 312 345 6789", country="Italy", date_of_birth="21/03/1985", created_at=t0, updated_at=t1),
        dict(contact_id="c-bad-email", first_name="Bob", email="bob.smith(at)gmail", created_at=t0, updated_at=t1),
        dict(contact_id="c-1900", first_name="Old", date_of_birth="1900-01-01", created_at=t0, updated_at=t1),
        dict(contact_id="c-future-dob", first_name="Future", date_of_birth="2099-05-05", created_at=t0, updated_at=t1),
        dict(contact_id="c-bad-dob", first_name="Nodate", date_of_birth="31/02/1985", created_at=t0, updated_at=t1),
        dict(contact_id="c-us-dob", first_name="Sam", country="US", date_of_birth="03/21/1985", created_at=t0,
             updated_at=t1),
        dict(contact_id="", first_name="Blank id", created_at=t0, updated_at=t1),
        dict(contact_id=None, first_name="Null id", created_at=t0, updated_at=t1),
        dict(contact_id="c-bad-ts", first_name="Bad ts", created_at="yesterday", updated_at=t1),
        dict(contact_id="c-1900-ts", first_name="Old ts", created_at="1900-01-01 00:00:00", updated_at=t1),
        dict(contact_id="c-future-ts", first_name="Future ts", created_at=t0, updated_at="2199-01-01 00:00:00"),
        dict(contact_id="c-dup", first_name="Dup", created_at=t0, updated_at=t1),
        dict(contact_id="c-dup", first_name="Dup", created_at=t0, updated_at=t1),
        dict(contact_id="c-conflict", first_name="Conflict A", created_at=t0, updated_at=t1),
        dict(contact_id="c-conflict", first_name="Conflict B", created_at=t0, updated_at=t1),
        dict(contact_id="c-versioned", first_name="Old version", created_at=t0, updated_at=t0),
        dict(contact_id="c-versioned", first_name="New version", created_at=t0, updated_at=t1),
        dict(contact_id="c-empty-strings", first_name="", last_name="   ", email="", phone=" ", created_at=t0,
             updated_at=t1),
        dict(contact_id="c-merged", first_name="Anna", last_name="Rossi", merged_into_contact_id="c-ok",
             is_deleted=False, created_at=t0, updated_at=t1),
        dict(contact_id="c-deleted", first_name="Gone", is_deleted=True, created_at=t0, updated_at=t1),
        dict(contact_id="c-junk", first_name="Test", last_name="Test", email="test@test.com", phone="000000",
             created_at=t0, updated_at=t1),
    ]
    crm += [dict(contact_id=f"c-unicode-{i}", first_name=f, last_name=lname, created_at=t0, updated_at=t1)
            for i, (f, lname) in enumerate(UNICODE_NAMES)]
    crm += [dict(contact_id=f"c-inject-{i}", first_name=s, last_name=s, company=s, created_at=t0, updated_at=t1)
            for i, s in enumerate(INJECTION)]
    crm_expected = {r["contact_id"]: "staged" for r in crm if r["contact_id"]}
    crm_expected.update({"c-bad-ts": "invalid_timestamp:created_at", "c-1900-ts": "invalid_timestamp:created_at",
                         "c-future-ts": "invalid_timestamp:updated_at", "c-conflict": "conflicting_duplicate_key"})

    orders = [
        dict(order_id="o-ok", customer_id="s-1", email="A@B.COM", created_at=t0, currency="eur", total_price="10.50",
             financial_status="PAID"),
        dict(order_id="o-neg", created_at=t0, currency="EUR", total_price="-5", financial_status="paid"),
        dict(order_id="o-huge", created_at=t0, currency="EUR", total_price="1e12", financial_status="paid"),
        dict(order_id="o-nan", created_at=t0, currency="EUR", total_price="abc", financial_status="paid"),
        dict(order_id="o-cur", created_at=t0, currency="euro", total_price="10", financial_status="paid"),
        dict(order_id="o-status", created_at=t0, currency="EUR", total_price="10", financial_status="maybe"),
        dict(order_id="o-guest", customer_id=None, email="guest@example.org", created_at=t0, currency="USD",
             total_price="99.99", financial_status="refunded"),
        dict(order_id="o-dup", created_at=t0, currency="USD", total_price="1", financial_status="paid"),
        dict(order_id="o-dup", created_at=t0, currency="USD", total_price="1", financial_status="paid"),
    ]
    orders_expected = {r["order_id"]: "staged" for r in orders}
    orders_expected.update({"o-neg": "invalid_amount:total_price", "o-huge": "invalid_amount:total_price",
                            "o-nan": "invalid_amount:total_price", "o-cur": "invalid_currency",
                            "o-status": "invalid_value:financial_status"})

    consent = [
        dict(consent_event_id="ce-ok", subject_type="email", subject_value="a@b.com", purpose="marketing_email",
             action="granted", lawful_basis="consent", occurred_at=t0, recorded_at=t1, source_system="email",
             collection_point="footer", notice_version="v1", method="checkbox"),
        dict(consent_event_id="ce-bad-action", subject_type="email", subject_value="a@b.com",
             purpose="marketing_email", action="maybe", lawful_basis="consent", occurred_at=t0, recorded_at=t1,
             source_system="email"),
        dict(consent_event_id="ce-bad-purpose", subject_type="email", subject_value="a@b.com", purpose="spam",
             action="granted", lawful_basis="consent", occurred_at=t0, recorded_at=t1, source_system="email"),
    ]
    consent_expected = {"ce-ok": "staged", "ce-bad-action": "invalid_value:action",
                        "ce-bad-purpose": "invalid_value:purpose"}

    members = [
        dict(card_id="lc-ok", first_name="Ștefan", last_name="Popescu", email="STEFAN@YAHOO.RO",
             date_of_birth="19850321", enrolled_at=t0, points_balance=10),
        dict(card_id="lc-neg-points", first_name="Neg", enrolled_at=t0, points_balance=-10),
        dict(card_id=" ", first_name="Blank id", enrolled_at=t0),
    ]
    members_expected = {"lc-ok": "staged", "lc-neg-points": "staged"}

    web = [
        dict(event_id="we-ok", anonymous_id="a-1", user_id="s-1", event_type="PAGE_VIEW", occurred_at=t0),
        dict(event_id="we-no-anon", anonymous_id=None, event_type="page_view", occurred_at=t0),
        dict(event_id="we-bad-ts", anonymous_id="a-1", event_type="page_view", occurred_at="31/31/2025 99:99"),
    ]
    web_expected = {"we-ok": "staged", "we-bad-ts": "invalid_timestamp:occurred_at"}

    return {
        "crm/contacts": (crm, crm_expected),
        "shop/orders": (orders, orders_expected),
        "consent/events": (consent, consent_expected),
        "loyalty/members": (members, members_expected),
        "web/events": (web, web_expected),
    }


def write_bad_landing(path: Path) -> dict[str, dict[str, str]]:
    """Write the bad-input landing folder; every table not listed above is written with zero rows."""
    expected: dict[str, dict[str, str]] = {}
    rows = _rows()
    for t in TABLES:
        out = t.path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        if t.key in rows:
            data, outcome = rows[t.key]
            schema = _text_ts(t.key)
            # money and counts as text too, so unparseable amounts can be written
            schema = pa.schema([pa.field(f.name, pa.string()) if f.name in ("total_price", "amount", "total_amount")
                                else f for f in schema])
            pq.write_table(pa.Table.from_pylist(data, schema=schema), out)
            expected[t.key] = outcome
        else:
            pq.write_table(t.schema.empty_table(), out)
    return expected
