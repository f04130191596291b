"""dbt builds: the generated world and a landing folder full of bad input both build, and nothing is lost."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from scv.landing import TABLES, write_empty

from bad_landing import INJECTION, UNICODE_NAMES, write_bad_landing
from support import run_dbt

pytestmark = pytest.mark.dbt


def _staged_model(key: str) -> str:
    source, table = key.split("/")
    return f"stg_{source}__{table}"


def test_generated_world_builds(built_world):
    _, warehouse, result = built_world
    assert result.ok, result.output[-4000:]
    assert "ERROR=0" in result.output


def test_nothing_lost_on_generated_world(built_world):
    landing, warehouse, result = built_world
    assert result.ok
    con = duckdb.connect(str(warehouse), read_only=True)
    quarantined_total = 0
    for t in TABLES:
        raw = pq.read_metadata(t.path(landing)).num_rows
        staged = con.execute(f"select count(*) from {_staged_model(t.key)}").fetchall()[0][0]
        quarantined = con.execute(
            "select count(*) from stg_quarantine__rows where source_system = ? and source_table = ?",
            [t.source, t.name]).fetchall()[0][0]
        assert raw == staged + quarantined, t.key
        assert staged > 0, t.key
        quarantined_total += quarantined
    # the world re-delivers and conflicts keys on purpose: the quarantine must have caught some
    reasons = dict(con.execute("select reason, count(*) from stg_quarantine__rows group by reason").fetchall())
    assert reasons.get("exact_duplicate", 0) > 0
    assert reasons.get("conflicting_duplicate_key", 0) > 0
    assert reasons.get("superseded_version", 0) > 0
    assert quarantined_total == sum(reasons.values())


def test_every_model_judges_the_future_against_the_build_start(built_world):
    """A required timestamp after tomorrow quarantines its row. The base views, the staging tables
    and the quarantine read "tomorrow" from one instant, the build's start (build_reference_timestamp):
    with the database's clock, a refund stamped just under now + 1 day was quarantined by its staging
    model and staged by the quarantine model built a minute later, and so lost (1M world)."""
    _, warehouse, result = built_world
    assert result.ok, result.output[-3000:]
    compiled = warehouse.parent / f"target-{warehouse.stem}" / "compiled" / "single_customer_view" / "models" / "staging"
    bases = sorted(compiled.rglob("base_*.sql"))
    assert len(bases) >= 10
    instants = set()
    for path in bases:
        sql = path.read_text().lower()
        assert "current_timestamp" not in sql and "now()" not in sql and "current_date" not in sql, path.name
        instants |= set(re.findall(r"cast\('(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)' as timestamp\)", sql))
    assert len(instants) == 1, instants


def test_every_quarantined_row_has_reason_and_raw_row(built_world):
    _, warehouse, _ = built_world
    con = duckdb.connect(str(warehouse), read_only=True)
    # an erased subject's quarantined row keeps its reason but not its raw content (rule 5)
    assert con.execute("select count(*) from stg_quarantine__rows where reason is null"
                       " or (raw_row is null and not is_erased)").fetchall()[0][0] == 0


#: Columns that record when, where from or how fast a build ran (and the quarantine's raw row as
#: text, which spells each value in the file's own type): they differ between any two builds.
BUILD_COLUMNS = {"updated_at", "loaded_at", "load_id", "landing_file", "valid_from", "customer_first_issued_at",
                 "build_at", "decided_at", "decided_through", "scored_at", "match_keys_changed_at", "fit_seconds",
                 "quarantine_row_id", "raw_row"}


def _retyped_landing(landing: Path, out: Path) -> None:
    """`landing` as another loader might write it, still within the contract: timestamps as
    TIMESTAMP WITH TIME ZONE, money as DECIMAL, and the two largest tables as folders of parquet parts."""
    con = duckdb.connect()
    for t in TABLES:
        described = con.execute(f"describe select * from read_parquet('{t.path(landing)}')").fetchall()
        columns = []
        for name, kind, *_ in described:
            if kind == "TIMESTAMP":
                columns.append(f'cast("{name}" as timestamptz) as "{name}"')
            elif kind == "DOUBLE":
                columns.append(f'cast("{name}" as decimal(14, 2)) as "{name}"')
            else:
                columns.append(f'"{name}"')
        select = f"select {', '.join(columns)} from read_parquet('{t.path(landing)}')"
        target = t.path(out)
        target.parent.mkdir(parents=True, exist_ok=True)
        if t.key in ("shop/orders", "web/events"):
            target.mkdir()
            for part in (0, 1):
                con.execute(f"copy ({select} qualify row_number() over () % 2 = {part}) "
                            f"to '{target / f'part-{part}.parquet'}'")
        else:
            con.execute(f"copy ({select}) to '{target}'")
    con.close()


def test_other_column_types_and_part_folders_build_the_same_warehouse(built_world, tmp_path):
    """The landing contract allows DECIMAL money, any UTC timestamp type and a folder of parquet
    parts per table: the same world delivered that way builds the same warehouse, table by table."""
    landing, warehouse, result = built_world
    assert result.ok
    retyped = tmp_path / "landing"
    _retyped_landing(landing, retyped)
    other = tmp_path / "warehouse.duckdb"
    rebuilt = run_dbt(["build"], retyped, other)
    assert rebuilt.ok, rebuilt.output[-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    con.execute(f"attach '{other}' as other (read_only)")
    tables = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_catalog = current_database()"
        " and table_type = 'BASE TABLE' order by 1").fetchall()]
    assert len(tables) > 60
    differ = {}
    for table in tables:
        columns = [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_catalog = current_database()"
            " and table_name = ? order by ordinal_position", [table]).fetchall()]
        select = ", ".join(f'"{c}"' for c in columns if c not in BUILD_COLUMNS)
        here, there = f'"{table}"', f'other.main."{table}"'
        missing = con.execute(f"select count(*) from (select {select} from {here} except all "
                              f"select {select} from {there})").fetchall()[0][0]
        extra = con.execute(f"select count(*) from (select {select} from {there} except all "
                            f"select {select} from {here})").fetchall()[0][0]
        if missing or extra:
            differ[table] = (missing, extra)
    con.close()
    assert differ == {}


@pytest.fixture(scope="module")
def bad_build(tmp_path_factory):
    base = tmp_path_factory.mktemp("bad")
    landing = base / "landing"
    expected = write_bad_landing(landing)
    warehouse = base / "warehouse.duckdb"
    result = run_dbt(["build"], landing, warehouse)
    return landing, warehouse, expected, result


def test_bad_input_builds(bad_build):
    _, _, _, result = bad_build
    assert result.ok, result.output[-6000:]


def test_bad_input_rows_are_staged_or_quarantined_with_their_reason(bad_build):
    landing, warehouse, expected, result = bad_build
    assert result.ok
    con = duckdb.connect(str(warehouse), read_only=True)
    for key, outcomes in expected.items():
        source, table = key.split("/")
        id_column = {t.key: t.id_column for t in TABLES}[key]
        staged = {r[0] for r in con.execute(f"select {_staged_id(key, id_column)} from {_staged_model(key)}"
                                            ).fetchall()}
        quarantined = {}
        for record_id, reason in con.execute(
                "select source_record_id, reason from stg_quarantine__rows where source_system = ? "
                "and source_table = ?", [source, table]).fetchall():
            quarantined.setdefault(record_id, set()).add(reason)
        for record_id, outcome in outcomes.items():
            if outcome == "staged":
                assert record_id in staged, (key, record_id, quarantined.get(record_id))
            else:
                assert record_id not in staged, (key, record_id)
                assert outcome in quarantined.get(record_id, set()), (key, record_id, quarantined.get(record_id))


def _staged_id(key: str, id_column: str) -> str:
    """Staging renames a few ids to the shared vocabulary (see the staging_vocabulary doc block)."""
    return {"shop/customers": "shop_customer_id"}.get(key, id_column)


def test_bad_input_specific_outcomes(bad_build):
    _, warehouse, _, result = bad_build
    assert result.ok
    con = duckdb.connect(str(warehouse), read_only=True)

    def one(sql, *params):
        rows = con.execute(sql, list(params)).fetchall()
        assert len(rows) == 1, (sql, rows)
        return rows[0]

    # trimmed, emails lowercased; names kept exactly (case folding is the identity layer's job)
    assert one("select first_name, last_name, email, is_email_valid from stg_crm__contacts where contact_id = ?",
               "c-ok") == ("Anna", "ROSSI", "anna.rossi@gmail.com", True)
    assert one("select is_email_valid from stg_crm__contacts where contact_id = ?", "c-bad-email") == (False,)
    # empty strings are NULL
    assert one("select first_name, last_name, email, phone from stg_crm__contacts where contact_id = ?",
               "c-empty-strings") == (None, None, None, None)
    # birth dates: day-first by default, month-first for US records; 1900 / future / impossible -> NULL + flag
    assert str(one("select date_of_birth from stg_crm__contacts where contact_id = ?", "c-ok")[0]) == "1985-03-21"
    assert str(one("select date_of_birth from stg_crm__contacts where contact_id = ?", "c-us-dob")[0]) == "1985-03-21"
    for record_id in ("c-1900", "c-future-dob", "c-bad-dob"):
        dob, flags = one("select date_of_birth, invalid_fields from stg_crm__contacts where contact_id = ?", record_id)
        assert dob is None and "date_of_birth" in flags, record_id
    # Unicode and injection-looking text are kept verbatim
    for i, (first, last) in enumerate(UNICODE_NAMES):
        assert one("select first_name, last_name from stg_crm__contacts where contact_id = ?",
                   f"c-unicode-{i}") == (first, last)
    for i, text in enumerate(INJECTION):
        assert one("select company from stg_crm__contacts where contact_id = ?", f"c-inject-{i}") == (text,)
    # duplicates: one copy staged, the other quarantined; the newest version wins
    assert one("select count(*) from stg_quarantine__rows where source_record_id = 'c-dup'") == (1,)
    assert one("select reason from stg_quarantine__rows where source_record_id = 'c-dup'") == ("exact_duplicate",)
    assert one("select first_name from stg_crm__contacts where contact_id = 'c-versioned'") == ("New version",)
    assert one("select reason from stg_quarantine__rows where source_record_id = 'c-versioned'") == (
        "superseded_version",)
    assert one("select count(*) from stg_quarantine__rows where source_table = 'contacts' and reason = 'missing_id'"
               ) == (2,)
    # CRM merges and soft deletes are mapped, not dropped
    assert one("select merged_into_contact_id, is_deleted from stg_crm__contacts where contact_id = 'c-merged'") == (
        "c-ok", False)
    assert one("select is_deleted from stg_crm__contacts where contact_id = 'c-deleted'") == (True,)
    # money and enumerations
    assert one("select currency, financial_status from stg_shop__orders where order_id = 'o-ok'") == ("EUR", "paid")
    # zero-row tables build as empty models
    assert one("select count(*) from stg_pos__transactions") == (0,)


def test_missing_required_column_fails_naming_file_and_column(tmp_path):
    landing = tmp_path / "landing"
    write_empty(landing)
    path = landing / "shop" / "orders.parquet"
    table = pq.read_table(path).drop(["currency"])
    pq.write_table(table, path)
    result = run_dbt(["build", "--select", "+stg_shop__orders"], landing, tmp_path / "w.duckdb")
    assert not result.ok
    assert str(path) in result.output and "currency" in result.output, result.output[-3000:]


def test_missing_optional_column_and_extra_column_build(tmp_path):
    landing = tmp_path / "landing"
    write_empty(landing)
    path = landing / "crm" / "contacts.parquet"
    table = pq.read_table(path).drop(["company", "merged_into_contact_id"])
    table = table.append_column("favourite_colour", table.column("first_name"))
    pq.write_table(table, path)
    result = run_dbt(["build"], landing, tmp_path / "w.duckdb")
    assert result.ok, result.output[-3000:]


def test_absent_table_builds_empty_unless_strict(tmp_path):
    landing = tmp_path / "landing"
    write_empty(landing)
    (landing / "support" / "tickets.parquet").unlink()
    result = run_dbt(["build"], landing, tmp_path / "w.duckdb")
    assert result.ok, result.output[-3000:]
    assert "support/tickets.parquet is absent" in result.output
    strict = run_dbt(["build", "--select", "+stg_support__tickets"], landing, tmp_path / "w2.duckdb",
                     extra_vars="{strict_landing: true}")
    assert not strict.ok and "support/tickets" in strict.output


def test_no_landing_files_at_all_fails_clearly(tmp_path):
    (tmp_path / "landing").mkdir()
    result = run_dbt(["build", "--select", "+stg_crm__contacts"], tmp_path / "landing", tmp_path / "w.duckdb")
    assert not result.ok
    assert "No landing files found" in result.output


def test_reconciliation_test_fails_when_staging_loses_rows(built_world, tmp_path):
    """The nothing-lost test can fail: drop rows from one staging model and run the tests again."""
    landing, warehouse, result = built_world
    assert result.ok
    tampered = tmp_path / "tampered.duckdb"
    shutil.copy(warehouse, tampered)
    con = duckdb.connect(str(tampered))
    con.execute("alter table stg_crm__contacts rename to stg_crm__contacts_intact")
    con.execute("create or replace view stg_crm__contacts as "
                "select * from stg_crm__contacts_intact where contact_id not like '%1'")
    con.close()
    failed = run_dbt(["test", "--select", "stg_crm__contacts,test_name:reconciles_with_landing"], landing, tampered)
    assert not failed.ok
    assert "reconciles_with_landing" in failed.output
