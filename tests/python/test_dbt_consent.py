"""Consent, privacy and governance rules (1-5, 7, 8, 13, 14, 16) on the small built world.

Positive asserts on the generated world, then each governance test shown to fail: the built
warehouse is copied, the rule is broken in the copy, and `dbt test` (or the erasure check
operation) on the copy must go red. The graph checks (rules 8, 14, 16) get a copy of the project
with a broken mart, audience and source.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from support import ROOT, run_dbt

pytestmark = pytest.mark.dbt

AUDIENCES = ("audience_email_marketing", "audience_sms_marketing", "audience_personalised_ads")


def _failed_tests(output: str) -> set[str]:
    return set(re.findall(r"FAIL \d+ (\S+)", output))


def test_consent_marts_build_and_hold_on_the_generated_world(built_world):
    _, warehouse, result = built_world
    assert result.ok, result.output[-4000:]
    # the erasure check ran at the end of the build and found nothing
    checked = re.search(r"erasure check \(rule 5\): (\d+) PII columns checked, (\d+) holding", result.output)
    assert checked and int(checked.group(1)) >= 40 and checked.group(2) == "0", result.output[-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    current = con.execute("select count(*), count(distinct (contact_point_type, contact_point_key, purpose, channel))"
                          " from consent_current").fetchall()[0]
    assert current[0] == current[1] > 0
    assert con.execute("select count(*) from audience_email_marketing").fetchall()[0][0] > 0
    for audience in AUDIENCES:
        # zero members without a current valid consent (ledger or soft opt-in) on the address or its account
        invalid = con.execute(f"""
            select count(*) from {audience} as a
            where not exists (
                select 1 from int_consent__address_states as s
                where s.address_key = a.contact_point_key and s.purpose = a.purpose
                  and s.has_valid_permission and not s.is_blocked)
        """).fetchall()[0][0]
        assert invalid == 0, audience
    summary = con.execute("select count(*), count(distinct customer_id) from customer_consent_summary").fetchall()[0]
    customers = con.execute("select count(distinct customer_id) from customer_identity_map").fetchall()[0][0]
    assert summary[0] == summary[1] == customers
    # the analytics views exist and carry no direct-PII column
    columns = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'analytics'"
        " and table_name = 'audience_email_marketing'").fetchall()}
    assert "customer_id" in columns and "send_to" not in columns and "contact_point_key" not in columns


def test_consent_marts_and_audience_tests_judge_expiry_at_one_instant(built_world):
    """A consent that expires while the build runs must not fail the test of the audience it was
    valid for (a 1M-person build failed rule 1 so: consent_current judged expiry at its own build
    time, the audience test minutes later). Both read consent_as_of(), the run's start."""
    _, warehouse, result = built_world
    assert result.ok
    compiled = warehouse.parent / f"target-{warehouse.stem}" / "compiled" / "single_customer_view"
    model = (compiled / "models" / "marts" / "consent" / "consent_current.sql").read_text()
    tests = sorted((compiled / "models" / "marts" / "consent" / "_consent__models.yml").glob(
        "audience_has_valid_consent_*.sql"))
    assert len(tests) == len(AUDIENCES)
    instant = re.compile(r"expires_at > cast\('([0-9: .-]+)' as timestamp\)")
    judged = set(instant.findall(model))
    assert len(judged) == 1, judged
    for test in tests:
        sql = test.read_text()
        assert set(instant.findall(sql)) == judged, test.name
        assert "now()" not in sql and "current_timestamp" not in sql.lower(), test.name
    assert "now()" not in model and "current_timestamp" not in model.lower()


def _erased_email(landing: Path) -> str:
    con = duckdb.connect()
    return con.execute(
        f"select min(lower(trim(subject_value))) from '{landing}/privacy/requests.parquet'"
        " where request_type = 'erasure' and status = 'completed' and subject_type = 'email'").fetchall()[0][0]


def test_a_redelivered_erased_record_is_erased_again(built_world, tmp_path):
    """Rule 5, no resurrection: a new shop account with an erased email (other spelling) is erased in staging."""
    landing, warehouse, _ = built_world
    email = _erased_email(landing)
    assert email
    copy_landing = tmp_path / "landing"
    shutil.copytree(landing, copy_landing)
    customers_path = copy_landing / "shop" / "customers.parquet"
    customers = pq.read_table(customers_path)
    row = {name: [None] for name in customers.column_names}
    row.update(customer_id=["REDELIVERED-1"], email=[f"  {email.upper()} "], first_name=["Again"],
               last_name=["Back"], created_at=[customers.column("created_at")[0].as_py()],
               updated_at=[customers.column("updated_at")[0].as_py()])
    extra = pa.table(row, schema=customers.schema)
    # delivered twice: the exact duplicate is quarantined, and must not keep the raw row either
    pq.write_table(pa.concat_tables([customers, extra, extra]), customers_path)
    copy = tmp_path / "redelivered.duckdb"
    shutil.copy(warehouse, copy)
    result = run_dbt(["run", "--select", "base_shop__customers", "stg_shop__customers", "stg_quarantine__rows"],
                     copy_landing, copy)
    assert result.ok, result.output[-3000:]
    con = duckdb.connect(str(copy), read_only=True)
    staged = con.execute("select is_erased, email, first_name, last_name from stg_shop__customers"
                         " where shop_customer_id = 'REDELIVERED-1'").fetchall()
    assert staged == [(True, None, None, None)]
    quarantined = con.execute("select reason, is_erased, raw_row from stg_quarantine__rows"
                              " where source_record_id = 'REDELIVERED-1'").fetchall()
    assert quarantined == [("exact_duplicate", True, None)]
    # the suppression list holds only the salted hash, and it catches the re-delivered address
    salt = "scv-development-salt-do-not-use-in-production"
    caught = con.execute("select count(*) from suppression_list where reason = 'erased' and identifier_hash = "
                         "sha256(? || '|email|' || lower(trim(?)))", [salt, f"  {email.upper()} "]).fetchall()[0][0]
    assert caught == 1
    assert con.execute("select count(*) from suppression_list where identifier_hash = ?", [email]).fetchall()[0][0] == 0
    con.close()
    # the erasure list is append-only: with every privacy request gone from the landing files, still erased
    requests_path = copy_landing / "privacy" / "requests.parquet"
    pq.write_table(pq.read_table(requests_path).slice(0, 0), requests_path)
    result = run_dbt(["run", "--select", "base_privacy__requests", "stg_privacy__requests",
                      "stg_privacy__erased_identifiers", "stg_shop__customers"], copy_landing, copy)
    assert result.ok, result.output[-3000:]
    con = duckdb.connect(str(copy), read_only=True)
    assert con.execute("select count(*) from stg_privacy__requests").fetchall()[0][0] == 0
    assert con.execute("select is_erased, email from stg_shop__customers where shop_customer_id = 'REDELIVERED-1'"
                       ).fetchall() == [(True, None)]


def test_an_account_erased_through_its_email_takes_its_orders_along(built_world, tmp_path):
    """Rule 5: a second shop account carrying an erased email is erased, and so is its order placed
    under another email (the account's id is listed; at 1M persons 22 customers showed such orders)."""
    landing, warehouse, _ = built_world
    email = _erased_email(landing)
    copy_landing = tmp_path / "landing"
    shutil.copytree(landing, copy_landing)
    customers_path = copy_landing / "shop" / "customers.parquet"
    customers = pq.read_table(customers_path)
    row = {name: [None] for name in customers.column_names}
    row.update(customer_id=["SECOND-ACCOUNT-1"], email=[email.upper()], first_name=["Second"],
               last_name=["Account"], created_at=[customers.column("created_at")[0].as_py()],
               updated_at=[customers.column("updated_at")[0].as_py()])
    pq.write_table(pa.concat_tables([customers, pa.table(row, schema=customers.schema)]), customers_path)
    orders_path = copy_landing / "shop" / "orders.parquet"
    orders = pq.read_table(orders_path)
    order = orders.slice(0, 1).to_pylist()[0]
    order.update(order_id="#SECOND-HOP-1", customer_id="SECOND-ACCOUNT-1", email="not.the.subject@example.org",
                 billing_first_name="Second", billing_last_name="Account", billing_phone=None)
    pq.write_table(pa.concat_tables([orders, pa.Table.from_pylist([order], schema=orders.schema)]), orders_path)
    copy = tmp_path / "second_account.duckdb"
    shutil.copy(warehouse, copy)
    result = run_dbt(["run", "--select", "base_shop__customers", "base_shop__orders", "stg_privacy__erased_identifiers",
                      "stg_shop__customers", "stg_shop__orders"], copy_landing, copy)
    assert result.ok, result.output[-3000:]
    con = duckdb.connect(str(copy), read_only=True)
    assert con.execute("select is_erased, email from stg_shop__customers where shop_customer_id = 'SECOND-ACCOUNT-1'"
                       ).fetchall() == [(True, None)]
    staged = con.execute("select is_erased, email, shop_customer_id from stg_shop__orders"
                         " where order_id = '#SECOND-HOP-1'").fetchall()
    assert staged == [(True, None, None)]


def test_consent_rules_fail_on_broken_data(built_world, tmp_path):
    """Rules 1, 2, 3, 4 and 7: break each in a copy of the warehouse; its test must fail."""
    landing, warehouse, _ = built_world
    copy = tmp_path / "tampered.duckdb"
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    member = "(contact_point_key, send_to, customer_id, linked_customer_count, purpose, lawful_basis)"
    # rule 1: the email-marketing consents lose their proof (notice version), so the members who are
    # there by consent have none left (one event alone is not enough: an address can hold several
    # proven grants, e.g. its own and its shop account's, and which event an audience row names is
    # not fixed)
    assert con.execute("select count(*) from audience_email_marketing where lawful_basis = 'consent'"
                       ).fetchall()[0][0] > 0
    con.execute("update consent_history set notice_version = null where purpose = 'marketing_email'")
    # rule 2: a second current row for one contact point, purpose and channel
    con.execute("insert into consent_current select * from consent_current limit 1")
    # rule 3: an SMS member nobody gave consent for
    con.execute(f"insert into audience_sms_marketing {member} values "
                "('999999999', '+999999999', 'cus_nobody', 1, 'marketing_sms', 'consent')")
    # rule 4: an address whose latest email-marketing event is a withdrawal
    con.execute(f"insert into audience_email_marketing {member} select contact_point_key, contact_point_key,"
                " 'cus_withdrawn', 1, purpose, 'consent' from consent_current where contact_point_type = 'email'"
                " and purpose = 'marketing_email' and consent_state = 'withdrawn' limit 1")
    # rule 7: a minor's email in the profiling audience
    con.execute(f"insert into audience_personalised_ads {member} select h.contact_point_key, h.contact_point_key,"
                " h.customer_id, 1, 'profiling', 'consent' from int_consent__contact_point_customers h"
                " join customer_consent_summary s using (customer_id)"
                " where s.is_minor and h.contact_point_type = 'email' limit 1")
    con.close()
    result = run_dbt(["test", "--select", "consent_current,test_type:data", "audience_email_marketing",
                      "audience_sms_marketing", "audience_personalised_ads"], landing, copy)
    assert not result.ok
    failed = _failed_tests(result.output)
    expected = {
        "audience_has_valid_consent_audience_email_marketing_",  # rule 1
        "unique_combination_of_columns_consent_current_contact_point_type__contact_point_key__purpose__channel",  # rule 2
        "audience_has_valid_consent_audience_sms_marketing_",  # rule 3
        "audience_excludes_withdrawn_objected_suppressed_audience_email_marketing_",  # rule 4
        "audience_excludes_minors_audience_personalised_ads_",  # rule 7
    }
    assert expected <= failed, (failed, result.output[-3000:])


def test_erasure_check_fails_when_erased_data_comes_back(built_world, tmp_path):
    """Rule 5: put an erased subject's email back into one staged view; the warehouse-wide check must fail."""
    landing, warehouse, _ = built_world
    copy = tmp_path / "resurrected.duckdb"
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    assert con.execute("select count(*) from stg_shop__customers where is_erased").fetchall()[0][0] > 0
    con.execute("alter table stg_shop__customers rename to stg_shop__customers_intact")
    con.execute("create view stg_shop__customers as select * replace ("
                "coalesce(email, (select b.email from base_shop__customers b"
                " where b.shop_customer_id = s.shop_customer_id limit 1)) as email)"
                " from stg_shop__customers_intact s")
    con.close()
    result = run_dbt(["run-operation", "check_erasure_reached_everything"], landing, copy)
    assert not result.ok
    assert "Governance rule 5 broken" in result.output and "stg_shop__customers.email" in result.output


def _erased_phone_digits(con: duckdb.DuckDBPyConnection) -> str:
    """The last nine digits of an erased shop customer's phone (read from the raw base view)."""
    return con.execute(
        "select right(regexp_replace(b.phone, '[^0-9]', '', 'g'), 9) from base_shop__customers b"
        " join stg_shop__customers s on s.shop_customer_id = b.shop_customer_id"
        " where s.is_erased and length(regexp_replace(b.phone, '[^0-9]', '', 'g')) >= 9 limit 1").fetchall()[0][0]


def test_erasure_check_does_not_read_an_ip_address_as_a_phone(built_world, tmp_path):
    """Rule 5's check compares phones by their last nine digits; an IP address whose digits are an
    erased subject's phone is not that subject's data (this failed a 1M-person build: 29 such IPs)."""
    landing, warehouse, _ = built_world
    copy = tmp_path / "ip.duckdb"
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    digits = _erased_phone_digits(con)
    ip = f"{digits[:3]}.{digits[3:6]}.{digits[6:8]}.{digits[8:]}"
    con.execute("alter table stg_web__events rename to stg_web__events_intact")
    con.execute(f"create view stg_web__events as select * replace ("
                f"case when event_id = (select min(event_id) from stg_web__events_intact where not is_erased)"
                f" then '{ip}' else ip_address end as ip_address) from stg_web__events_intact")
    con.close()
    result = run_dbt(["run-operation", "check_erasure_reached_everything"], landing, copy)
    assert result.ok, result.output[-3000:]
    # the same digits written as a phone number are the erased subject's phone
    con = duckdb.connect(str(copy))
    con.execute("create or replace view stg_web__events as select * replace ("
                f"case when event_id = (select min(event_id) from stg_web__events_intact where not is_erased)"
                f" then '+39 {digits}' else ip_address end as ip_address) from stg_web__events_intact")
    con.close()
    result = run_dbt(["run-operation", "check_erasure_reached_everything"], landing, copy)
    assert not result.ok and "stg_web__events.ip_address" in result.output, result.output[-3000:]


def test_erasure_check_reads_a_typed_identifier_as_its_type(built_world, tmp_path):
    """A consent subject's value is hashed as its subject_type says (meta.identifier_type_column):
    a shop customer id whose digits end like an erased phone is not that phone (a 1M-person build
    failed on 000400004140), but the same value typed as a phone is the erased subject's."""
    landing, warehouse, _ = built_world
    copy = tmp_path / "typed.duckdb"
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    digits = _erased_phone_digits(con)
    con.execute("alter table stg_consent__events rename to stg_consent__events_intact")

    def subject(subject_type: str) -> None:
        con.execute("create or replace view stg_consent__events as select * replace ("
                    "case when consent_event_id = (select min(consent_event_id) from stg_consent__events_intact"
                    f" where not is_erased) then '{subject_type}' else subject_type end as subject_type,"
                    "case when consent_event_id = (select min(consent_event_id) from stg_consent__events_intact"
                    f" where not is_erased) then '000{digits}' else subject_value end as subject_value)"
                    " from stg_consent__events_intact")

    subject("shop_customer")
    con.close()
    result = run_dbt(["run-operation", "check_erasure_reached_everything"], landing, copy)
    assert result.ok, result.output[-3000:]
    con = duckdb.connect(str(copy))
    subject("phone")
    con.close()
    result = run_dbt(["run-operation", "check_erasure_reached_everything"], landing, copy)
    assert not result.ok and "stg_consent__events.subject_value" in result.output, result.output[-3000:]


BROKEN_MART_SQL = "select 1 as id, 'someone@example.org' as email\n"
BROKEN_YML = """version: 2
models:
  - name: zz_broken_mart
    description: A mart that breaks rules 8 and 14.
    columns:
      - name: id
        meta: {pii: none}
      - name: email
        description: An email, direct PII, but the model is not tagged pii.
        meta: {pii: direct}
semantic_models:
  - name: zz_broken_semantic
    description: A semantic model that hands a BI tool an email address (rule 8).
    model: ref('zz_broken_mart')
    entities:
      - {name: zz_thing, type: primary, expr: id}
    dimensions:
      - {name: email, type: categorical}
      - {name: id_and_email, type: categorical, expr: "id || email"}
      - {name: id_only, type: categorical, expr: id}
sources:
  - name: zz_source
    tables:
      - name: zz_table
        description: A source without freshness.
"""


def test_graph_checks_fail_on_a_broken_project(small_world, tmp_path):
    """Rules 5 (no stored landing rows), 8 (metadata, ownership, no PII in the semantic layer), 14,
    16 and the audience test coverage: a project copy with a broken mart (in a folder no group
    owns) and a semantic model over it, an audience, a source and a table copying a landing source."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(ROOT / name, project / name)
    for folder in ("models", "macros", "seeds", "analyses"):
        if (ROOT / folder).exists():
            shutil.copytree(ROOT / folder, project / folder)
    shutil.copytree(ROOT / "tests", project / "tests", ignore=shutil.ignore_patterns("python", "__pycache__"))
    broken = project / "models" / "marts" / "zz_broken"
    broken.mkdir()
    (broken / "zz_broken_mart.sql").write_text(BROKEN_MART_SQL)
    (broken / "audience_zz_untested.sql").write_text(BROKEN_MART_SQL)
    (broken / "_zz_broken.yml").write_text(BROKEN_YML)
    (broken / "zz_landing_copy.sql").write_text(
        "{{ config(materialized='table') }}\nselect * from {{ source('zz_source', 'zz_table') }}\n")
    result = run_dbt(["test", "--select", "path:tests/governance"], small_world, tmp_path / "w.duckdb",
                     project=project)
    assert not result.ok
    failed = _failed_tests(result.output)
    assert {"assert_mart_columns_have_description_and_pii", "assert_every_model_has_primary_key_test",
            "assert_sources_declare_freshness", "assert_audiences_carry_consent_tests",
            "assert_landing_rows_are_not_stored", "assert_every_node_has_an_owner",
            "assert_semantic_layer_exposes_no_pii"} <= failed, result.output[-3000:]
    # the ownership check names the models without a group, and only them (its compiled SQL holds
    # one row per problem)
    compiled = next((tmp_path / "target-w" / "compiled").rglob("assert_every_node_has_an_owner.sql")).read_text()
    named = set(re.findall(r"'(\w+)' as object_name", compiled))
    assert named == {"zz_broken_mart", "audience_zz_untested", "zz_landing_copy"}, compiled[-2000:]
    # the semantic layer check names the two dimensions that read the email, not the one on the id
    compiled = next((tmp_path / "target-w" / "compiled").rglob("assert_semantic_layer_exposes_no_pii.sql")).read_text()
    named = set(re.findall(r"'([\w.]+)' as object_name", compiled))
    assert named == {"zz_broken_semantic.email", "zz_broken_semantic.id_and_email"}, compiled[-2000:]


def _argument_names(signature: str) -> set[str]:
    """The argument names of a Jinja macro signature ("a, b=[1, 2], c='x,y'")."""
    names, depth, quote, current = set(), 0, None, ""
    for char in signature + ",":
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            if current.strip():
                names.add(current.split("=")[0].strip())
            current = ""
            continue
        current += char
    return names


def test_every_macro_is_documented_with_its_arguments(built_world):
    """Rule 8 for reusable logic: every macro of the project (tests/generic included) has a
    description in a properties file, and documents exactly the arguments of its signature. Macros
    are not in dbt's `graph` variable, so this reads the manifest the build wrote."""
    _, warehouse, result = built_world
    assert result.ok, result.output[-3000:]
    manifest = json.loads((warehouse.parent / f"target-{warehouse.stem}" / "manifest.json").read_text())
    problems = []
    for macro in manifest["macros"].values():
        if macro["package_name"] != "single_customer_view":
            continue
        if not (macro.get("description") or "").strip():
            problems.append(f"{macro['name']}: no description")
            continue
        signature = re.search(r"\{%-?\s*(?:macro|test)\s+\w+\s*\((.*?)\)\s*-?%\}", macro["macro_sql"], re.S)
        declared = _argument_names(signature.group(1)) if signature else set()
        documented = {arg["name"] for arg in macro.get("arguments") or []}
        if documented != declared:
            problems.append(f"{macro['name']}: documents {sorted(documented)}, declares {sorted(declared)}")
    assert not problems, "\n".join(problems)
