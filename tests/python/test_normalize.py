"""Match keys: names, emails, phones and junk values (scv.normalize) with the project's own seeds."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from scv.normalize import (Reference, fold_name, normalize_email, normalize_phone, normalize_records, parse_phones,
                           split_full_name)

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="module")
def ref() -> Reference:
    read = lambda name: pd.read_csv(SEEDS / f"{name}.csv", dtype=str, keep_default_na=False)  # noqa: E731
    return Reference.from_frames(
        nickname_pairs=read("nickname_pairs"), blocked_identifier_values=read("blocked_identifier_values"),
        email_domain_typos=read("email_domain_typos"), email_provider_rules=read("email_provider_rules"),
        country_phone_defaults=read("country_phone_defaults"))


@pytest.mark.parametrize("raw,folded", [
    ("Ștefan", "stefan"), ("  Nguyễn Thị ", "nguyen thi"), ("D'Alessandro", "dalessandro"),
    ("Jean-Luc", "jean luc"), ("ROSSI", "rossi"), ("", None), (None, None), ("陳", "chen"),
])
def test_fold_name(raw, folded):
    assert fold_name(raw) == folded


def test_split_full_name():
    assert split_full_name("Anna Maria Rossi") == ("Anna", "Maria Rossi")
    assert split_full_name("Cher") == ("Cher", None)
    assert split_full_name("  ") == (None, None)


@pytest.mark.parametrize("raw,norm", [
    (" Anna.Rossi@Gmail.COM ", "annarossi@gmail.com"),      # case, whitespace, gmail dots
    ("a.rossi+shop@googlemail.com", "arossi@gmail.com"),    # plus tag, googlemail
    ("anna.rossi@gmial.com", "annarossi@gmail.com"),        # domain typo
    ("anna.rossi@libero.it", "anna.rossi@libero.it"),       # dots matter outside gmail
    ("anna.rossigmail.com", None),                           # malformed
    ("anna@@gmail.com", None),
    ("test@test.com", None),                                 # blocked junk
    ("someone@example.com", None),                           # blocked pattern
])
def test_normalize_email(ref, raw, norm):
    assert normalize_email(raw, ref) == norm


@pytest.mark.parametrize("raw,region,e164", [
    ("+39 312 345 6789", None, "+393123456789"),
    ("0039 3123456789", "IT", "+393123456789"),
    ("312 345 6789", "IT", "+393123456789"),
    ("(201) 555-0123", "US", None),                          # 555-01xx is a blocked fictional range
    ("(201) 536-2781", "US", "+12015362781"),
    ("011 1 201 536 2781", "US", "+12015362781"),
    ("07400 123456", "GB", "+447400123456"),
    ("000000", "IT", None),                                  # blocked junk
    ("call me", "IT", None),
])
def test_normalize_phone(ref, raw, region, e164):
    assert normalize_phone(raw, region, ("US", "GB", "IT"), ref)[0] == e164


def test_ambiguous_phone_keeps_national_number(ref):
    e164, national = normalize_phone("0912 345 678", None, ("VN", "TW"), ref)
    assert e164 is None and national == "912345678"


def test_phones_parsed_in_worker_processes_equal_those_parsed_here(ref):
    """At scale the phones are parsed by several processes (a `scv.phone_worker` per extra share):
    the same answer as one process, in the same order, for valid, ambiguous, junk and invalid numbers."""
    numbers = ["+44 20 7946 0958", "020 7946 0958", "0912 345 678", "000000", "12", "06 12 34 56 78", "+1 415 555 2671",
               "(415) 555-2671", "0151 23456789", "not a phone"]
    pairs = [(n, region) for n in numbers for region in (None, "GB", "US", "FR", "DE", "VN")]
    fallback = ("GB", "US", "FR", "DE", "VN", "TW")
    alone = parse_phones(pairs, fallback, ref, processes=1)
    assert alone == {p: normalize_phone(p[0], p[1], fallback, ref) for p in pairs}
    shared = parse_phones(pairs, fallback, ref, processes=3)
    assert list(shared.items()) == list(alone.items())
    assert parse_phones([], fallback, ref, processes=2) == {}


def test_a_failed_phone_worker_raises_with_its_error(ref, monkeypatch):
    import scv.normalize as normalize

    monkeypatch.setattr(normalize.sys, "executable", "/bin/false")
    with pytest.raises(RuntimeError, match="phone worker 1 failed"):
        parse_phones([("020 7946 0958", "GB"), ("+1 415 555 2671", None)], ("GB",), ref, processes=2)



def test_phone_workers_do_not_outlive_a_failure_here(ref, monkeypatch, tmp_path):
    """When this process's own share fails (or the build is interrupted), the worker processes
    are killed, not left running: a worker here is a stand-in that would sleep for a minute."""
    import subprocess

    import scv.normalize as normalize

    sleeper = tmp_path / "sleeper"
    sleeper.write_text("#!/bin/sh\nexec sleep 60\n")
    sleeper.chmod(0o755)
    monkeypatch.setattr(normalize.sys, "executable", str(sleeper))
    started = []

    class Recorded(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(normalize.subprocess, "Popen", Recorded)

    def failing_share(pairs, *args):
        while not started:  # the worker has started before this share fails
            time.sleep(0.01)
        raise ValueError("this share failed")

    monkeypatch.setattr(normalize, "_parse_phone_chunk", failing_share)
    begun = time.monotonic()
    with pytest.raises(ValueError, match="this share failed"):
        parse_phones([("020 7946 0958", "GB"), ("+1 415 555 2671", None)], ("GB",), ref, processes=2)
    assert len(started) == 1
    assert started[0].wait(timeout=10) != 0  # killed, long before its minute is up
    assert time.monotonic() - begun < 30

def test_records_nicknames_and_junk(ref):
    records = pd.DataFrame({
        "record_key": ["a", "b", "c", "d"],
        "source_table": ["contacts"] * 4,
        "first_name": ["Bob", "Giuseppe", "Test", None],
        "last_name": ["Smith", "Verdi", "Test", None],
        "full_name": [None, None, None, "Beppe Verdi"],
        "email": [None, None, "test@test.com", None],
        "phone": [None, None, "000000", None],
        "country": ["USA", "Italia", None, "IT"],
    })
    out = normalize_records(records, ref).set_index("record_key")
    assert out.loc["a", "first_name_canonical"] == "robert"
    assert out.loc["a", "country_code"] == "US"
    assert out.loc["b", "country_code"] == "IT"
    assert out.loc["d", "first_name_norm"] == "beppe" and out.loc["d", "last_name_norm"] == "verdi"
    assert out.loc["d", "first_name_canonical"] == out.loc["b", "first_name_canonical"] == "giuseppe"
    # junk names, emails and phones are never keys
    assert out.loc["c", ["first_name_norm", "last_name_norm", "email_norm", "phone_e164"]].isna().all()


def test_the_email_syntax_is_the_same_in_staging_sql_and_in_the_normalizer():
    """Staging flags invalid emails in SQL (macro is_valid_email); the normalizer re-checks in Python.
    The two patterns are written twice (two languages), so this keeps them identical."""
    import re
    from pathlib import Path

    from scv import normalize

    macro = (Path(__file__).resolve().parents[2] / "macros" / "staging" / "cleaning.sql").read_text()
    sql_pattern = re.search(r"duckdb__is_valid_email.*?regexp_full_match\([^,]+, '(.*?)'\)\s*$", macro,
                            re.S | re.M).group(1).replace("''", "'")
    assert "^" + sql_pattern + "$" == normalize._EMAIL.pattern


def _contacts(n: int) -> pd.DataFrame:
    phones = ["0712 345 678", "+44 7700 900123", "(415) 555-0132", "0912 345 678", "06 12 34 56 78", "000000", None]
    countries = ["GB", "US", "FR", None, "Vietnam", "IT"]
    return pd.DataFrame({
        "record_key": [f"k{i}" for i in range(n)],
        "source_table": "contacts",
        "first_name": [f"Anna{i % 7}" for i in range(n)],
        "last_name": "Rossi",
        "email": [f"Anna.Rossi+{i % 5}@GMAIL.com" if i % 3 else f"a{i}@gmial.com" for i in range(n)],
        "phone": [phones[i % len(phones)] if i % 11 else f"07700 9{i:05d}" for i in range(n)],
        "country": [countries[i % len(countries)] for i in range(n)],
    })


def test_known_records_are_reused_and_the_result_is_the_same(ref, monkeypatch):
    """normalize_records(known=) takes the emails and phones of records normalized before instead of
    parsing them again: the same output, and only the new numbers are parsed."""
    import scv.normalize as normalize

    day1 = _contacts(120)
    plain = normalize_records(day1, ref)
    day0 = normalize_records(day1.iloc[:102], ref)  # (the same country mix: the same fallback regions)
    parsed = []
    real = normalize.parse_phones
    monkeypatch.setattr(normalize, "parse_phones", lambda pairs, *a, **k: parsed.extend(pairs) or real(pairs, *a, **k))
    reused = normalize_records(day1, ref, known=day0)
    pd.testing.assert_frame_equal(reused, plain)
    _, pairs = normalize._phone_regions(plain, ref)
    every = set(pairs[plain.phone.notna()])
    _, known_pairs = normalize._phone_regions(day0, ref)
    assert set(parsed) == every - set(known_pairs) and parsed
    # other fallback regions (another country mix) make the known phones unusable: all parsed again
    other = normalize_records(day1.iloc[:100].assign(country="DE"), ref)
    parsed.clear()
    pd.testing.assert_frame_equal(normalize_records(day1, ref, known=other), plain)
    assert set(parsed) == every


def test_the_normalization_signature_follows_the_seeds(ref):
    from scv.normalize import normalization_signature

    again = Reference.from_frames(country_phone_defaults=pd.DataFrame(
        {"country_code": ["GB"], "default_region": ["GB"], "aliases": [""], "country_name": ["United Kingdom"]}))
    assert normalization_signature(ref) == normalization_signature(ref)
    assert normalization_signature(ref) != normalization_signature(again)


def test_fallback_regions_order_ties_by_country_code(ref):
    from scv.normalize import fallback_regions

    counts = pd.Series({"US": 5, "GB": 5, "FR": 9, "IT": 1})
    assert fallback_regions(counts, ref) == fallback_regions(counts.iloc[::-1], ref)
    assert fallback_regions(counts, ref)[:3] == tuple(ref.country_regions.get(c, c) for c in ("FR", "GB", "US"))


def _unioned(n: int) -> pd.DataFrame:
    """Identity records as int_identity__records_unioned shapes them (the columns normalization reads)."""
    contacts = _contacts(n)
    return contacts.assign(
        country=[("GB", "GB", "GB", "US", "US", None)[i % 6] for i in range(n)],  # a stable ranking of countries
        source_system="crm", full_name=None, street=None, city=None, postcode=None, shop_customer_id=None,
        date_of_birth=pd.to_datetime("1980-01-01") + pd.to_timedelta(range(n), unit="D"),
    )


def test_records_normalized_incrementally_equal_a_full_normalization(ref, monkeypatch):
    """int_identity__records reuses the last build's rows whose unioned row did not change
    (scv.identity.normalized_records_sql): the same table as normalizing everything, with only the
    new and changed records passed through Python, and no scratch object left in the database.
    Updated in place (changes_only), it writes only the new and changed rows and those whose first
    name became or stopped being established, and the update gives the same table."""
    from datetime import datetime

    import duckdb

    import scv.linking as linking
    import scv.normalize as normalize
    from scv.identity import normalized_records_sql

    monkeypatch.setattr(linking, "ESTABLISHED_NAME_RECORDS", 4)
    day0 = _unioned(100)
    day0.loc[[10, 11, 12], "first_name"] = "Bea"  # 3 records: not yet established
    day0.loc[[20, 21, 22, 23], "first_name"] = "Cleo"  # 4 records: established
    day1 = _unioned(120)
    day1.loc[[10, 11, 12, 100], "first_name"] = "Bea"  # a fourth Bea: the name becomes established
    day1.loc[[20, 21, 22], "first_name"] = "Cleo"
    day1.loc[23, "first_name"] = "Dora"  # a third Cleo: no longer established
    day1.loc[5, "email"] = "someone.else@example.com"
    day1.loc[3, "first_name"] = "Anna1"
    day1 = day1.drop(index=7)
    con = duckdb.connect()
    con.register("day0", day0)
    con.register("day1", day1)
    first = normalized_records_sql(con, "day0", None, ref, datetime(2026, 1, 1))
    con.execute("create table previous as select * from first")
    con.execute("create table day0_records as select * from previous")
    seen = []
    real = normalize.normalize_records
    monkeypatch.setattr(normalize, "normalize_records", lambda records, *a, **k: seen.append(len(records))
                        or real(records, *a, **k))
    incremental = normalized_records_sql(con, "day1", "previous", ref, datetime(2026, 1, 2)).df()
    assert seen == [23]  # 20 new records, 3 changed
    full = normalized_records_sql(con, "day1", None, ref, datetime(2026, 1, 2)).df()
    compared = [c for c in full.columns if c != "match_keys_changed_at"]
    assert list(incremental.columns) == list(full.columns)
    assert "first_name_records" not in full.columns  # its own model: it moves with every new record
    pd.testing.assert_frame_equal(incremental.sort_values("record_key")[compared].reset_index(drop=True),
                                  full.sort_values("record_key")[compared].reset_index(drop=True))
    # in place: the changed rows, put into the last build's table by record_key, less the vanished record
    changes = normalized_records_sql(con, "day1", "previous", ref, datetime(2026, 1, 2), changes_only=True)
    con.execute("create table changes as select * from changes")
    changed = {k for (k,) in con.sql("select record_key from changes").fetchall()}
    crossed = {"k10", "k11", "k12", "k20", "k21", "k22"}
    assert changed == {*(f"k{i}" for i in range(100, 120)), "k3", "k5", "k23", *crossed}
    con.execute("""delete from previous where record_key in (select record_key from changes)
        or record_key not in (select record_key from day1)""")
    con.execute("insert into previous by name select * from changes")
    updated = con.sql("select * from previous").df()
    assert list(updated.columns) == list(incremental.columns)
    pd.testing.assert_frame_equal(updated.sort_values("record_key").reset_index(drop=True),
                                  incremental.sort_values("record_key").reset_index(drop=True))
    # the records whose name crossed the line are stamped as changed (the linking model reads it)
    stamps = updated.set_index("record_key")["match_keys_changed_at"]
    assert (stamps[sorted(crossed)] == pd.Timestamp("2026-01-02")).all() and stamps["k30"] < pd.Timestamp("2026-01-02")
    con.execute("drop table changes")
    con.execute("drop table previous")
    con.execute("create table previous as select * from day0_records")
    # another ranking of countries (other phone fallback regions) normalizes every record again
    seen.clear()
    normalized_records_sql(con, "(select * replace ('FR' as country) from day1)", "previous", ref,
                           datetime(2026, 1, 2)).df()
    assert seen == [len(day1)]
    stored = con.sql("select count(*) from duckdb_tables() where not temporary and table_name like 'scv_%'").fetchall()
    views = con.sql("select count(*) from duckdb_views() where not temporary and view_name like 'scv_%'").fetchall()
    assert stored == [(0,)] and views == [(0,)]


def test_first_name_records_leave_out_orders_placed_from_an_account():
    """scv.normalize.first_name_records counts a frame's first-name spellings with the SQL rule of
    int_identity__first_name_counts: orders placed from a shop account repeat the account's name
    and are left out; a guest order counts; a record without a first name gets no count."""
    from scv.normalize import first_name_records

    records = pd.DataFrame({
        "first_name_norm": ["anna", "anna", "anna", "anna", "bob", None],
        "source_table": ["customers", "orders", "orders", "contacts", "orders", "contacts"],
        "shop_customer_id": ["c1", "c1", None, None, "c2", None],
    })
    assert first_name_records(records).tolist() == [3, 3, 3, 3, pd.NA, pd.NA]
    # without the source columns every record counts
    assert first_name_records(records[["first_name_norm"]]).tolist() == [4, 4, 4, 4, 1, pd.NA]
