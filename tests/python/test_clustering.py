"""Guardrailed clustering and stable ids (scv.clustering, scv.stable_ids)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from scv.clustering import Guardrails, assignments_from_decisions, cluster
from scv.identity import parse_list
from scv.stable_ids import assign


def _records(**columns):
    n = len(next(iter(columns.values())))
    base = {"record_key": [f"r{i}" for i in range(n)], "email_norm": [None] * n, "phone_e164": [None] * n,
            "shop_customer_id": [None] * n, "date_of_birth": [None] * n}
    base.update(columns)
    return pd.DataFrame(base)


def _exact(pairs, rule="email_and_name"):
    return pd.DataFrame({"record_key_l": [a for a, _ in pairs], "record_key_r": [b for _, b in pairs],
                         "rule": rule, "confidence": 0.99})


def _fuzzy(pairs, p=0.9995):
    return pd.DataFrame({"record_key_l": [a for a, _ in pairs], "record_key_r": [b for _, b in pairs],
                         "match_probability": p})


NO_EDGES = pd.DataFrame(columns=["record_key_l", "record_key_r", "rule", "confidence"])
NO_FUZZY = pd.DataFrame(columns=["record_key_l", "record_key_r", "match_probability"])


def _customers(assignments):
    return assignments.groupby("cluster_key")["record_key"].apply(lambda s: tuple(sorted(s))).tolist()


def test_chaining_is_stopped_by_identifier_limits():
    # a chain of fuzzy links through five records with five different phones: plain connected
    # components makes one customer of all; the guardrail (max 2 phones on fuzzy merges) does not
    records = _records(phone_e164=["+1", "+2", "+3", "+4", "+5"])
    fuzzy = _fuzzy([("r0", "r1"), ("r1", "r2"), ("r2", "r3"), ("r3", "r4")])
    plain, _ = cluster(records, NO_EDGES, fuzzy, Guardrails(enabled=False))
    guarded, decisions = cluster(records, NO_EDGES, fuzzy, Guardrails())
    assert len(_customers(plain)) == 1
    assert max(len(c) for c in _customers(guarded)) <= 2
    assert set(decisions.rejected_because.dropna()) == {"limit:phone_e164"}


def test_two_accounts_never_merge_on_a_fuzzy_edge_alone():
    records = _records(shop_customer_id=["s1", "s2"])
    fuzzy_only, _ = cluster(records, NO_EDGES, _fuzzy([("r0", "r1")], 0.999), Guardrails())
    assert len(_customers(fuzzy_only)) == 2
    exact, _ = cluster(records, _exact([("r0", "r1")]), NO_FUZZY, Guardrails())
    assert len(_customers(exact)) == 1


def test_a_birth_date_limit_refuses_a_link_to_another_birth_date():
    records = _records(date_of_birth=[pd.Timestamp("1990-01-01"), pd.Timestamp("1990-01-01"),
                                      pd.Timestamp("1991-02-02")])
    one_birth_date = Guardrails(fuzzy_limits={"date_of_birth": 1})
    out, decisions = cluster(records, NO_EDGES, _fuzzy([("r0", "r1"), ("r1", "r2")]), one_birth_date)
    assert sorted(_customers(out)) == [("r0", "r1"), ("r2",)]
    assert decisions.rejected_because.fillna("").tolist() == ["", "limit:date_of_birth"]


def test_default_guardrails_are_the_seed():
    seed = pd.read_csv(Path(__file__).resolve().parents[2] / "seeds" / "identifier_limits.csv")
    assert Guardrails().limits == dict(zip(seed.identifier_type, seed.max_per_customer))
    assert Guardrails().fuzzy_limits == dict(zip(seed.identifier_type, seed.max_per_customer_fuzzy))


def test_deduplicated_sources_link_one_to_one():
    # crm and loyalty each hold one record per person: the loyalty card joins its best crm match
    # only, even when the other crm contact also scores above the threshold
    records = _records(source_system=["crm", "crm", "loyalty"], source_table=["contacts", "contacts", "members"])
    fuzzy = pd.concat([_fuzzy([("r0", "r2")], 0.97), _fuzzy([("r1", "r2")], 0.93)], ignore_index=True)
    guardrails = Guardrails(fuzzy_min_probability=0.5, deduplicated_sources=("crm/contacts", "loyalty/members"))
    one_to_one, decisions = cluster(records, NO_EDGES, fuzzy, guardrails)
    assert _customers(one_to_one) == [("r0", "r2"), ("r1",)]
    assert decisions.set_index("record_key_l").rejected_because.fillna("accepted").to_dict() == {
        "r0": "accepted", "r1": "deduplicated_source:crm/contacts"}
    chained, _ = cluster(records, NO_EDGES, fuzzy, Guardrails(fuzzy_min_probability=0.5))
    assert _customers(chained) == [("r0", "r1", "r2")]
    # a deterministic edge inside a deduplicated source is refused too
    same_source, _ = cluster(records, _exact([("r0", "r1")]), NO_FUZZY, guardrails)
    assert len(_customers(same_source)) == 3
    assert parse_list("crm/contacts, loyalty/members") == ["crm/contacts", "loyalty/members"]
    assert parse_list("") == [] and parse_list(None) == []
    try:
        Guardrails(deduplicated_sources=("crm/contact",))
    except ValueError as error:
        assert "crm/contacts" in str(error)
    else:
        raise AssertionError("a misspelt source name must be an error")


def test_decisions_record_every_link_and_rebuild_the_customers():
    # applied in key order at equal rank: r0-r1 and r0-r2 merge; r1-r2 is accepted inside one
    # customer already; r2-r3 is refused (a third phone)
    records = _records(phone_e164=["+1", "+1", "+2", "+3"])
    exact = _exact([("r0", "r1"), ("r1", "r2"), ("r0", "r2"), ("r2", "r3")], rule="phone_and_name")
    guardrails = Guardrails(limits={"phone_e164": 2}, fuzzy_limits={"phone_e164": 2})
    assignments, decisions = cluster(records, exact, NO_FUZZY, guardrails)
    assert decisions.decision_order.tolist() == [1, 2, 3, 4]
    by_pair = decisions.set_index(["record_key_l", "record_key_r"])
    assert by_pair.merged.to_dict() == {("r0", "r1"): True, ("r0", "r2"): True, ("r1", "r2"): False,
                                        ("r2", "r3"): False}
    assert by_pair.accepted[("r1", "r2")] and not by_pair.accepted[("r2", "r3")]
    assert by_pair.rejected_because[("r2", "r3")] == "limit:phone_e164"
    assert _customers(assignments) == [("r0", "r1", "r2"), ("r3",)]
    assert assignments.set_index("record_key").rejected_edge_count.to_dict() == {"r0": 0, "r1": 0, "r2": 1, "r3": 1}
    # the customers are a function of the decisions alone (what int_identity__clusters reads)
    assert assignments_from_decisions(records[["record_key"]], decisions).equals(assignments)


def test_size_ceiling_and_overrides():
    records = _records(email_norm=[None] * 4)
    out, _ = cluster(records, _exact([("r0", "r1"), ("r1", "r2"), ("r2", "r3")]), NO_FUZZY,
                     Guardrails(max_cluster_size=2))
    assert max(len(c) for c in _customers(out)) == 2
    overrides = pd.DataFrame({"record_key_a": ["r0", "r2"], "record_key_b": ["r1", "r3"],
                              "decision": ["must_not_link", "must_link"]})
    out, _ = cluster(records, _exact([("r0", "r1")]), NO_FUZZY, Guardrails(), overrides)
    assert sorted(_customers(out)) == [("r0",), ("r1",), ("r2", "r3")]


def test_link_confidence_and_explanation():
    records = _records(email_norm=["a", "a", None])
    out, _ = cluster(records, _exact([("r0", "r1")]), _fuzzy([("r1", "r2")], 0.9992), Guardrails())
    out = out.set_index("record_key")
    assert out.loc["r0", "linked_by"] == "email_and_name"
    assert out.loc["r2", "linked_by"] == "fuzzy" and out.loc["r2", "link_confidence"] == 0.9992
    assert out.loc["r0", "cluster_confidence"] == 0.99   # the weakest link: the exact rule (0.99)


def test_a_maybe_never_merges():
    records = _records(email_norm=[None, None])
    out, decisions = cluster(records, NO_EDGES, _fuzzy([("r0", "r1")], 0.9), Guardrails())
    assert len(_customers(out)) == 2
    assert list(decisions.rejected_because) == ["below_fuzzy_threshold"]


def test_a_nameless_record_on_a_shared_email_joins_nobody_unless_the_policy_allows():
    # r1 has the email but no first name: which household member it is, the data does not say
    records = _records(email_norm=["fam@x.org", "fam@x.org", None], first_name_norm=["anna", None, "anna"])
    fuzzy = _fuzzy([("r0", "r1"), ("r0", "r2")], 0.999)
    out, decisions = cluster(records, NO_EDGES, fuzzy, Guardrails())
    assert sorted(_customers(out)) == [("r0", "r2"), ("r1",)]
    assert decisions.rejected_because.fillna("accepted").tolist() == ["nameless_email", "accepted"]
    assert cluster(records, NO_EDGES, fuzzy, Guardrails())[0].rejected_edge_count.sum() == 0  # policy, not review
    allowed, _ = cluster(records, NO_EDGES, fuzzy, Guardrails(nameless_email_links=True))
    assert _customers(allowed) == [("r0", "r1", "r2")]


def _clusters(mapping: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"record_key": list(mapping), "cluster_key": list(mapping.values())})


def test_stable_ids_rebuild_merge_split_and_new_records():
    t1, t2, t3, t4 = (datetime(2025, 1, d) for d in (1, 2, 3, 4))
    h1, _ = assign(_clusters({"a": "a", "b": "a", "c": "c", "d": "c", "e": "e"}), None, t1)
    ids1 = dict(zip(h1.record_key, h1.customer_id))
    # a rebuild from nothing with the same input gives the same ids; with history, nothing changes
    fresh, _ = assign(_clusters({"a": "a", "b": "a", "c": "c", "d": "c", "e": "e"}), None, t2)
    assert dict(zip(fresh.record_key, fresh.customer_id)) == ids1
    h2, changes2 = assign(_clusters({"a": "a", "b": "a", "c": "c", "d": "c", "e": "e"}), h1, t2)
    assert len(changes2) == 0 and h2.equals(h1)
    # new records: unchanged customers keep their ids
    h3, changes3 = assign(_clusters({"a": "a", "b": "a", "c": "c", "d": "c", "e": "e", "f": "f", "g": "a"}), h2, t3)
    cur3 = dict(zip(h3[h3.valid_to.isna()].record_key, h3[h3.valid_to.isna()].customer_id))
    assert all(cur3[k] == ids1[k] for k in ids1)
    assert cur3["g"] == ids1["a"]
    assert list(changes3.change_type) == ["new"]
    # merge keeps the oldest id; split leaves the id with the larger part
    h4, changes4 = assign(_clusters({"a": "a", "b": "a", "c": "a", "d": "d", "e": "a", "f": "f", "g": "a"}), h3, t4)
    cur4 = dict(zip(h4[h4.valid_to.isna()].record_key, h4[h4.valid_to.isna()].customer_id))
    assert cur4["a"] == cur4["c"] == cur4["e"] == min(ids1["a"], ids1["c"], ids1["e"])
    assert set(changes4.change_type) >= {"merged", "split"}
    closed = h4[h4.valid_to.notna()]
    assert set(closed.valid_to) == {t4}
    # who was record c's customer at t2? the history answers
    at_t2 = h4[(h4.record_key == "c") & (h4.valid_from <= t2) & (h4.valid_to.isna() | (h4.valid_to > t2))]
    assert list(at_t2.customer_id) == [ids1["c"]]


def test_stable_ids_updated_in_place_give_the_same_history():
    """int_identity__customer_keys writes only the periods a build closes and opens
    (assign_sql(changes_only=True)): the last history with those rows put in by (record_key,
    valid_from) is the history `assign` gives, through a rebuild, new records, a merge and a split,
    and a record gone from the sources."""
    import duckdb

    from scv.stable_ids import HISTORY_COLUMNS, assign_sql

    days = [{"a": "a", "b": "a", "c": "c", "d": "c", "e": "e"},
            {"a": "a", "b": "a", "c": "c", "d": "c", "e": "e"},
            {"a": "a", "b": "a", "c": "c", "d": "c", "e": "e", "f": "f", "g": "a"},
            {"a": "a", "b": "a", "c": "a", "d": "d", "e": "a", "f": "f", "g": "a"},
            {"a": "a", "c": "a", "d": "d", "e": "a", "f": "f", "g": "a"}]
    history, _ = assign(_clusters(days[0]), None, datetime(2025, 1, 1))
    con = duckdb.connect()
    for day, clusters in enumerate(days[1:], start=2):
        at = datetime(2025, 1, day)
        expected, _ = assign(_clusters(clusters), history, at)
        con.register("scv_clusters", _clusters(clusters))
        con.register("scv_history_frame", history[HISTORY_COLUMNS])
        con.execute("create or replace table history as select * from scv_history_frame")
        changed = assign_sql(con, "scv_clusters", "history", at, changes_only=True).df()
        con.register("scv_changed", changed)
        con.execute("""delete from history using scv_changed
            where history.record_key = scv_changed.record_key and history.valid_from = scv_changed.valid_from""")
        con.execute("insert into history by name select * from scv_changed")
        updated = con.sql("select * from history order by record_key, valid_from").df()
        assert len(changed) < len(expected)
        pd.testing.assert_frame_equal(updated[HISTORY_COLUMNS].astype(expected.dtypes.to_dict()),
                                      expected.reset_index(drop=True), check_dtype=False)
        history = expected
    con.close()


def test_a_new_id_that_collides_with_an_issued_one_is_salted():
    """A new cluster's id is a digest of its smallest record key; should that id already be taken
    (here: planted in the history on another customer), the new cluster gets the next salt's id,
    and the existing customer keeps its own."""
    from scv.stable_ids import new_customer_id

    t1, t2 = datetime(2025, 1, 1), datetime(2025, 1, 2)
    planted = new_customer_id("n", set())
    history = pd.DataFrame({"record_key": ["o"], "customer_id": [planted], "customer_first_issued_at": [t1],
                            "valid_from": [t1], "valid_to": [pd.NaT]})
    h2, changes = assign(_clusters({"o": "o", "n": "n", "m": "m"}), history, t2)
    current = dict(zip(h2[h2.valid_to.isna()].record_key, h2[h2.valid_to.isna()].customer_id))
    assert current["o"] == planted
    assert current["n"] == new_customer_id("n", {planted}) != planted
    assert current["m"] == new_customer_id("m", set())
    assert len(set(current.values())) == 3
    assert sorted(changes.change_type) == ["new", "new"]


def test_empty_inputs():
    out, decisions = cluster(_records(email_norm=[]), NO_EDGES, NO_FUZZY, Guardrails())
    assert len(out) == 0 and len(decisions) == 0
    history, changes = assign(pd.DataFrame({"record_key": [], "cluster_key": []}), None, datetime(2025, 1, 1))
    assert len(history) == 0 and len(changes) == 0


def test_a_limit_on_any_record_column_is_enforced_and_an_unknown_one_is_a_clear_error():
    import pytest

    records = _records(postcode_norm=["1000", "2000", "1000"])
    limits = pd.DataFrame({"identifier_type": ["postcode_norm"], "max_per_customer": [1],
                           "max_per_customer_fuzzy": [1]})
    assignments, decisions = cluster(records, _exact([("r0", "r1"), ("r0", "r2")]), _fuzzy([]),
                                     Guardrails.from_seed(limits))
    assert set(decisions.rejected_because.dropna()) == {"limit:postcode_norm"}
    assert assignments.set_index("record_key").cluster_key.to_dict() == {"r0": "r0", "r1": "r1", "r2": "r0"}

    unknown = limits.assign(identifier_type="loyalty_tier")
    with pytest.raises(ValueError, match="loyalty_tier"):
        cluster(records, _exact([]), _fuzzy([]), Guardrails.from_seed(unknown))


def test_incremental_decisions_and_clusters_equal_deciding_everything():
    """int_identity__link_decisions decides again only the link components a change touched, and
    int_identity__clusters clusters again only those (scv.identity.link_decisions_sql, clusters_sql):
    the same tables as deciding and clustering every link, which are those of scv.clustering."""
    import duckdb

    from scv.identity import clusters_sql, link_decisions_sql

    day0_at, day1_at = datetime(2026, 1, 1), datetime(2026, 1, 2)
    records = _records(shop_customer_id=[None, None, None, "A", None, "B"] + [None] * 8,
                       first_name_norm=[f"n{i}" for i in range(14)])
    records = records.assign(source_system="crm", source_table="contacts", match_keys_changed_at=day0_at)
    exact0 = _exact([("r10", "r11")])
    fuzzy0 = pd.DataFrame({"record_key_l": ["r0", "r1", "r3", "r4", "r6", "r12"],
                           "record_key_r": ["r1", "r2", "r4", "r5", "r7", "r13"],
                           "match_probability": [0.9991, 0.9992, 0.995, 0.996, 0.989, 0.999]})
    # day 1: probabilities drift (r0-r1-r2 keep their order; r3-r4 overtakes r4-r5, whose accounts
    # cannot both join r4; r6-r7 crosses the threshold), r14 is new and joins r8, the r10-r11 link is
    # gone, and r12's match keys changed
    day1 = pd.concat([records, _records(record_key=["r14"])], ignore_index=True).assign(
        source_system="crm", source_table="contacts", match_keys_changed_at=day0_at)
    day1.loc[day1.record_key.isin(["r14", "r12"]), "match_keys_changed_at"] = day1_at
    exact1 = _exact([("r14", "r8")])
    fuzzy1 = fuzzy0.assign(match_probability=[0.9990, 0.9993, 0.997, 0.996, 0.991, 0.999])
    guardrails = Guardrails(fuzzy_min_probability=0.99)   # r6-r7 crosses it on day 1
    overrides = pd.DataFrame(columns=["record_key_a", "record_key_b", "decision"])
    con = duckdb.connect()
    for name, frame in (("records0", records), ("exact0", exact0), ("fuzzy0", fuzzy0),
                        ("records1", day1), ("exact1", exact1), ("fuzzy1", fuzzy1)):
        con.register(name, frame)

    def build(day, previous, previous_clusters, at, name):
        decided = link_decisions_sql(con, f"records{day}", f"exact{day}", f"fuzzy{day}", overrides, guardrails,
                                     previous, at)
        con.execute(f"create or replace table decisions_{name} as select * from decided")
        clustered = clusters_sql(con, f"records{day}", f"decisions_{name}", previous_clusters)
        con.execute(f"create or replace table clusters_{name} as select * from clustered")

    build(0, None, None, day0_at, "day0")
    build(1, "decisions_day0", "clusters_day0", day1_at, "incremental")
    build(1, None, None, day1_at, "full")
    decision_columns = ["decision_order", "record_key_l", "record_key_r", "rule", "confidence", "kind", "accepted",
                        "merged", "rejected_because", "link_component"]
    cluster_columns = ["record_key", "cluster_key", "link_confidence", "linked_by", "cluster_confidence",
                       "rejected_edge_count"]
    incremental = con.sql("select * from decisions_incremental order by decision_order").df()
    full = con.sql("select * from decisions_full order by decision_order").df()
    pd.testing.assert_frame_equal(incremental[decision_columns], full[decision_columns])
    clusters = {name: con.sql(f"select * from clusters_{name} order by record_key").df()[cluster_columns]
                for name in ("incremental", "full")}
    pd.testing.assert_frame_equal(clusters["incremental"], clusters["full"])
    # ... which are scv.clustering's
    expected_assignments, expected = cluster(day1, exact1, fuzzy1, guardrails)
    plain = lambda frame: frame.astype(object).where(frame.notna(), None).reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(plain(full[decision_columns[:-1]]), plain(expected[decision_columns[:-1]]))
    pd.testing.assert_frame_equal(clusters["full"].reset_index(drop=True),
                                  expected_assignments.sort_values("record_key")[cluster_columns].reset_index(drop=True),
                                  check_dtype=False)
    # only the touched components were decided again; the drifted r0-r1-r2 kept its decisions
    again = set(incremental.loc[incremental.decided_at == day1_at, "link_component"])
    assert again == {"r3", "r6", "r12", "r14"}
    assert incremental.loc[incremental.record_key_l == "r3", "accepted"].item()  # the new order decided
    assert _customers(clusters["incremental"]).count(("r10",)) == 1  # the gone link split r10 and r11
