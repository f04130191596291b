"""Edges -> customers: greedy, constrained union-find with guardrails (not plain connected components).

Edges are applied strongest first (reviewed must-links, then deterministic rules in their order,
then fuzzy edges by match probability). An edge that would make a customer break a guardrail is
rejected and kept with its reason, instead of silently chaining two people together:

- the cluster-size ceiling;
- per-identifier limits (a customer may hold at most N distinct emails, phones, shop accounts,
  birth dates; fuzzy edges have their own, stricter limits: e.g. two logged-in shop accounts are
  never merged on a fuzzy edge alone);
- reviewed must-not-link pairs;
- sources declared deduplicated (var identity_deduplicated_sources, e.g. a CRM whose contacts are
  already one per person): a customer holds at most one record of each;
- fuzzy edges below `fuzzy_min_probability` never merge (they are kept, and flag the records for
  review, but a precision-first customer view does not act on a maybe).

Because every merge is checked against the *whole* customer it would create, weak links cannot
chain many people into a mega-cluster the way connected components do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: the landing-contract tables whose records are identity records (source_system/source_table)
IDENTITY_SOURCES = ("crm/contacts", "shop/customers", "shop/orders", "loyalty/members", "email/subscribers",
                    "support/tickets", "ads/leads", "web/events")


def _as_set(v: Any) -> set:
    """A lazily held value set (None, one value, or a set) as a set."""
    if v is None:
        return set()
    return v if isinstance(v, set) else {v}


def _distinct_count(a: Any, b: Any) -> int:
    """How many distinct values two lazily held value sets hold together."""
    if a is None:
        return 0 if b is None else len(_as_set(b))
    if b is None:
        return len(_as_set(a))
    if not isinstance(a, set) and not isinstance(b, set):
        return 1 if a == b else 2
    return len(_as_set(a) | _as_set(b))


def _union(a: Any, b: Any) -> Any:
    """Two lazily held value sets together, still lazy (a single value stays a value)."""
    if b is None:
        return a
    if a is None:
        return b
    if not isinstance(a, set) and not isinstance(b, set) and a == b:
        return a
    return _as_set(a) | _as_set(b)


def decision_record_columns(available: Sequence[str], limits: pd.DataFrame | None) -> list[str]:
    """The columns of int_identity__records `decide` reads (record key, the limited identifiers of the
    seed, sources, first name and email), of those `available`: a model loads only these."""
    wanted = ["record_key", "source_system", "source_table", "first_name_norm", "email_norm",
              *(limits["identifier_type"].tolist() if limits is not None and len(limits) else [])]
    wanted += [c for c in {**Guardrails().limits, **Guardrails().fuzzy_limits} if c not in wanted]
    return [c for c in dict.fromkeys(wanted) if c in available]


def _find(parent: list[int], x: int) -> int:
    """The root of x's set in a union-find forest (path halving)."""
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@dataclass
class Guardrails:
    max_cluster_size: int = 200
    # the defaults are seeds/identifier_limits.csv (a test keeps them equal); builds read the seed
    limits: dict[str, int] = field(default_factory=lambda: {"email_norm": 5, "phone_e164": 4,
                                                             "shop_customer_id": 3, "date_of_birth": 4})
    fuzzy_limits: dict[str, int] = field(default_factory=lambda: {"email_norm": 3, "phone_e164": 2,
                                                                   "shop_customer_id": 1, "date_of_birth": 4})
    enabled: bool = True   # False: plain connected components (for measurement only)
    # fuzzy edges below this probability are kept for review but never merge customers
    fuzzy_min_probability: float = 0.999
    # False: a fuzzy edge on a shared email where one side has no first name does not merge (the
    # same policy as the deterministic email_only rule, var identity_nameless_email_links): which
    # member of a household used the mailbox is not in the data (default False, as in dbt_project.yml)
    nameless_email_links: bool = False
    # "source_system/source_table" names whose records are each a different person (deduplicated
    # upstream): two of them never share a customer, which makes the clustering a one-to-one
    # link between such sources (the best-scoring link of each record wins)
    deduplicated_sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.deduplicated_sources) - set(IDENTITY_SOURCES))
        if unknown:
            raise ValueError(f"identity_deduplicated_sources names {unknown}, which are not identity sources; "
                             f"use source/table names of the landing contract: {', '.join(IDENTITY_SOURCES)}")

    @classmethod
    def from_seed(cls, limits: pd.DataFrame | None, max_cluster_size: int = 200,
                  fuzzy_min_probability: float = 0.999, nameless_email_links: bool = False,
                  deduplicated_sources: Sequence[str] = ()) -> Guardrails:
        g = cls(max_cluster_size=max_cluster_size, fuzzy_min_probability=fuzzy_min_probability,
                nameless_email_links=nameless_email_links, deduplicated_sources=tuple(deduplicated_sources))
        if limits is not None and len(limits):
            g.limits = {r.identifier_type: int(r.max_per_customer) for r in limits.itertuples()}
            g.fuzzy_limits = {r.identifier_type: int(r.max_per_customer_fuzzy) for r in limits.itertuples()}
        return g


def _nameless_same_email(first: list, email: list, a: int, b: int) -> bool:
    """One side without a first name, both with the same (non-null) email."""
    missing = [x is None or (isinstance(x, float) and pd.isna(x)) for x in (first[a], first[b])]
    same = email[a] is not None and not (isinstance(email[a], float) and pd.isna(email[a])) and email[a] == email[b]
    return any(missing) and same


#: the order rules are applied in (fuzzy, and any rule not listed, after them by probability)
RULE_RANK = {"must_link": 0, "crm_merge": 1, "shop_account": 2, "email_click": 3, "email_and_name": 4,
             "phone_and_name": 5, "email_only": 6}


def _ordered_edges(exact: pd.DataFrame, fuzzy: pd.DataFrame, must_link: pd.DataFrame) -> pd.DataFrame:
    rule_rank = RULE_RANK
    frames = []
    if len(must_link):
        frames.append(pd.DataFrame({"record_key_l": must_link.record_key_l, "record_key_r": must_link.record_key_r,
                                    "rule": "must_link", "confidence": 1.0, "kind": "override"}))
    if len(exact):
        frames.append(exact.assign(kind="exact")[["record_key_l", "record_key_r", "rule", "confidence", "kind"]])
    if len(fuzzy):
        frames.append(pd.DataFrame({"record_key_l": fuzzy.record_key_l, "record_key_r": fuzzy.record_key_r,
                                    "rule": "fuzzy", "confidence": fuzzy.match_probability.astype(float),
                                    "kind": "fuzzy"}))
    if not frames:
        return pd.DataFrame(columns=["record_key_l", "record_key_r", "rule", "confidence", "kind", "rank"])
    edges = pd.concat(frames, ignore_index=True)
    edges["rank"] = edges["rule"].map(rule_rank).fillna(len(rule_rank))
    return edges.sort_values(["rank", "confidence", "record_key_l", "record_key_r"],
                             ascending=[True, False, True, True], kind="mergesort").reset_index(drop=True)


def cluster(records: pd.DataFrame, exact_edges: pd.DataFrame, fuzzy_edges: pd.DataFrame,
            guardrails: Guardrails, overrides: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (assignments, edge_decisions): `decide`, then `assignments_from_decisions`."""
    decisions = decide(records, exact_edges, fuzzy_edges, guardrails, overrides)
    return assignments_from_decisions(records, decisions), decisions


def decide(records: pd.DataFrame, exact_edges: pd.DataFrame, fuzzy_edges: pd.DataFrame,
           guardrails: Guardrails, overrides: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every edge, strongest first, with the clustering's decision on it.

    Columns: decision_order (1 = applied first), record_key_l, record_key_r, rule, kind (override,
    exact, fuzzy), confidence, accepted (bool), merged (accepted and joined two customers; false
    when the records were already one customer), rejected_because (null when accepted: the
    guardrail or policy that refused it, e.g. limit:email_norm, cluster_size, must_not_link,
    deduplicated_source:crm/contacts, below_fuzzy_threshold, nameless_email, unknown_record).
    The customers are the connected components of the merged edges (`assignments_from_decisions`).
    """
    limited = sorted(set(guardrails.limits) | set(guardrails.fuzzy_limits))
    unknown = [c for c in limited if c not in records.columns]
    if unknown:
        raise ValueError(f"identifier_limits names identifier types the identity records do not have: {unknown}; "
                         f"use column names of int_identity__records (e.g. email_norm, phone_e164)")
    keys = records["record_key"].tolist()
    index = {k: i for i, k in enumerate(keys)}
    n = len(keys)
    parent = list(range(n))
    size = [1] * n
    # per customer root and limited identifier: its distinct values, held lazily (None, one value, or
    # a set once a merge brings two): a set per record and column cost 3.5 GB at 3.2M records
    values: dict[str, list[Any]] = {c: records[c].astype(object).where(records[c].notna(), None).tolist()
                                    for c in limited}
    # per customer root: the deduplicated sources it already holds a record of (None, a name, or a set)
    if guardrails.deduplicated_sources:
        missing = {"source_system", "source_table"} - set(records.columns)
        if missing:
            raise ValueError(f"deduplicated sources need the identity records' {sorted(missing)}")
        source = (records["source_system"].astype(str) + "/" + records["source_table"].astype(str)).tolist()
        declared = set(guardrails.deduplicated_sources)
        dedup_sources: list[Any] = [s if s in declared else None for s in source]
    else:
        dedup_sources = [None] * n
    if (guardrails.nameless_email_links or not guardrails.enabled
            or not {"first_name_norm", "email_norm"} <= set(records.columns)):
        nameless_email: set[tuple[int, int]] = set()
    else:
        first = records["first_name_norm"].tolist()
        email = records["email_norm"].tolist()
        nameless_email = {(index[a], index[b]) for a, b in zip(fuzzy_edges.get("record_key_l", ()),
                                                               fuzzy_edges.get("record_key_r", ()))
                          if a in index and b in index and _nameless_same_email(first, email, index[a], index[b])}
    forbidden: dict[int, set[int]] = {}
    overrides = overrides if overrides is not None else pd.DataFrame(columns=["record_key_a", "record_key_b",
                                                                             "decision"])
    for row in overrides.itertuples():
        a, b = index.get(row.record_key_a), index.get(row.record_key_b)
        if a is None or b is None or row.decision != "must_not_link":
            continue
        forbidden.setdefault(a, set()).add(b)
        forbidden.setdefault(b, set()).add(a)
    must_link = overrides[overrides.decision == "must_link"].rename(
        columns={"record_key_a": "record_key_l", "record_key_b": "record_key_r"})

    edges = _ordered_edges(exact_edges, fuzzy_edges, must_link)
    accepted = [False] * len(edges)
    merged = [False] * len(edges)
    reasons: list[str | None] = [None] * len(edges)
    # plain lists, not itertuples: millions of edges at 1M persons
    columns = (edges[c].tolist() for c in ("record_key_l", "record_key_r", "kind", "confidence"))
    for i, (key_l, key_r, kind, confidence) in enumerate(zip(*columns)):
        a, b = index.get(key_l), index.get(key_r)
        if a is None or b is None:
            reasons[i] = "unknown_record"
            continue
        ra, rb = _find(parent, a), _find(parent, b)
        reason = None
        if kind == "fuzzy" and confidence < guardrails.fuzzy_min_probability:
            reasons[i] = "below_fuzzy_threshold"
            continue
        if kind == "fuzzy" and (a, b) in nameless_email:
            reasons[i] = "nameless_email"
            continue
        if ra != rb and guardrails.enabled and kind != "override":
            if size[ra] + size[rb] > guardrails.max_cluster_size:
                reason = "cluster_size"
            else:
                limits = guardrails.fuzzy_limits if kind == "fuzzy" else guardrails.limits
                for c, limit in limits.items():
                    if _distinct_count(values[c][ra], values[c][rb]) > limit:
                        reason = f"limit:{c}"
                        break
            if reason is None and dedup_sources[ra] is not None and dedup_sources[rb] is not None:
                shared = _as_set(dedup_sources[ra]) & _as_set(dedup_sources[rb])
                if shared:
                    reason = "deduplicated_source:" + min(shared)
            if reason is None:
                fa = {_find(parent, x) for x in forbidden.get(ra, ())}
                if rb in fa:
                    reason = "must_not_link"
        if reason is not None:
            reasons[i] = reason
            continue
        accepted[i] = True
        if ra != rb:
            merged[i] = True
            if size[ra] < size[rb]:
                ra, rb = rb, ra
            parent[rb] = ra
            size[ra] += size[rb]
            for c in limited:
                values[c][ra], values[c][rb] = _union(values[c][ra], values[c][rb]), None
            dedup_sources[ra], dedup_sources[rb] = _union(dedup_sources[ra], dedup_sources[rb]), None
            if rb in forbidden:
                forbidden.setdefault(ra, set()).update(forbidden.pop(rb))

    decisions = edges.drop(columns=["rank"]).assign(accepted=accepted, merged=merged, rejected_because=reasons)
    decisions.insert(0, "decision_order", pd.Series(range(1, len(decisions) + 1), dtype="int64"))
    return decisions.astype({"record_key_l": "string", "record_key_r": "string", "rule": "string", "kind": "string",
                             "confidence": "float64", "accepted": "bool", "merged": "bool",
                             "rejected_because": "string"})


def _components(edges: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(keys, smallest, codes): the records of `edges` (record_key_l, record_key_r), the smallest
    record key of each one's connected component (scipy), and each edge end's position in keys
    (record_key_l ends first, then record_key_r)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    m = len(edges)
    ends = np.concatenate([edges["record_key_l"].astype(str).to_numpy(dtype=object),
                           edges["record_key_r"].astype(str).to_numpy(dtype=object)])
    codes, uniques = pd.factorize(ends, sort=True)  # sorted: a smaller code is a smaller key
    n = len(uniques)
    _, labels = connected_components(coo_matrix((np.ones(m), (codes[:m], codes[m:])), shape=(n, n)), directed=False)
    smallest = np.full(labels.max() + 1 if n else 0, n, dtype=np.int64)
    np.minimum.at(smallest, labels, np.arange(n))
    uniques = np.asarray(uniques, dtype=object)
    return uniques, uniques[smallest[labels]], codes


def smallest_keys(edges: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The records of `edges` (record_key_l, record_key_r) and, for each, the smallest record key of
    its connected component (scipy): (keys, smallest), two object arrays of the same length."""
    keys, smallest, _ = _components(edges)
    return keys, smallest


def link_components(edges: pd.DataFrame) -> np.ndarray:
    """Per edge (record_key_l, record_key_r): the smallest record key of its connected component in
    the graph of all the edges. Decisions never cross these components (a decision depends only on
    the customers the edge's two records belong to, made of edges of the same component), so a
    component whose edges and records did not change keeps its decisions."""
    _, smallest, codes = _components(edges)
    return smallest[codes[:len(edges)]]


def assignments_from_decisions(records: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """The customers the decisions make: one row per record.

    record_key, cluster_key (the smallest record_key of the customer), link_confidence (the strongest
    accepted edge touching the record; 1.0 for a record alone), linked_by (that edge's rule, or
    'singleton'; among equally strong edges the first decided), cluster_confidence (the weakest edge
    that joined the customer), rejected_edge_count (edges touching the record that a guardrail
    refused; a fuzzy edge below the threshold or a nameless-email link is not a refusal: it was not
    evidence enough, or the policy).

    Vectorized (connected components of the merged edges with scipy, the rest by sorting and
    grouping): a loop over 5M decisions took 25 s at 1M persons.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    keys = records["record_key"].astype(str).to_numpy(dtype=object)
    n = len(keys)
    index = pd.Index(keys)
    d = decisions.sort_values("decision_order", kind="mergesort")
    a = index.get_indexer(d["record_key_l"].astype(str))
    b = index.get_indexer(d["record_key_r"].astype(str))
    known = (a >= 0) & (b >= 0)
    accepted = d["accepted"].to_numpy(dtype=bool) & known
    merged = d["merged"].to_numpy(dtype=bool) & known
    confidence = d["confidence"].to_numpy(dtype="float64")
    why = d["rejected_because"].astype(object)
    refusal = known & ~d["accepted"].to_numpy(dtype=bool) & ~why.isin(
        ["unknown_record", "below_fuzzy_threshold", "nameless_email"]).to_numpy()

    graph = coo_matrix((np.ones(int(merged.sum())), (a[merged], b[merged])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # the smallest key per customer, through each key's rank (a min over strings per group is slow)
    order = np.argsort(keys, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    cluster_key = keys[order[pd.Series(rank).groupby(labels).transform("min").to_numpy()]]
    weakest = np.ones(labels.max() + 1 if n else 0)
    np.minimum.at(weakest, labels[a[merged]], confidence[merged])

    ends = pd.DataFrame({
        "record": np.concatenate([a[accepted], b[accepted]]),
        "confidence": np.concatenate([confidence[accepted], confidence[accepted]]),
        "order": np.tile(np.arange(int(accepted.sum())), 2),
        "rule": np.concatenate([d["rule"].to_numpy(dtype=object)[accepted]] * 2),
    })
    best = (ends.sort_values(["record", "confidence", "order"], ascending=[True, False, True], kind="mergesort")
            .drop_duplicates("record"))
    link_confidence = np.ones(n)
    link_confidence[best["record"].to_numpy()] = best["confidence"].to_numpy()
    linked_by = np.full(n, "singleton", dtype=object)
    linked_by[best["record"].to_numpy()] = best["rule"].to_numpy(dtype=object)
    refused = (np.bincount(a[refusal], minlength=n) + np.bincount(b[refusal], minlength=n)).astype("int64")

    assignments = pd.DataFrame({
        "record_key": keys,
        "cluster_key": cluster_key,
        "link_confidence": link_confidence,
        "linked_by": linked_by,
        "cluster_confidence": weakest[labels] if n else np.ones(0),
        "rejected_edge_count": pd.Series(refused, dtype="int64"),
    })
    return assignments.astype({"record_key": "string", "cluster_key": "string", "linked_by": "string",
                               "link_confidence": "float64", "cluster_confidence": "float64"})
