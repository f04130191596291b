"""The landing contract as code (see README, "Landing files").

One place lists every source table, its columns, their Arrow types and whether a
column is required.  The synthetic generator writes exactly this shape, ``scv
landing init`` creates empty tables in it, and the pytest suite checks the dbt
sources against it, so the contract, the generator and the warehouse cannot
drift apart silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

STR = pa.string()
TS = pa.timestamp("us")
BOOL = pa.bool_()
F64 = pa.float64()
I64 = pa.int64()


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    required: bool  # False = the contract marks it "?" (nullable, may be absent)


@dataclass(frozen=True)
class Table:
    source: str
    name: str
    id_column: str
    columns: tuple[Column, ...]
    identity_bearing: bool = False

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type) for c in self.columns])

    @property
    def key(self) -> str:
        return f"{self.source}/{self.name}"

    def path(self, landing: Path | str) -> Path:
        return Path(landing) / self.source / f"{self.name}.parquet"


def _cols(spec: str, types: dict[str, pa.DataType] | None = None) -> tuple[Column, ...]:
    """Parse ``"a, b?, c"`` (``?`` = nullable) into columns; strings unless typed."""
    types = types or {}
    out = []
    for raw in spec.split(","):
        raw = raw.strip()
        required = not raw.endswith("?")
        name = raw.rstrip("?")
        out.append(Column(name, types.get(name, STR), required))
    return tuple(out)


TABLES: tuple[Table, ...] = (
    Table(
        "crm", "contacts", "contact_id",
        _cols(
            "contact_id, first_name?, last_name?, email?, phone?, company?, street?, city?, "
            "postcode?, country?, date_of_birth?, created_at, updated_at, is_deleted?, "
            "merged_into_contact_id?",
            {"created_at": TS, "updated_at": TS, "is_deleted": BOOL},
        ),
        identity_bearing=True,
    ),
    Table(
        "shop", "customers", "customer_id",
        _cols(
            "customer_id, email?, first_name?, last_name?, phone?, accepts_marketing?, street?, "
            "city?, postcode?, country?, created_at, updated_at",
            {"accepts_marketing": BOOL, "created_at": TS, "updated_at": TS},
        ),
        identity_bearing=True,
    ),
    Table(
        "shop", "orders", "order_id",
        _cols(
            "order_id, customer_id?, email?, created_at, currency, total_price, subtotal_price?, "
            "total_discounts?, total_tax?, financial_status, cancelled_at?, billing_first_name?, "
            "billing_last_name?, billing_phone?, shipping_street?, shipping_city?, "
            "shipping_postcode?, shipping_country?, landing_site?, source_name?",
            {
                "created_at": TS, "cancelled_at": TS, "total_price": F64, "subtotal_price": F64,
                "total_discounts": F64, "total_tax": F64,
            },
        ),
        identity_bearing=True,
    ),
    Table(
        "shop", "order_lines", "order_line_id",
        _cols(
            "order_line_id, order_id, sku, product_name?, category?, quantity, unit_price",
            {"quantity": I64, "unit_price": F64},
        ),
    ),
    Table(
        "shop", "refunds", "refund_id",
        _cols("refund_id, order_id, created_at, amount", {"created_at": TS, "amount": F64}),
    ),
    Table(
        "pos", "transactions", "transaction_id",
        _cols(
            "transaction_id, store_id, loyalty_card_id?, occurred_at, currency, total_amount, "
            "items_count?, payment_method?",
            {"occurred_at": TS, "total_amount": F64, "items_count": I64},
        ),
    ),
    Table(
        "loyalty", "members", "card_id",
        _cols(
            "card_id, first_name?, last_name?, email?, phone?, date_of_birth?, postcode?, "
            "enrolled_at, tier?, points_balance?",
            {"enrolled_at": TS, "points_balance": I64},
        ),
        identity_bearing=True,
    ),
    Table(
        "web", "events", "event_id",
        _cols(
            "event_id, anonymous_id, user_id?, event_type, occurred_at, page_url?, referrer?, "
            "utm_source?, utm_medium?, utm_campaign?, product_sku?, device_type?, ip_address?",
            {"occurred_at": TS},
        ),
        identity_bearing=True,  # through anonymous_id
    ),
    Table(
        "email", "subscribers", "subscriber_id",
        _cols(
            "subscriber_id, email, first_name?, status, opted_in_at?, confirmed_at?, "
            "unsubscribed_at?, signup_source?",
            {"opted_in_at": TS, "confirmed_at": TS, "unsubscribed_at": TS},
        ),
        identity_bearing=True,
    ),
    Table(
        "email", "events", "event_id",
        _cols(
            "event_id, subscriber_id, campaign_id, event_type, occurred_at, bounce_type?, url?",
            {"occurred_at": TS},
        ),
    ),
    Table(
        "support", "tickets", "ticket_id",
        _cols(
            "ticket_id, requester_name?, requester_email?, requester_phone?, channel, subject?, "
            "status, created_at, solved_at?, satisfaction_score?",
            {"created_at": TS, "solved_at": TS, "satisfaction_score": I64},
        ),
        identity_bearing=True,
    ),
    Table(
        "ads", "leads", "lead_id",
        _cols(
            "lead_id, platform, campaign?, full_name?, email?, phone?, created_at",
            {"created_at": TS},
        ),
        identity_bearing=True,
    ),
    Table(
        "consent", "events", "consent_event_id",
        _cols(
            "consent_event_id, subject_type, subject_value, purpose, action, lawful_basis, "
            "occurred_at, recorded_at, source_system, collection_point?, notice_version?, "
            "method?, doi_confirmed_at?, evidence_ref?, jurisdiction?",
            {"occurred_at": TS, "recorded_at": TS, "doi_confirmed_at": TS},
        ),
    ),
    Table(
        "privacy", "requests", "request_id",
        _cols(
            "request_id, request_type, subject_type, subject_value, received_at, verified_at?, "
            "completed_at?, status",
            {"received_at": TS, "verified_at": TS, "completed_at": TS},
        ),
    ),
)

TABLES_BY_KEY: dict[str, Table] = {t.key: t for t in TABLES}
SOURCES: tuple[str, ...] = tuple(dict.fromkeys(t.source for t in TABLES))

TRUTH_RECORDS_SCHEMA = pa.schema(
    [
        ("source", STR),
        ("table", STR),
        ("record_id", STR),
        ("person_id", STR),
        ("hard_cases", STR),  # comma-separated tags of the imperfections applied to this record
    ]
)


def table(key: str) -> Table:
    try:
        return TABLES_BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown landing table {key!r}; known: {sorted(TABLES_BY_KEY)}") from None


def write_empty(landing: Path | str, keys: list[str] | None = None, overwrite: bool = False) -> list[Path]:
    """Create zero-row files (with the full typed schema) for tables that are absent.

    A company without a POS or a help desk still gets a customer view: the contract
    says every table must exist but may hold zero rows.
    """
    written = []
    for t in TABLES:
        if keys is not None and t.key not in keys:
            continue
        path = t.path(landing)
        if path.exists() and not overwrite:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(t.schema.empty_table(), path)
        written.append(path)
    return written


def missing_tables(landing: Path | str) -> list[str]:
    return [t.key for t in TABLES if not t.path(landing).exists()]
