"""The probabilistic linking engine (scv.linking) on tiny, hand-made frames.

Scoring uses the model shipped in scv/models/ (no training), so the tests are fast and
deterministic. Input values are already normalized, as scv.normalize would deliver them.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import duckdb
import jellyfish
import pandas as pd
import pyarrow as pa
import pytest
import yaml

from scv import linking

# a few nickname -> canonical pairs (the normalizer reads them from seeds/nickname_pairs.csv)
NICKNAMES = {"bob": "robert", "bobby": "robert", "bill": "william", "liz": "elizabeth", "kate": "katherine"}

COMPARISONS = ["name", "date_of_birth", "email", "phone", "address"]

#: The probability at which a fuzzy link merges customers (the project's var): a hard case that
#: must link must score at least this.
MERGES_AT = float(yaml.safe_load((Path(__file__).resolve().parents[2] / "dbt_project.yml").read_text())
                  ["vars"]["identity_fuzzy_min_probability"])


def record(key: str, source: str = "crm", first: str | None = None, last: str | None = None,
           dob: str | None = None, email: str | None = None, phone: str | None = None,
           postcode: str | None = None, city: str | None = None, street: str | None = None,
           shop_id: str | None = None) -> dict:
    return {
        "record_key": key, "source_system": source,
        "first_name_norm": first, "last_name_norm": last,
        "first_name_canonical": NICKNAMES.get(first, first) if first else None,
        "first_name_metaphone": jellyfish.metaphone(first) if first else None,
        "last_name_metaphone": jellyfish.metaphone(last) if last else None,
        "date_of_birth": pd.Timestamp(dob) if dob else pd.NaT,
        "email_norm": email, "phone_e164": phone, "postcode_norm": postcode, "city_norm": city,
        "street_norm": street, "shop_customer_id": shop_id,
    }


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


@pytest.fixture(scope="module")
def model() -> linking.LinkModel:
    return linking.load_model()


def probability(edges: pd.DataFrame, a: str, b: str) -> float:
    """The pair's probability (0.0 when the pair is not an edge at all)."""
    lo, hi = sorted((a, b))
    hit = edges[(edges["record_key_l"] == lo) & (edges["record_key_r"] == hi)]
    return float(hit["match_probability"].iloc[0]) if len(hit) else 0.0


def score(model, *rows: dict) -> pd.DataFrame:
    return linking.predict_edges(frame(*rows), model, threshold=0.0)


# --- the shipped model ------------------------------------------------------------------------

def test_shipped_model_loads_and_is_complete(model):
    assert model.training_records > 1000
    assert 0 < model.probability_two_random_records_match < 1e-2
    names = [c["output_column_name"] for c in model.splink_model["comparisons"]]
    assert names == COMPARISONS
    for comp in model.splink_model["comparisons"]:
        for level in comp["comparison_levels"]:
            if not level.get("is_null_level"):
                assert isinstance(level["m_probability"], float) and isinstance(level["u_probability"], float)
    assert model.splink_model["link_type"] == "dedupe_only"
    assert model.splink_model["unique_id_column_name"] == "record_key"
    assert set(model.term_frequencies) == set(linking.TF_SAVED_COLUMNS)


def test_settings_are_splink_settings():
    s = linking.settings()
    assert s.link_type == "dedupe_only" and s.unique_id_column_name == "record_key"
    assert s.retain_intermediate_calculation_columns
    assert len(s.blocking_rules_to_generate_predictions) >= 8
    assert [c.create_output_column_name() for c in s.comparisons] == COMPARISONS


# --- hard cases that must link ----------------------------------------------------------------

def test_nickname_links(model):
    edges = score(model,
                  record("crm:1", "crm", "robert", "hartley", "1980-04-02", "rhartley@example.org", "+447911123456"),
                  record("shop:9", "shop", "bob", "hartley", "1980-04-02", "rhartley@example.org", "+447911123456"))
    assert probability(edges, "crm:1", "shop:9") >= MERGES_AT


def test_ambiguous_and_unlisted_nicknames_link(model):
    # the normalizer may list alternatives for an ambiguous nickname ("sam": samantha or samuel)
    sam = {**record("shop:5", "shop", "sam", "okoro", "1988-08-08", "s.okoro@example.net"),
           "first_name_canonical": "samantha|samuel"}
    edges = score(model, record("crm:1", "crm", "samuel", "okoro", "1988-08-08", "s.okoro@example.net"), sam)
    assert probability(edges, "crm:1", "shop:5") >= MERGES_AT
    # a short form missing from the nickname seed still is no "unrelated first name"
    edges = score(model,
                  record("crm:2", "crm", "christopher", "lindqvist", "1979-12-01", phone="+46701234567"),
                  record("support:6", "support", "chris", "lindqvist", "1979-12-01", phone="+46701234567"))
    assert probability(edges, "crm:2", "support:6") >= MERGES_AT


def test_typo_in_last_name_links(model):
    edges = score(model,
                  record("crm:1", "crm", "jonathan", "harrington", "1975-11-30", postcode="SW1A1AA",
                         city="london", street="10 downing street"),
                  record("loyalty:2", "loyalty", "jonathan", "harringtom", "1975-11-30", postcode="SW1A1AA"))
    assert probability(edges, "crm:1", "loyalty:2") >= MERGES_AT


def test_swapped_first_and_last_name_links(model):
    edges = score(model,
                  record("crm:1", "crm", "john", "okafor", "1990-01-15", phone="+12025550143"),
                  record("support:7", "support", "okafor", "john", "1990-01-15", phone="+12025550143"))
    assert probability(edges, "crm:1", "support:7") >= MERGES_AT


def test_unicode_folded_name_links(model):
    # "José Núñez" and "Jose Nunez" are the same after the normalizer's Unicode folding
    edges = score(model,
                  record("crm:1", "crm", "jose", "nunez", "1968-07-09", "jnunez@example.es"),
                  record("loyalty:3", "loyalty", "jose", "nunez", "1968-07-09", "jnunez@example.es"))
    assert probability(edges, "crm:1", "loyalty:3") >= MERGES_AT


def test_moved_address_with_same_name_dob_and_email_links(model):
    edges = score(model,
                  record("crm:1", "crm", "claire", "dubois", "1985-03-21", "claire.dubois@example.fr",
                         postcode="75011", city="paris", street="12 rue oberkampf"),
                  record("shop:4", "shop", "claire", "dubois", "1985-03-21", "claire.dubois@example.fr",
                         postcode="69002", city="lyon", street="3 quai saint antoine"))
    p = probability(edges, "crm:1", "shop:4")
    assert p >= MERGES_AT
    weights = json.loads(edges["comparison_weights"].iloc[0])
    assert weights["address"] < 0  # the move counts against, and is outweighed


def test_day_month_swapped_birth_date_links(model):
    edges = score(model,
                  record("crm:1", "crm", "giulia", "ferrara", "1991-03-07", phone="+393123456789"),
                  record("loyalty:8", "loyalty", "giulia", "ferrara", "1991-07-03", phone="+393123456789"))
    assert probability(edges, "crm:1", "loyalty:8") > 0.9


# --- hard cases that must not link ------------------------------------------------------------

def test_twins_do_not_link(model):
    # same surname, birth date, address - and even the same phone and a family email
    twin_a = record("crm:1", "crm", "anna", "moretti", "2001-05-05", "moretti.family@example.it", "+393331112222",
                    postcode="20121", city="milano", street="via dante 4")
    twin_b = record("crm:2", "crm", "chiara", "moretti", "2001-05-05", "moretti.family@example.it", "+393331112222",
                    postcode="20121", city="milano", street="via dante 4")
    edges = score(model, twin_a, twin_b)
    assert probability(edges, "crm:1", "crm:2") < 0.5
    plain = score(model, {**twin_a, "email_norm": None, "phone_e164": None},
                  {**twin_b, "email_norm": None, "phone_e164": None})
    assert probability(plain, "crm:1", "crm:2") < 0.5


def test_shared_household_email_with_other_first_name_and_dob_does_not_link(model):
    edges = score(model,
                  record("shop:1", "shop", "mark", "jensen", "1970-02-14", "thejensens@example.com"),
                  record("shop:2", "shop", "susan", "jensen", "1972-09-30", "thejensens@example.com"))
    assert probability(edges, "shop:1", "shop:2") < 0.5


def test_same_common_name_alone_is_not_enough(model):
    edges = score(model,
                  record("support:1", "support", "john", "smith"),
                  record("ads:2", "ads", "john", "smith"))
    assert probability(edges, "support:1", "ads:2") < 0.5


# --- output contract --------------------------------------------------------------------------

def _sample_frame() -> pd.DataFrame:
    return frame(
        record("shop:2", "shop", "bob", "hartley", "1980-04-02", "rhartley@example.org", shop_id="2"),
        record("crm:1", "crm", "robert", "hartley", "1980-04-02", "rhartley@example.org", "+447911123456"),
        record("loyalty:5", "loyalty", "robert", "hartley", "1980-04-02", phone="+447911123456"),
        record("shop:3", "shop", "robert", "hartley", None, "rhartley@example.org", shop_id="3"),
        record("email:4", "email", None, None, None, "someone.else@example.org"),
    )


def test_edges_shape_order_and_explanation(model):
    edges = linking.predict_edges(_sample_frame(), model, threshold=0.5)
    assert list(edges.columns) == list(linking.EDGE_COLUMNS)
    assert len(edges) >= 3
    assert (edges["record_key_l"] < edges["record_key_r"]).all()
    assert edges[["record_key_l", "record_key_r"]].apply(tuple, axis=1).is_monotonic_increasing
    assert (edges["match_probability"] >= 0.5).all()
    prior_w = math.log2(model.probability_two_random_records_match / (1 - model.probability_two_random_records_match))
    for _, e in edges.iterrows():
        weights = json.loads(e["comparison_weights"])
        assert list(weights) == COMPARISONS
        # the explanation adds up to the edge's match weight (each part rounded to 4 decimals)
        assert math.isclose(prior_w + sum(weights.values()), e["match_weight"], abs_tol=1e-2)
        assert math.isclose(e["match_probability"], 1 / (1 + 2 ** -e["match_weight"]), rel_tol=1e-6)
    assert linking.explain(edges.iloc[0])  # readable form


def test_conflicting_accounts_are_flagged_not_dropped(model):
    edges = linking.predict_edges(_sample_frame(), model, threshold=0.5)
    pair = edges[(edges["record_key_l"] == "shop:2") & (edges["record_key_r"] == "shop:3")]
    assert len(pair) == 1 and bool(pair["conflicting_accounts"].iloc[0])
    assert pair["match_probability"].iloc[0] >= 0.5  # the probability is kept
    others = edges.drop(pair.index)
    assert not others["conflicting_accounts"].any()


def test_predictions_are_deterministic(model):
    records = _sample_frame()
    first = linking.predict_edges(records, model, threshold=0.0)
    second = linking.predict_edges(records.sample(frac=1.0, random_state=3), model, threshold=0.0)
    pd.testing.assert_frame_equal(first, second)


def test_predict_leaves_callers_connections_alone(model, tmp_path):
    warehouse = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    warehouse.execute("create table stg_crm__contacts as select 1 as contact_id")
    before = warehouse.execute("select table_name from information_schema.tables order by 1").fetchall()
    linking.predict_edges(_sample_frame(), model)
    after = warehouse.execute("select table_name from information_schema.tables order by 1").fetchall()
    assert after == before
    for con in (warehouse, duckdb.default_connection() if callable(getattr(duckdb, "default_connection", None))
                else duckdb):
        names = [r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()]
        assert not [n for n in names if n.startswith("__splink__")]
    warehouse.close()


def test_tiny_and_sparse_inputs(model):
    empty = linking.predict_edges(_sample_frame().head(0), model)
    assert list(empty.columns) == list(linking.EDGE_COLUMNS) and empty.empty
    one = linking.predict_edges(_sample_frame().head(1), model)
    assert one.empty
    # optional columns may be absent altogether; string dates are accepted
    sparse = pd.DataFrame({"record_key": ["a", "b"], "source_system": ["crm", "shop"],
                           "email_norm": ["x.y@example.com", "x.y@example.com"],
                           "date_of_birth": ["1990-01-01", None]})
    edges = linking.predict_edges(sparse, model, threshold=0.0)
    assert len(edges) == 1


def test_bad_input_is_rejected(model):
    with pytest.raises(ValueError, match="record_key"):
        linking.predict_edges(pd.DataFrame({"source_system": ["crm"]}), model)
    dup = pd.DataFrame({"record_key": ["a", "a"], "source_system": ["crm", "crm"]})
    with pytest.raises(ValueError, match="unique"):
        linking.predict_edges(dup, model)


# --- training ---------------------------------------------------------------------------------

def _small_world(persons: int = 300, seed: int = 1) -> pd.DataFrame:
    rng = random.Random(seed)
    firsts = ["anna", "marco", "lucia", "peter", "sarah", "tom", "ioana", "mihai", "linh", "minh", "emma", "noah",
              "olivia", "liam", "mia", "lucas", "sofia", "leon", "hannah", "paul"]
    lasts = ["rossi", "bianchi", "smith", "jones", "popescu", "ionescu", "nguyen", "tran", "muller", "schmidt",
             "brown", "taylor", "ferrari", "russo", "wilson", "davies", "stan", "pham", "weber", "wagner"]
    rows = []
    for i in range(persons):
        f, s = rng.choice(firsts), rng.choice(lasts)
        dob = pd.Timestamp("1950-01-01") + pd.Timedelta(days=rng.randrange(20000))
        email = f"{f}.{s}{i}@example.com"
        phone = f"+44770{i:07d}"
        pc = f"PC{rng.randrange(5000):04d}"
        for j in range(rng.choice([1, 2, 2, 3])):
            ff = f if rng.random() > 0.1 else f[:-1] + "x"
            rows.append(record(f"r{i}-{j}", rng.choice(["crm", "shop", "loyalty"]), ff, s,
                               str(dob.date()) if rng.random() < 0.7 else None,
                               email if rng.random() < 0.8 else None,
                               phone if rng.random() < 0.6 else None,
                               pc if rng.random() < 0.6 else None))
    return frame(*rows)


def test_train_save_load_roundtrip(tmp_path):
    records = _small_world()
    trained = linking.train(records, seed=42, max_pairs=1e5, min_em_pairs=50)
    assert trained.training_records == len(records)
    assert trained.metadata["em_sessions"] and trained.metadata["seed"] == 42
    path = linking.save_model(trained, tmp_path / "model.json")
    loaded = linking.load_model(path)
    assert loaded.to_dict() == trained.to_dict()
    edges = linking.predict_edges(records, loaded, threshold=0.9)
    truth = {(a, b) for a, b in zip(edges["record_key_l"], edges["record_key_r"])
             if a.split("-")[0] == b.split("-")[0]}
    assert len(truth) / len(edges) > 0.95  # precision on an easy world


def test_shipped_model_matches_the_code():
    """The shipped model was trained with the comparisons the code defines today (retrain with
    scripts/bench_linking.py --save-model after changing a comparison level)."""
    shipped = linking.load_model()
    current = linking.settings().get_settings("duckdb").as_dict()

    def levels(comparisons):
        return [(c["output_column_name"], [(lvl.get("label_for_charts"), lvl["sql_condition"])
                                            for lvl in c["comparison_levels"]]) for c in comparisons]

    assert levels(shipped.splink_model["comparisons"]) == levels(current["comparisons"])


def test_fuzzy_edge_options_fail_clearly():
    from scv.identity import fuzzy_edges, parse_flag

    records = _small_world()
    with pytest.raises(ValueError, match="identity_linking_model"):
        fuzzy_edges(records, linking_model="splink-default")
    with pytest.raises(ValueError, match="needs identity_linking_model: train"):
        fuzzy_edges(records, linking_model="shipped", household_veto=False)
    assert parse_flag("False", "x") is False and parse_flag(True, "x") is True
    with pytest.raises(ValueError, match="true or false"):
        parse_flag("maybe", "identity_household_veto")


def test_training_on_the_input_links_like_the_shipped_model():
    from scv.identity import fuzzy_edges

    records = _small_world(persons=600).assign(source_table="contacts", shop_customer_id=None)
    trained = fuzzy_edges(records, linking_model="train", threshold=0.9)
    shipped = fuzzy_edges(records, linking_model="shipped", threshold=0.9)
    same_person = lambda e: {(a, b) for a, b in zip(e.record_key_l, e.record_key_r)  # noqa: E731
                             if a.split("-")[0] == b.split("-")[0]}
    sizes = records.record_key.str.split("-").str[0].value_counts()
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    # fitted on 600 toy persons it is less sure than the shipped model, but precise and well past chance
    assert len(same_person(trained)) / len(trained) > 0.95
    assert len(same_person(trained)) >= 0.5 * true_pairs and len(same_person(shipped)) >= 0.5 * true_pairs


def test_candidate_filter_sql_selects_what_fuzzy_candidates_selects():
    """The dbt model filters in the warehouse (CANDIDATE_FILTER_SQL); fuzzy_edges filters again in
    pandas (fuzzy_candidates): the two spellings of the rule must pick the same records."""
    import duckdb

    from scv.identity import CANDIDATE_FILTER_SQL, fuzzy_candidates

    records = _small_world(persons=50).assign(source_table="contacts", shop_customer_id=None)
    records.loc[records.index[:5], ["first_name_norm", "last_name_norm", "email_norm", "phone_e164",
                                    "date_of_birth"]] = None                      # no signal at all
    records.loc[records.index[5:10], ["source_table", "shop_customer_id"]] = ["orders", "s1"]  # account orders
    con = duckdb.connect()
    con.register("records", records)
    in_sql = set(con.execute(f"select record_key from records where {CANDIDATE_FILTER_SQL}").df().record_key)
    assert in_sql == set(fuzzy_candidates(records).record_key)
    assert len(in_sql) == len(records) - 10
    # the same rule on an Arrow table (what the dbt model hands over)
    table = pa.Table.from_pandas(records, preserve_index=False)
    assert set(fuzzy_candidates(table).column("record_key").to_pylist()) == in_sql
    kept = fuzzy_candidates(table).filter(pa.array([True] * len(in_sql)))
    assert fuzzy_candidates(kept) is kept  # nothing to leave out: the table itself, no copy


def test_scoring_only_flagged_records_and_given_pairs_gives_the_full_scores():
    """An incremental build scores the pairs around new or changed records (score_only) and the last
    build's edges again (rescore): together, exactly the edges and scores of scoring everything."""
    records = _small_world(persons=400)
    full = linking.predict_edges(records, threshold=0.5)
    flagged = pd.Series([i % 10 == 0 for i in range(len(records))])
    keys = set(records.record_key[flagged])
    touches = full.record_key_l.isin(keys) | full.record_key_r.isin(keys)
    assert 0 < touches.sum() < len(full)
    around = linking.predict_edges(records, threshold=0.5, score_only=flagged)
    pd.testing.assert_frame_equal(around, full[touches].reset_index(drop=True))
    both = linking.predict_edges(records, threshold=0.5, score_only=flagged,
                                 rescore=full.loc[~touches, ["record_key_l", "record_key_r"]])
    pd.testing.assert_frame_equal(both, full)


def _stamped(records: pd.DataFrame, previous: pd.DataFrame | None, at: str) -> pd.DataFrame:
    from scv.identity import stamp_match_key_changes
    from scv.normalize import first_name_records

    records = records.assign(source_table="contacts", first_name_records=first_name_records(records))
    return stamp_match_key_changes(records, previous, pd.Timestamp(at).to_pydatetime())


def test_match_key_changes_are_stamped_once():
    from scv.identity import stamp_match_key_changes

    day0 = _stamped(_small_world(persons=30), None, "2026-01-01")
    assert day0.match_keys_changed_at.eq(pd.Timestamp("2026-01-01")).all()
    records = _small_world(persons=31)
    records.loc[0, "email_norm"] = "someone.else@example.com"
    day1 = _stamped(records, day0, "2026-01-02")
    moved = day1.set_index("record_key").match_keys_changed_at.eq(pd.Timestamp("2026-01-02"))
    new_keys = set(records.record_key) - set(day0.record_key)
    assert set(moved[moved].index) == {records.record_key[0]} | new_keys
    # a clock behind the last build still stamps changes after it
    late = stamp_match_key_changes(day1.drop(columns=["match_keys_hash", "match_keys_changed_at"]).assign(
        email_norm="x@example.com"), day1, pd.Timestamp("2025-06-01").to_pydatetime())
    assert (late.match_keys_changed_at > day1.match_keys_changed_at.max()).all()


def test_incremental_fuzzy_edges_equal_a_full_scoring():
    """Day 0 scored in full; day 1 adds persons and changes one record's email: the incremental
    edges (previous = day 0's) are those of scoring day 1 from scratch; a day without changes
    keeps them; another model signature rescores everything."""
    from scv import identity

    world = _small_world(persons=400)
    day0_rows = world[~world.record_key.str.match(r"r3[0-9]{2}-")]
    day0 = _stamped(day0_rows, None, "2026-01-01")
    edges0 = identity.fuzzy_edges(day0)
    changed_key = edges0.record_key_l.iloc[0]
    world.loc[world.record_key == changed_key, "email_norm"] = "moved.on@example.org"
    day1 = _stamped(world, day0, "2026-01-02")
    incremental = identity.fuzzy_edges(day1, previous=edges0)
    full = identity.fuzzy_edges(day1)
    pd.testing.assert_frame_equal(incremental, full)
    # the same records as an Arrow table (the dbt model's input): the same edges, full and incremental
    table = pa.Table.from_pandas(day1, preserve_index=False)
    pd.testing.assert_frame_equal(identity.fuzzy_edges(table), full)
    pd.testing.assert_frame_equal(identity.fuzzy_edges(table, previous=edges0), full)
    assert set(incremental.scored_at) == {pd.Timestamp("2026-01-02")}
    assert len(full) > len(edges0)
    # nothing changed since: the same edges again
    pd.testing.assert_frame_equal(identity.fuzzy_edges(day1, previous=incremental), full)
    # edges scored by something else are not reused
    calls = []
    original = linking.predict_edges

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)

    linking.predict_edges = spy
    try:
        identity.fuzzy_edges(day1, previous=incremental.assign(scored_by="another model"))
        identity.fuzzy_edges(day1, previous=incremental)
    finally:
        linking.predict_edges = original
    assert calls[0].get("score_only") is None and calls[0].get("rescore") is None
    assert calls[1]["score_only"].sum() == 0 and len(calls[1]["rescore"]) == len(full)


def test_an_arrow_input_is_checked_like_a_frame():
    records = _small_world(persons=20).assign(first_name_records=1)
    table = pa.Table.from_pandas(records, preserve_index=False)
    with pytest.raises(ValueError, match="duplicated"):
        linking.predict_edges(pa.concat_tables([table, table.slice(0, 1)]))
    keys = [None] + table.column("record_key").to_pylist()[1:]
    nulled = table.set_column(table.column_names.index("record_key"), "record_key", pa.array(keys, pa.string()))
    with pytest.raises(ValueError, match="must not be null"):
        linking.predict_edges(nulled)
    with pytest.raises(ValueError, match="first_name_records"):
        linking.predict_edges(table.drop_columns(["first_name_records"]))


def test_an_empty_or_all_null_arrow_input_scores_nothing():
    """A world without any identity record (e.g. CDNOW: orders only) hands over an empty table; a
    column that is null throughout may reach Arrow typed null. Neither may break the filter."""
    from scv.identity import fuzzy_candidates, fuzzy_columns, fuzzy_edges

    empty = pa.table({c: pa.array([], pa.string()) for c in fuzzy_columns()})
    assert fuzzy_candidates(empty).num_rows == 0 and len(fuzzy_edges(empty)) == 0
    records = _small_world(persons=20).assign(first_name_records=1, source_table=None, shop_customer_id=None,
                                              match_keys_changed_at=None)
    table = pa.Table.from_pandas(records, preserve_index=False)
    assert table.schema.field("source_table").type == pa.null()
    assert fuzzy_candidates(table).num_rows == len(records)
    pd.testing.assert_frame_equal(fuzzy_edges(table).drop(columns=["scored_at"]),
                                  fuzzy_edges(records).drop(columns=["scored_at"]))
