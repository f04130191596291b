"""Each source system's partial, imperfect view of the people of one chunk."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa

from ..landing import TABLES, TABLES_BY_KEY
from . import render
from .people import EmailRegistry, Person, make_email, random_time
from .rates import HARD_CASE_RATES as R
from .vocab import CATEGORIES, JUNK_EMAILS, JUNK_NAMES, JUNK_PHONES, LOCALES

# Share of people each system knows.
REACH = {"crm": 0.15, "shop": 0.4, "guest_only": 0.12, "loyalty": 0.22, "store_anonymous": 0.3, "web": 0.55,
         "email": 0.35, "support": 0.1, "ads": 0.06, "sms_consent": 0.1, "privacy": 0.004,
         "profiling_objection": 0.01, "profiling_consent": 0.12}

IDENTITY_TABLES = tuple(t.key for t in TABLES if t.identity_bearing)


class Batch:
    """Rows of one chunk, per landing table, plus the truth rows of identity-bearing records."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, list]] = {t.key: {c.name: [] for c in t.columns} for t in TABLES}
        self.truth: dict[str, list] = {"source": [], "table": [], "record_id": [], "person_id": [], "hard_cases": []}
        self.arrow: dict[str, list[pa.Table]] = {t.key: [] for t in TABLES}

    def add(self, key: str, row: dict, person_id: str | None = None, tags=()) -> None:
        cols = self.rows[key]
        for column, values in cols.items():
            values.append(row.get(column))
        if person_id is not None:
            source, table = key.split("/")
            self.truth_row(source, table, row[TABLES_BY_KEY[key].id_column], person_id, tags)

    def truth_row(self, source: str, table: str, record_id: str, person_id: str, tags) -> None:
        self.truth["source"].append(source)
        self.truth["table"].append(table)
        self.truth["record_id"].append(record_id)
        self.truth["person_id"].append(person_id)
        self.truth["hard_cases"].append(",".join(sorted(set(tags))))

    def table(self, key: str) -> pa.Table:
        schema = TABLES_BY_KEY[key].schema
        parts = [pa.Table.from_pydict(self.rows[key], schema=schema)] + self.arrow[key]
        return pa.concat_tables(parts) if len(parts) > 1 else parts[0]


class Ids:
    """Deterministic, unique, realistic-looking ids per table for one chunk."""

    def __init__(self, chunk: int) -> None:
        self.chunk = chunk
        self.counters: dict[str, int] = {}

    def next(self, prefix: str) -> str:
        n = self.counters.get(prefix, 0)
        self.counters[prefix] = n + 1
        return f"{prefix}{self.chunk:05d}{n:07d}"


def _ts(t: datetime) -> datetime:
    return t.replace(microsecond=0)


def observe(rng: random.Random, nprng: np.random.Generator, people: list[Person], chunk: int,
            start: datetime, end: datetime, registry: EmailRegistry) -> Batch:
    b = Batch()
    ids = Ids(chunk)
    # (anonymous_id, user_id, start, n_events, login_pos, device, utm index, email click id or None)
    sessions: list[tuple] = []
    # (subscriber_id, active_from, active_to, open_p, hard_bounce, unsubscribed_at, a device of the person or None)
    subscribers: list[tuple] = []
    orders_for_lines: list[tuple] = []  # (order_id, subtotal, n_lines)
    for p in people:
        loc = LOCALES[p.loc]
        country = loc.country
        person_tags = list(p.tags)
        first_seen = random_time(rng, start, end - timedelta(days=30))

        # --- CRM contacts (with the CRM's own duplicates, merges, soft deletes and history) ---
        crm_ids: list[str] = []
        if rng.random() < REACH["crm"]:
            copies = 2 if rng.random() < R["crm_duplicate"] else 1
            for copy in range(copies):
                created = random_time(rng, first_seen - timedelta(days=400), end) if copy == 0 else \
                    random_time(rng, first_seen, end)
                created = max(created, start - timedelta(days=700))
                updated = random_time(rng, created, end)
                cid = ids.next("CRM")
                first, last, tags = render.name(rng, p, updated)
                em, etags = render.email(rng, p, updated)
                ph, ptags = render.phone(rng, p)
                dob, dtags = render.birth_date(rng, p)
                addr = p.address_at(updated)
                row = {
                    "contact_id": cid, "first_name": render.maybe(rng, 0.97, first),
                    "last_name": render.maybe(rng, 0.95, last), "email": render.maybe(rng, 0.85, em),
                    "phone": render.maybe(rng, 0.6, ph), "company": render.maybe(rng, 0.4, "Acme " + loc.country),
                    "street": render.maybe(rng, 0.5, addr.street), "city": render.maybe(rng, 0.55, addr.city),
                    "postcode": render.maybe(rng, 0.5, addr.postcode),
                    "country": render.maybe(rng, 0.7, rng.choice((country, country, _country_name(country)))),
                    "date_of_birth": render.maybe(rng, 0.2, dob), "created_at": _ts(created),
                    "updated_at": _ts(updated), "is_deleted": rng.random() < R["crm_soft_deleted"],
                    "merged_into_contact_id": None,
                }
                tags += etags + ptags + dtags + person_tags
                if row["is_deleted"]:
                    tags.append("crm_soft_deleted")
                if copy == 1:
                    tags.append("crm_duplicate")
                    if rng.random() < R["crm_merged"]:
                        row["merged_into_contact_id"] = crm_ids[0]
                        tags.append("crm_merged")
                if rng.random() < R["superseded_version"] and updated > created:
                    old = dict(row, updated_at=_ts(created), email=render.maybe(rng, 0.85, render.email(rng, p, created)[0]))
                    b.add("crm/contacts", old)
                    tags.append("superseded_version")
                b.add("crm/contacts", row, p.person_id, tags)
                crm_ids.append(cid)

        # --- shop accounts, orders (buy-till-you-die), guest checkouts ---
        account_ids: list[tuple[str, datetime]] = []
        if rng.random() < REACH["shop"]:
            n_accounts = 2 if rng.random() < R["second_shop_account"] else 1
            for a in range(n_accounts):
                created = random_time(rng, first_seen, end - timedelta(days=7))
                updated = random_time(rng, created, end)
                sid = ids.next("")
                first, last, tags = render.name(rng, p, updated)
                if a == 0:
                    em, etags = render.email(rng, p, updated)
                else:
                    # a second account needs another address: a new one of the person's own
                    em = make_email(rng, p.first_name, p.last_name_at(updated), p.loc, registry)
                    etags = ["second_shop_account"]
                ph, ptags = render.phone(rng, p)
                addr = p.address_at(updated)
                row = {
                    "customer_id": sid, "email": render.maybe(rng, 0.98, em), "first_name": first,
                    "last_name": last, "phone": render.maybe(rng, 0.5, ph),
                    "accepts_marketing": rng.random() < 0.45, "street": render.maybe(rng, 0.8, addr.street),
                    "city": render.maybe(rng, 0.8, addr.city), "postcode": render.maybe(rng, 0.8, addr.postcode),
                    "country": country, "created_at": _ts(created), "updated_at": _ts(updated),
                }
                if rng.random() < R["superseded_version"] and updated > created:
                    b.add("shop/customers", dict(row, updated_at=_ts(created)))
                    tags.append("superseded_version")
                b.add("shop/customers", row, p.person_id, tags + etags + ptags + person_tags)
                account_ids.append((sid, created))
                if row["accepts_marketing"] and row["email"]:
                    _consent(rng, b, ids, p, "shop_customer", sid, "marketing_email", created, "shop",
                             "checkout_optin", "checkbox")
        if account_ids:
            sid, created = account_ids[0]
            for t in _purchase_times(rng, p, created, end):
                guest = rng.random() < R["guest_checkout"]
                _order(rng, b, ids, p, t, None if guest else sid, orders_for_lines, ["guest_checkout"] if guest else [])
        elif rng.random() < REACH["guest_only"]:
            t0 = random_time(rng, first_seen, end)
            for _ in range(rng.choice((1, 1, 1, 2, 3))):
                if t0 > end:
                    break
                _order(rng, b, ids, p, t0, None, orders_for_lines, ["guest_checkout"])
                t0 += timedelta(days=rng.randint(10, 300))

        # --- loyalty members and store visits ---
        card_id = None
        if rng.random() < REACH["loyalty"]:
            enrolled = random_time(rng, first_seen - timedelta(days=200), end - timedelta(days=5))
            card_id = ids.next("LC")
            first, last, tags = render.name(rng, p, enrolled, ascii_only=True)
            em, etags = render.email(rng, p, enrolled)
            ph, ptags = render.phone(rng, p)
            dob, dtags = render.birth_date(rng, p)
            b.add("loyalty/members", {
                "card_id": card_id, "first_name": first, "last_name": last, "email": render.maybe(rng, 0.7, em),
                "phone": render.maybe(rng, 0.8, ph), "date_of_birth": render.maybe(rng, 0.6, dob),
                "postcode": render.maybe(rng, 0.7, p.address_at(enrolled).postcode), "enrolled_at": _ts(enrolled),
                "tier": rng.choices(("bronze", "silver", "gold", "platinum"), weights=(60, 25, 12, 3))[0],
                "points_balance": rng.randint(0, 5000),
            }, p.person_id, tags + etags + ptags + dtags + person_tags)
            visits = _poisson(rng, 8)
            for _ in range(visits):
                t = random_time(rng, max(enrolled, start), end)
                _pos(rng, b, ids, p, t, card_id if rng.random() < 0.75 else None)
        if card_id is None and rng.random() < REACH["store_anonymous"]:
            for _ in range(rng.randint(1, 4)):
                _pos(rng, b, ids, p, random_time(rng, start, end), None)

        # --- web: devices (anonymous ids), sessions, logins ---
        devices: list[str] = []
        if rng.random() < REACH["web"]:
            for _ in range(rng.choices((1, 2, 3), weights=(60, 30, 10))[0]):
                anon = ids.next("anon-")
                devices.append(anon)
                device = rng.choice(("desktop", "mobile", "mobile", "tablet"))
                n_sessions = 1 + _poisson(rng, 3)
                for _ in range(n_sessions):
                    t = random_time(rng, first_seen - timedelta(days=60), end)
                    if t < start:
                        t = random_time(rng, start, end)
                    user = None
                    login_pos = -1
                    n_events = 1 + min(_poisson(rng, 3), 25)
                    eligible = [sid for sid, created in account_ids if created <= t]
                    if eligible and rng.random() < 0.35:
                        user = eligible[0]
                        login_pos = rng.randrange(n_events)
                    sessions.append((anon, user, t, n_events, login_pos, device, rng.randrange(8), None))
                b.truth_row("web", "events", anon, p.person_id, person_tags)

        # --- email subscribers (and their consent) ---
        if rng.random() < REACH["email"]:
            sub_id = ids.next("SUB")
            opted = random_time(rng, first_seen - timedelta(days=100), end - timedelta(days=3))
            opted = max(opted, start - timedelta(days=300))
            em, etags = render.email(rng, p, opted)
            doi_required = country in ("DE", "AT")
            confirmed = opted + timedelta(minutes=rng.randint(2, 3000)) if (doi_required or rng.random() < 0.5) else None
            status = "subscribed"
            unsub = None
            hard_bounce = False
            if confirmed is None and doi_required:
                status = "pending"
            if doi_required and rng.random() < 0.05:
                status, confirmed = "pending", None
            roll = rng.random()
            if status == "subscribed" and roll < 0.15:
                status, unsub = "unsubscribed", random_time(rng, max(opted, start), end)
            elif status == "subscribed" and (roll < 0.18 or "malformed_email" in etags):
                status, hard_bounce = "cleaned", True
            b.add("email/subscribers", {
                "subscriber_id": sub_id, "email": em,
                "first_name": render.maybe(rng, 0.5, render.name(rng, p, opted)[0]), "status": status,
                "opted_in_at": _ts(opted), "confirmed_at": _ts(confirmed) if confirmed else None,
                "unsubscribed_at": _ts(unsub) if unsub else None,
                "signup_source": rng.choice(("footer_form", "checkout", "popup", "store", "import")),
            }, p.person_id, etags + person_tags)
            if status != "pending":
                active_from = max(opted, start)
                subscribers.append((sub_id, active_from, unsub or end, rng.betavariate(2, 6), hard_bounce, unsub,
                                    devices[0] if devices else None))
            _consent(rng, b, ids, p, "email", em, "marketing_email", opted, "email", "newsletter_signup",
                     "double_opt_in" if confirmed else "checkbox", doi_confirmed_at=confirmed)
            if unsub:
                _consent(rng, b, ids, p, "email", em, "marketing_email", unsub, "email", None, "unsubscribe_link",
                         action="withdrawn")

        # --- support tickets ---
        if rng.random() < REACH["support"]:
            for _ in range(rng.choice((1, 1, 2, 3))):
                created = random_time(rng, first_seen, end)
                first, last, tags = render.name(rng, p, created, ascii_only=True)
                em, etags = render.email(rng, p, created)
                ph, ptags = render.phone(rng, p)
                solved = created + timedelta(hours=rng.randint(1, 400)) if rng.random() < 0.85 else None
                b.add("support/tickets", {
                    "ticket_id": ids.next("T"),
                    "requester_name": render.maybe(rng, 0.9, f"{first} {last}" if rng.random() < 0.85 else first),
                    "requester_email": render.maybe(rng, 0.9, em), "requester_phone": render.maybe(rng, 0.3, ph),
                    "channel": rng.choice(("email", "phone", "chat", "web")),
                    "subject": rng.choice(("Where is my order?", "Return request", "Wrong size", "Refund",
                                           "Account help", "Damaged item")),
                    "status": "solved" if solved and solved < end else rng.choice(("open", "pending")),
                    "created_at": _ts(created), "solved_at": _ts(solved) if solved and solved < end else None,
                    "satisfaction_score": rng.randint(1, 5) if solved and rng.random() < 0.4 else None,
                }, p.person_id, tags + etags + ptags + person_tags)

        # --- social lead forms ---
        if rng.random() < REACH["ads"]:
            created = random_time(rng, first_seen - timedelta(days=30), end)
            created = max(created, start)
            first, last, tags = render.name(rng, p, created)
            em, etags = render.email(rng, p, created)
            ph, ptags = render.phone(rng, p)
            b.add("ads/leads", {
                "lead_id": ids.next("L"), "platform": rng.choice(("instagram", "facebook")),
                "campaign": rng.choice(("spring_sale", "new_collection", "giveaway", "newsletter")),
                "full_name": render.maybe(rng, 0.95, f"{first} {last}"), "email": render.maybe(rng, 0.95, em),
                "phone": render.maybe(rng, 0.6, ph), "created_at": _ts(created),
            }, p.person_id, tags + etags + ptags + person_tags)

        # --- other consent and privacy requests ---
        if rng.random() < REACH["sms_consent"]:
            ph, _ = render.phone(rng, p)
            t = random_time(rng, start, end)
            _consent(rng, b, ids, p, "phone", ph, "marketing_sms", t, "shop", "sms_keyword", "api")
            if rng.random() < 0.2:
                _consent(rng, b, ids, p, "phone", ph, "marketing_sms", random_time(rng, t, end), "shop", None,
                         "api", action="withdrawn")
        if rng.random() < REACH["profiling_objection"]:
            _consent(rng, b, ids, p, "email", p.email_at(end), "profiling", random_time(rng, start, end), "privacy",
                     "preference_centre", "preference_centre", action="objected", lawful_basis="legitimate_interest")
        if rng.random() < REACH["privacy"]:
            kind = rng.choices(("erasure", "access", "objection", "rectification"), weights=(45, 30, 20, 5))[0]
            if account_ids and rng.random() < 0.3:
                subject_type, subject_value = "shop_customer", account_ids[0][0]
            elif crm_ids and rng.random() < 0.3:
                subject_type, subject_value = "crm_contact", crm_ids[0]
            else:
                subject_type, subject_value = "email", p.email_at(end)
            received = random_time(rng, start, end - timedelta(days=1))
            verified = received + timedelta(days=rng.randint(0, 5)) if rng.random() < 0.9 else None
            done = verified + timedelta(days=rng.randint(1, 25)) if verified and rng.random() < 0.8 else None
            done = done if done and done < end else None
            b.add("privacy/requests", {
                "request_id": ids.next("DSR"), "request_type": kind, "subject_type": subject_type,
                "subject_value": subject_value, "received_at": _ts(received),
                "verified_at": _ts(verified) if verified and verified < end else None,
                "completed_at": _ts(done) if done else None,
                "status": "completed" if done else ("verified" if verified and verified < end else "received"),
            })

    _junk(rng, b, ids, start, end)
    _order_lines(nprng, b, ids, orders_for_lines)
    # email clicks open web sessions (tagged with the subscriber's click id) on the person's device
    sessions.extend(_email_events(nprng, b, ids, subscribers, start, end))
    _web_events(nprng, b, ids, sessions, start, end)
    _profiling_consents(random.Random(rng.getrandbits(64)), b, ids, people, start, end)
    return b


def _profiling_consents(rng: random.Random, b: Batch, ids: Ids, people: list[Person], start: datetime,
                        end: datetime) -> None:
    """Preference-centre grants of profiling (personalised ads, segments), some withdrawn later.

    Drawn last, from a stream of their own, so adding them changed nothing else in the world."""
    for p in people:
        if rng.random() >= REACH["profiling_consent"]:
            continue
        t = random_time(rng, start, end)
        em = p.email_at(t)
        _consent(rng, b, ids, p, "email", em, "profiling", t, "shop", "preference_centre", "preference_centre")
        if rng.random() < 0.15:
            _consent(rng, b, ids, p, "email", em, "profiling", random_time(rng, t, end), "shop", "preference_centre",
                     "preference_centre", action="withdrawn")


_COUNTRY_NAMES = {"US": "United States", "GB": "United Kingdom", "IT": "Italia", "RO": "România",
                  "VN": "Việt Nam", "TW": "Taiwan", "DE": "Deutschland"}


def _country_name(code: str) -> str:
    return _COUNTRY_NAMES.get(code, code)


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: fine for the small means used here.
    limit, k, prod = math.exp(-mean), 0, rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k


def _purchase_times(rng: random.Random, p: Person, first: datetime, end: datetime) -> list[datetime]:
    """BG/NBD: first purchase at sign-up, then exponential gaps at the person's rate until dropout."""
    times = [first]
    t = first
    while True:
        if rng.random() < p.dropout_p:
            break
        t = t + timedelta(weeks=rng.expovariate(max(p.purchase_rate, 1e-4)))
        if t >= end:
            break
        times.append(t)
    return times


def _order(rng, b: Batch, ids: Ids, p: Person, t: datetime, customer_id, lines: list, tags: list[str]) -> None:
    loc = LOCALES[p.loc]
    oid = ids.next("#")
    spend = max(1.0, rng.gammavariate(6.0, p.mean_spend / 6.0))
    subtotal = round(spend, 2)
    discount = round(subtotal * 0.1, 2) if rng.random() < 0.2 else 0.0
    total = round(subtotal - discount, 2)
    tax = round(total - total / 1.2, 2)
    status = rng.choices(("paid", "refunded", "partially_refunded", "pending", "voided"),
                         weights=(88, 5, 3, 2, 2))[0]
    first, last, ntags = render.name(rng, p, t)
    em, etags = render.email(rng, p, t)
    ph, ptags = render.phone(rng, p)
    addr = p.address_at(t)
    utm = rng.random()
    landing = None
    if utm < 0.3:
        src, med = rng.choice((("google", "cpc"), ("facebook", "paid_social"), ("instagram", "paid_social"),
                               ("newsletter", "email"), ("affiliate", "referral")))
        landing = f"https://shop.example.com/?utm_source={src}&utm_medium={med}&utm_campaign=c{rng.randint(1, 30)}"
    row = {
        "order_id": oid, "customer_id": customer_id, "email": render.maybe(rng, 0.97, em), "created_at": _ts(t),
        "currency": loc.currency, "total_price": total, "subtotal_price": subtotal, "total_discounts": discount,
        "total_tax": tax, "financial_status": status,
        "cancelled_at": _ts(t + timedelta(hours=rng.randint(1, 48))) if status == "voided" else None,
        "billing_first_name": first, "billing_last_name": last, "billing_phone": render.maybe(rng, 0.4, ph),
        "shipping_street": addr.street, "shipping_city": addr.city, "shipping_postcode": addr.postcode,
        "shipping_country": loc.country, "landing_site": landing,
        "source_name": rng.choices(("web", "mobile_app", "pos"), weights=(70, 25, 5))[0],
    }
    b.add("shop/orders", row, p.person_id, tags + ntags + etags + ptags + list(p.tags))
    lines.append((oid, subtotal, 1 + min(_poisson(rng, 1.5), 8)))
    if status in ("refunded", "partially_refunded"):
        amount = total if status == "refunded" else round(total * rng.uniform(0.1, 0.7), 2)
        b.add("shop/refunds", {"refund_id": ids.next("R"), "order_id": oid,
                               "created_at": _ts(t + timedelta(days=rng.randint(2, 40))), "amount": amount})


def _pos(rng, b: Batch, ids: Ids, p: Person, t: datetime, card_id) -> None:
    loc = LOCALES[p.loc]
    b.add("pos/transactions", {
        "transaction_id": ids.next("TX"), "store_id": f"{loc.country}-{rng.randint(1, 12):03d}",
        "loyalty_card_id": card_id, "occurred_at": _ts(t), "currency": loc.currency,
        "total_amount": round(rng.gammavariate(2.0, 20.0) + 1, 2), "items_count": rng.randint(1, 8),
        "payment_method": rng.choice(("card", "card", "cash", "mobile")),
    })


def _consent(rng, b: Batch, ids: Ids, p: Person, subject_type: str, subject_value: str, purpose: str,
             t: datetime, source_system: str, collection_point, method: str, action: str = "granted",
             lawful_basis: str = "consent", doi_confirmed_at=None) -> None:
    loc = LOCALES[p.loc]
    notice = rng.choice(("2023-09", "2024-05", "2025-02"))
    if action == "granted" and rng.random() < R["consent_missing_proof"]:
        if rng.random() < 0.5:
            collection_point = None
        else:
            notice = None
    b.add("consent/events", {
        "consent_event_id": ids.next("CE"), "subject_type": subject_type, "subject_value": subject_value,
        "purpose": purpose, "action": action, "lawful_basis": lawful_basis, "occurred_at": _ts(t),
        "recorded_at": _ts(t + timedelta(seconds=rng.randint(0, 7200))), "source_system": source_system,
        "collection_point": collection_point, "notice_version": notice if action == "granted" else None,
        "method": method, "doi_confirmed_at": _ts(doi_confirmed_at) if doi_confirmed_at else None,
        "evidence_ref": f"ev-{rng.getrandbits(48):012x}", "jurisdiction": loc.country,
    })


def _junk(rng, b: Batch, ids: Ids, start: datetime, end: datetime) -> None:
    """Staff test records: junk values that must never link anything (each is its own 'person')."""
    for key in ("crm/contacts", "shop/customers", "loyalty/members", "support/tickets", "ads/leads"):
        n = sum(1 for _ in range(len(b.rows[key][TABLES_BY_KEY[key].id_column])) if rng.random() < R["junk_record"])
        for _ in range(n):
            first, last = rng.choice(JUNK_NAMES)
            jid = ids.next("J")
            t = _ts(random_time(rng, start, end))
            em, ph = rng.choice(JUNK_EMAILS), rng.choice(JUNK_PHONES)
            row = {
                "crm/contacts": {"contact_id": ids.next("CRM"), "first_name": first, "last_name": last, "email": em,
                                 "phone": ph, "created_at": t, "updated_at": t, "is_deleted": False},
                "shop/customers": {"customer_id": ids.next(""), "email": em, "first_name": first, "last_name": last,
                                   "phone": ph, "accepts_marketing": False, "country": "US", "created_at": t,
                                   "updated_at": t},
                "loyalty/members": {"card_id": ids.next("LC"), "first_name": first, "last_name": last, "email": em,
                                    "phone": ph, "postcode": "00000", "enrolled_at": t, "tier": "bronze",
                                    "points_balance": 0},
                "support/tickets": {"ticket_id": ids.next("T"), "requester_name": f"{first} {last}",
                                    "requester_email": em, "requester_phone": ph, "channel": "web",
                                    "subject": "test", "status": "solved", "created_at": t},
                "ads/leads": {"lead_id": ids.next("L"), "platform": "facebook", "full_name": f"{first} {last}",
                              "email": em, "phone": ph, "created_at": t},
            }[key]
            b.add(key, row, f"J{jid[1:]}", ["junk_record"])


def _order_lines(nprng: np.random.Generator, b: Batch, ids: Ids, orders: list) -> None:
    if not orders:
        return
    order_ids = np.array([o[0] for o in orders], dtype=object)
    subtotals = np.array([o[1] for o in orders])
    n_lines = np.array([o[2] for o in orders])
    idx = np.repeat(np.arange(len(orders)), n_lines)
    weights = nprng.gamma(1.0, 1.0, size=len(idx))
    share = weights / np.bincount(idx, weights=weights)[idx]
    quantity = nprng.choice([1, 1, 1, 2, 3], size=len(idx))
    unit = np.round(subtotals[idx] * share / quantity, 2)
    sku_n = nprng.integers(1, 400, size=len(idx))
    category = np.array(CATEGORIES, dtype=object)[sku_n % len(CATEGORIES)]
    skus = np.char.add("SKU-", sku_n.astype(str)).astype(object)
    line_ids = [f"{oid}-{k}" for oid, n in zip(order_ids, n_lines) for k in range(1, n + 1)]
    b.arrow["shop/order_lines"].append(pa.Table.from_pydict({
        "order_line_id": line_ids, "order_id": order_ids[idx], "sku": skus,
        "product_name": np.char.add(category.astype(str), np.char.add(" item ", sku_n.astype(str))).astype(object),
        "category": category, "quantity": quantity.astype(np.int64), "unit_price": unit,
    }, schema=TABLES_BY_KEY["shop/order_lines"].schema))


_EVENT_TYPES = np.array(["page_view", "product_view", "add_to_cart", "search", "checkout_started", "offer_download",
                         "signup"], dtype=object)
_EVENT_P = np.array([0.45, 0.3, 0.1, 0.08, 0.04, 0.02, 0.01])
_UTM = [(None, None, None), (None, None, None), (None, None, None), ("google", "cpc", "brand"),
        ("facebook", "paid_social", "spring_sale"), ("newsletter", "email", "monthly"),
        ("instagram", "paid_social", "new_collection"), ("bing", "organic", None)]


def _web_events(nprng: np.random.Generator, b: Batch, ids: Ids, sessions: list, start, end) -> None:
    if not sessions:
        return
    n = len(sessions)
    anon = np.array([s[0] for s in sessions], dtype=object)
    user = np.array([s[1] for s in sessions], dtype=object)
    t0 = np.array([s[2] for s in sessions], dtype="datetime64[us]")
    n_events = np.array([s[3] for s in sessions])
    login_pos = np.array([s[4] for s in sessions])
    device = np.array([s[5] for s in sessions], dtype=object)
    utm_i = np.array([s[6] for s in sessions])
    click_id = np.array([s[7] for s in sessions], dtype=object)
    idx = np.repeat(np.arange(n), n_events)
    pos = np.arange(len(idx)) - np.repeat(np.cumsum(n_events) - n_events, n_events)
    gaps = nprng.integers(5, 240, size=len(idx)).astype("timedelta64[s]")
    occurred = t0[idx] + (pos * 60).astype("timedelta64[s]") + gaps
    occurred = np.minimum(occurred, np.datetime64(end, "us"))
    etype = nprng.choice(_EVENT_TYPES, size=len(idx), p=_EVENT_P)
    etype[pos == 0] = "page_view"
    is_login = (login_pos[idx] == pos) & (login_pos[idx] >= 0)
    etype[is_login] = "login"
    logged_in = (login_pos[idx] >= 0) & (pos >= login_pos[idx])
    user_id = np.where(logged_in, user[idx], None)
    sku = nprng.integers(1, 400, size=len(idx))
    has_sku = np.isin(etype, ["product_view", "add_to_cart"])
    product = np.where(has_sku, np.char.add("SKU-", sku.astype(str)).astype(object), None)
    page = np.where(has_sku, np.char.add("https://shop.example.com/p/", sku.astype(str)).astype(object),
                    "https://shop.example.com/" + etype.astype(str).astype(object))
    first = pos == 0
    clicked_in = first & (click_id[idx] != None)  # noqa: E711
    if clicked_in.any():
        page[clicked_in] = ("https://shop.example.com/sale?utm_source=newsletter&utm_medium=email"
                            "&utm_campaign=monthly&mc_eid=" + click_id[idx][clicked_in].astype(str)).astype(object)
    utm = np.array(_UTM, dtype=object)[utm_i[idx]]
    utm_src = np.where(first, utm[:, 0], None)
    utm_med = np.where(first, utm[:, 1], None)
    utm_cmp = np.where(first, utm[:, 2], None)
    referrer = np.where(first & (utm_i[idx] >= 3), "https://www." + np.where(utm_src == None, "google", utm_src).astype(str).astype(object) + ".com/", None)  # noqa: E711
    ip = [f"10.{a}.{b_}.{c}" for a, b_, c in nprng.integers(0, 255, size=(n, 3))]
    ip_arr = np.array(ip, dtype=object)[idx]
    event_ids = [f"WE{ids.chunk:05d}{i:09d}" for i in range(len(idx))]
    b.arrow["web/events"].append(pa.Table.from_pydict({
        "event_id": event_ids, "anonymous_id": anon[idx], "user_id": user_id, "event_type": etype,
        "occurred_at": occurred, "page_url": page, "referrer": referrer, "utm_source": utm_src,
        "utm_medium": utm_med, "utm_campaign": utm_cmp, "product_sku": product, "device_type": device[idx],
        "ip_address": ip_arr,
    }, schema=TABLES_BY_KEY["web/events"].schema))


def _email_events(nprng: np.random.Generator, b: Batch, ids: Ids, subscribers: list, start, end) -> list[tuple]:
    """Campaign events; returns the web sessions that email clicks open (on a device of the subscriber).

    A click lands on the shop with the ESP's click id in the URL (`mc_eid=<subscriber_id>`, as
    Mailchimp's mc_eid or Klaviyo's _kx do), which is how a CDP ties an anonymous device to an
    email subscriber.
    """
    if not subscribers:
        return []
    months = np.arange(np.datetime64(start, "M"), np.datetime64(end, "M") + 1)
    sends = (months.astype("datetime64[D]") + np.timedelta64(4, "D")).astype("datetime64[us]") + np.timedelta64(9, "h")
    sends = sends[(sends >= np.datetime64(start, "us")) & (sends <= np.datetime64(end, "us"))]
    campaign_ids = np.array([f"CMP-{str(m)[:7].replace('-', '')}" for m in sends.astype("datetime64[M]")], dtype=object)
    sub = np.array([s[0] for s in subscribers], dtype=object)
    a_from = np.array([s[1] for s in subscribers], dtype="datetime64[us]")
    a_to = np.array([s[2] for s in subscribers], dtype="datetime64[us]")
    open_p = np.array([s[3] for s in subscribers])
    bounce = np.array([s[4] for s in subscribers])
    first_c = np.searchsorted(sends, a_from)
    last_c = np.searchsorted(sends, a_to)        # exclusive
    counts = np.maximum(last_c - first_c, 0)
    counts = np.where(bounce, np.minimum(counts, 1 + (counts > 0) * 3), counts)
    si = np.repeat(np.arange(len(sub)), counts)
    ci = np.repeat(first_c, counts) + (np.arange(len(si)) - np.repeat(np.cumsum(counts) - counts, counts))
    last_of_sub = np.zeros(len(si), dtype=bool)
    if len(si):
        last_of_sub[np.cumsum(counts)[counts > 0] - 1] = True
    hard = bounce[si] & last_of_sub
    soft = (~hard) & (nprng.random(len(si)) < 0.02)
    delivered = ~(hard | soft)
    opened = delivered & (nprng.random(len(si)) < open_p[si])
    clicked = opened & (nprng.random(len(si)) < 0.18)
    sent_t = sends[ci]
    parts = [
        (np.ones(len(si), bool), "sent", np.timedelta64(0, "s"), None),
        (delivered, "delivered", np.timedelta64(20, "s"), None),
        (hard, "bounce", np.timedelta64(30, "s"), "hard"),
        (soft, "bounce", np.timedelta64(30, "s"), "soft"),
        (opened, "open", np.timedelta64(3600, "s"), None),
        (clicked, "click", np.timedelta64(3900, "s"), None),
    ]
    cols: dict[str, list] = {"subscriber_id": [], "campaign_id": [], "event_type": [], "occurred_at": [],
                             "bounce_type": [], "url": []}
    for mask, etype, lag, btype in parts:
        k = int(mask.sum())
        cols["subscriber_id"].append(sub[si[mask]])
        cols["campaign_id"].append(campaign_ids[ci[mask]])
        cols["event_type"].append(np.full(k, etype, dtype=object))
        jitter = nprng.integers(0, 36000, size=k).astype("timedelta64[s]") if etype in ("open", "click") else \
            np.zeros(k, dtype="timedelta64[s]")
        cols["occurred_at"].append(np.minimum(sent_t[mask] + lag + jitter, np.datetime64(end, "us")))
        cols["bounce_type"].append(np.full(k, btype, dtype=object))
        cols["url"].append(np.full(k, "https://shop.example.com/sale" if etype == "click" else None, dtype=object))
    device = np.array([s[6] for s in subscribers], dtype=object)
    click_rows = np.flatnonzero(clicked & (device[si] != None))  # noqa: E711
    click_times = np.minimum(sent_t + np.timedelta64(3900, "s"), np.datetime64(end, "us"))
    click_sessions = [
        (device[si[i]], None, click_times[i].astype("datetime64[us]").item(), 1 + int(extra), -1, "mobile", 5,
         sub[si[i]])
        for i, extra in zip(click_rows, nprng.poisson(2, size=len(click_rows)))
    ]
    # unsubscribe events at the subscriber's unsubscribe time
    unsub = [(s[0], s[5]) for s in subscribers if s[5] is not None]
    if unsub:
        cols["subscriber_id"].append(np.array([u[0] for u in unsub], dtype=object))
        last_campaign = campaign_ids[np.maximum(np.searchsorted(sends, np.array([u[1] for u in unsub],
                                                                               dtype="datetime64[us]")) - 1, 0)]
        cols["campaign_id"].append(last_campaign)
        cols["event_type"].append(np.full(len(unsub), "unsubscribe", dtype=object))
        cols["occurred_at"].append(np.array([u[1] for u in unsub], dtype="datetime64[us]"))
        cols["bounce_type"].append(np.full(len(unsub), None, dtype=object))
        cols["url"].append(np.full(len(unsub), None, dtype=object))
    merged = {k: np.concatenate(v) for k, v in cols.items()}
    total = len(merged["subscriber_id"])
    merged["event_id"] = np.array([f"EE{ids.chunk:05d}{i:09d}" for i in range(total)], dtype=object)
    b.arrow["email/events"].append(pa.Table.from_pydict(merged, schema=TABLES_BY_KEY["email/events"].schema))
    return click_sessions
