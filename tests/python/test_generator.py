"""The synthetic world: deterministic, complete truth, hard cases at their documented rates."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import phonenumbers
import pyarrow.parquet as pq
import pytest

from scv.landing import TABLES, TABLES_BY_KEY
from scv.synthetic import HARD_CASE_RATES, WorldConfig, generate


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(pq.read_table(p).to_string(show_metadata=False).encode()
                                                   + str(pq.read_table(p).to_pylist()).encode()).hexdigest()
        for p in sorted(folder.rglob("*.parquet"))
    }


def test_every_landing_table_is_written(small_world):
    for t in TABLES:
        path = t.path(small_world)
        assert path.exists(), path
        assert pq.read_schema(path).names == [c.name for c in t.columns]
    assert (small_world / "_truth" / "records.parquet").exists()
    assert (small_world / "_truth" / "persons.parquet").exists()


def test_same_seed_same_world_other_seed_other_world(tmp_path):
    config = dict(persons=300, chunk_size=150, progress=False)
    generate(tmp_path / "a", WorldConfig(seed=11, workers=1, **config))
    generate(tmp_path / "b", WorldConfig(seed=11, workers=2, **config))   # workers do not change the files
    generate(tmp_path / "c", WorldConfig(seed=12, workers=1, **config))
    a, b, c = _digest(tmp_path / "a"), _digest(tmp_path / "b"), _digest(tmp_path / "c")
    assert a == b
    assert a["crm/contacts.parquet"] != c["crm/contacts.parquet"]


def test_one_truth_row_per_identity_bearing_record(small_world):
    con = duckdb.connect()
    truth = f"'{small_world}/_truth/records.parquet'"
    dupes = con.execute(f"select count(*) from (select source, \"table\", record_id from {truth} "
                        "group by all having count(*) > 1)").fetchall()[0][0]
    assert dupes == 0
    for t in TABLES:
        if not t.identity_bearing:
            continue
        id_col = "anonymous_id" if t.key == "web/events" else t.id_column
        landing_ids = con.execute(f"select count(distinct {id_col}) from '{t.path(small_world)}'").fetchall()[0][0]
        truth_ids = con.execute(f"select count(*) from {truth} where source = '{t.source}' and \"table\" = '{t.name}'"
                                ).fetchall()[0][0]
        missing = con.execute(f"select count(*) from (select distinct {id_col} as id from '{t.path(small_world)}') l "
                              f"anti join (select record_id from {truth} where source = '{t.source}' "
                              f"and \"table\" = '{t.name}') r on l.id = r.record_id").fetchall()[0][0]
        assert landing_ids > 0, t.key
        assert missing == 0, t.key
        assert truth_ids == landing_ids, t.key


def test_every_truth_person_exists(small_world):
    con = duckdb.connect()
    orphans = con.execute(
        f"select count(*) from '{small_world}/_truth/records.parquet' r "
        f"anti join '{small_world}/_truth/persons.parquet' p using (person_id) "
        "where r.person_id not like 'J%'"   # junk (staff test) records are their own 'persons'
    ).fetchall()[0][0]
    assert orphans == 0


@pytest.fixture(scope="module")
def rate_world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rates") / "landing"
    generate(out, WorldConfig(persons=6000, seed=3, chunk_size=3000, progress=False, workers=2))
    return out


def _tag_rate(con, world: Path, tag: str, where: str = "true") -> float:
    return con.execute(
        f"select avg(case when list_contains(string_split(hard_cases, ','), '{tag}') then 1.0 else 0 end) "
        f"from '{world}/_truth/records.parquet' where {where}").fetchall()[0][0]


@pytest.mark.parametrize("tag,where,tolerance", [
    ("typo", "source not in ('web') and person_id not like 'J%'", 0.4),
    ("swapped_names", "source not in ('web', 'email') and person_id not like 'J%'", 0.6),
    ("email_plus_tag", "source not in ('web') and person_id not like 'J%'", 0.4),
    ("malformed_email", "source not in ('web') and person_id not like 'J%'", 0.5),
    ("junk_record", "source in ('crm', 'loyalty', 'support', 'ads') or (source = 'shop' and \"table\" = 'customers')",
     0.6),
])
def test_record_hard_case_rates(rate_world, tag, where, tolerance):
    con = duckdb.connect()
    rate = _tag_rate(con, rate_world, tag, where)
    assert rate == pytest.approx(HARD_CASE_RATES[tag], rel=tolerance), (tag, rate)


@pytest.mark.parametrize("tag,expected,tolerance", [
    ("moved", HARD_CASE_RATES["moved"], 0.25),
    ("changed_email", HARD_CASE_RATES["changed_email"], 0.25),
    ("twin", HARD_CASE_RATES["twin"] * 2, 0.6),   # both twins carry the tag
])
def test_person_hard_case_rates(rate_world, tag, expected, tolerance):
    con = duckdb.connect()
    rate = con.execute(
        f"select avg(case when list_contains(string_split(hard_cases, ','), '{tag}') then 1.0 else 0 end) "
        f"from '{rate_world}/_truth/persons.parquet'").fetchall()[0][0]
    assert rate == pytest.approx(expected, rel=tolerance), (tag, rate)


def test_hard_cases_all_occur(rate_world):
    """Every documented hard case occurs in a 6,000-person world."""
    con = duckdb.connect()
    seen = {row[0] for row in con.execute(
        f"select distinct unnest(string_split(hard_cases, ',')) from '{rate_world}/_truth/records.parquet'"
    ).fetchall()}
    expected = set(HARD_CASE_RATES) - {"crm_merged"} | {"crm_merged"}
    missing = {tag for tag in expected if tag not in seen and tag not in ("duplicate_redelivery",
                                                                          "consent_missing_proof")}
    assert not missing, missing


def test_twins_share_birth_date_and_surname(rate_world):
    con = duckdb.connect()
    rows = con.execute(
        f"select a.birth_date = b.birth_date, a.last_name = b.last_name, a.first_name != b.first_name "
        f"from '{rate_world}/_truth/persons.parquet' a join '{rate_world}/_truth/persons.parquet' b "
        "on a.twin_of = b.person_id").fetchall()
    assert rows and all(all(r) for r in rows)


def test_locales_and_unicode(rate_world):
    con = duckdb.connect()
    locales = {r[0] for r in con.execute(f"select distinct locale from '{rate_world}/_truth/persons.parquet'"
                                         ).fetchall()}
    assert {"en_US", "en_GB", "it_IT", "ro_RO", "vi_VN", "zh_TW"} <= locales
    non_ascii = con.execute(
        f"select count(*) from '{rate_world}/crm/contacts.parquet' where last_name != strip_accents(last_name) "
        "or regexp_matches(last_name, '[^\\x00-\\x7F]')").fetchall()[0][0]
    folded = _tag_rate(con, rate_world, "ascii_folded", "source = 'loyalty'")
    assert non_ascii > 0 and folded > 0


def test_phones_are_real_numbers(rate_world):
    """Every well-formed phone the world writes parses as a valid number in the person's country."""
    con = duckdb.connect()
    rows = con.execute(
        f"select phone, country_code from (select m.phone, p.country as country_code, r.hard_cases "
        f"from '{rate_world}/loyalty/members.parquet' m "
        f"join '{rate_world}/_truth/records.parquet' r on r.source = 'loyalty' and r.record_id = m.card_id "
        f"join '{rate_world}/_truth/persons.parquet' p using (person_id)) "
        "where phone is not null and not contains(hard_cases, 'malformed_phone')").fetchall()
    valid = sum(phonenumbers.is_valid_number(phonenumbers.parse(p, c)) for p, c in rows)
    assert rows and valid / len(rows) > 0.99


def test_world_spans_two_years_of_behaviour(small_world):
    con = duckdb.connect()
    for key, column in [("shop/orders", "created_at"), ("web/events", "occurred_at"),
                        ("email/events", "occurred_at"), ("pos/transactions", "occurred_at")]:
        days = con.execute(f"select date_diff('day', min({column}), max({column})) "
                           f"from '{TABLES_BY_KEY[key].path(small_world)}'").fetchall()[0][0]
        assert days >= 730, key


def test_sources_option_writes_the_others_empty(tmp_path):
    generate(tmp_path, WorldConfig(persons=200, seed=1, progress=False, workers=1, sources=("crm", "shop")))
    for t in TABLES:
        rows = pq.read_metadata(t.path(tmp_path)).num_rows
        assert (rows > 0) == (t.source in ("crm", "shop")), t.key
    with pytest.raises(ValueError, match="unknown source"):
        generate(tmp_path / "x", WorldConfig(persons=10, progress=False, sources=("nope",)))


def test_mailboxes_are_personal(rate_world):
    """No two people hold the same address (household sharing is modelled separately)."""
    con = duckdb.connect()
    mailbox = ("case when split_part(address, '@', 2) in ('gmail.com', 'googlemail.com') "
               "then replace(split_part(address, '@', 1), '.', '') || '@gmail.com' else address end")
    shared = con.execute(
        f"select count(*) from (select {mailbox} as mailbox from (select email as address "
        f"from '{rate_world}/_truth/persons.parquet' union all select new_email "
        f"from '{rate_world}/_truth/persons.parquet' where new_email is not null) "
        "group by mailbox having count(*) > 1)").fetchall()[0][0]
    assert shared == 0
