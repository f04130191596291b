"""Stable customer ids across builds, with history.

Rules (architecture.md, "Identity resolution", step 5):
- a cluster whose records carried one customer id in the previous build keeps it;
- a merge keeps the *oldest* id (the one first issued) and records the others as merged into it;
- a split leaves the id with the part holding most of its previous records (ties: the part whose
  smallest record key sorts first); the other parts get new ids;
- a new cluster gets a new id derived from its smallest record key, so a rebuild from nothing
  with the same inputs gives the same ids.

`history` is the model's own previous contents: one row per (record_key, customer_id) period with
valid_from / valid_to (NULL = current). Records whose assignment did not change keep their row.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import pandas as pd

HISTORY_COLUMNS = ["record_key", "customer_id", "customer_first_issued_at", "valid_from", "valid_to"]
CHANGE_COLUMNS = ["build_at", "change_type", "customer_id", "related_customer_id", "record_count"]


def new_customer_id(seed_key: str, taken: set[str]) -> str:
    salt = 0
    while True:
        digest = hashlib.sha256(f"{seed_key}#{salt}".encode()).hexdigest()[:16]
        candidate = f"cus_{digest}"
        if candidate not in taken:
            return candidate
        salt += 1


def assign(clusters: pd.DataFrame, history: pd.DataFrame | None, build_at: datetime
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """clusters: record_key, cluster_key. Returns (new history, changes of this build)."""
    history = history if history is not None and len(history) else pd.DataFrame(columns=HISTORY_COLUMNS)
    current = history[history["valid_to"].isna()]
    previous = dict(zip(current.record_key, current.customer_id))
    issued = (history.groupby("customer_id")["customer_first_issued_at"].min().to_dict()
              if len(history) else {})
    taken = set(history["customer_id"]) if len(history) else set()

    c = clusters[["record_key", "cluster_key"]].copy()
    c["previous_id"] = c["record_key"].map(previous)
    # which cluster holds each previous id: the one with most of its records (split rule)
    held = (c.dropna(subset=["previous_id"]).groupby(["previous_id", "cluster_key"]).size()
            .reset_index(name="n").sort_values(["previous_id", "n", "cluster_key"], ascending=[True, False, True]))
    holder = held.drop_duplicates("previous_id")
    # (plain loops over columns: a groupby-apply per cluster took seconds at 100k customers)
    ids_per_cluster: dict[str, list[str]] = {}
    for pid, key in zip(holder["previous_id"], holder["cluster_key"]):
        ids_per_cluster.setdefault(key, []).append(pid)

    split_parts = set(c.dropna(subset=["previous_id"])["cluster_key"]) - set(ids_per_cluster)
    changes: list[dict] = []
    cluster_id: dict[str, str] = {}
    for key in sorted(c["cluster_key"].unique()):
        candidates = ids_per_cluster.get(key, [])
        if candidates:
            candidates = sorted(candidates, key=lambda i: (issued.get(i, build_at), i))
            survivor = candidates[0]
            for other in candidates[1:]:
                changes.append({"change_type": "merged", "customer_id": other, "related_customer_id": survivor})
        else:
            survivor = new_customer_id(key, taken)
            taken.add(survivor)
            issued[survivor] = build_at
            if key not in split_parts:   # a part split off an existing customer is logged as a split below
                changes.append({"change_type": "new", "customer_id": survivor, "related_customer_id": None})
        cluster_id[key] = survivor
    c["customer_id"] = c["cluster_key"].map(cluster_id)

    # splits: a previous id whose records now sit in more than one customer
    # (one groupby, not a scan per split id: a build that splits 10k customers took minutes)
    parts = c.dropna(subset=["previous_id"])[["previous_id", "customer_id"]].drop_duplicates()
    parts = parts[parts["previous_id"].duplicated(keep=False) & (parts["customer_id"] != parts["previous_id"])]
    for pid, part in parts.sort_values(["previous_id", "customer_id"]).itertuples(index=False):
        changes.append({"change_type": "split", "customer_id": part, "related_customer_id": pid})
    counts = c.groupby("customer_id").size().to_dict()
    for ch in changes:
        ch["record_count"] = int(counts.get(ch["customer_id"], 0))
        ch["build_at"] = build_at

    # history: close periods whose id changed (or whose record vanished), open new ones
    changed = c[c["previous_id"] != c["customer_id"]]
    now_ids = dict(zip(c.record_key, c.customer_id))
    hist = history.copy()
    open_mask = hist["valid_to"].isna()
    close = open_mask & hist["record_key"].map(now_ids).ne(hist["customer_id"])
    hist.loc[close, "valid_to"] = build_at
    opened = pd.DataFrame({
        "record_key": changed["record_key"],
        "customer_id": changed["customer_id"],
        "customer_first_issued_at": changed["customer_id"].map(issued),
        "valid_from": build_at,
        "valid_to": pd.NaT,
    })
    new_history = pd.concat([hist, opened], ignore_index=True) if len(hist) else opened.reset_index(drop=True)
    new_history["valid_from"] = pd.to_datetime(new_history["valid_from"])
    new_history["valid_to"] = pd.to_datetime(new_history["valid_to"])
    new_history["customer_first_issued_at"] = pd.to_datetime(new_history["customer_first_issued_at"])
    new_history = new_history[HISTORY_COLUMNS].astype({"record_key": "string", "customer_id": "string"})
    return new_history, pd.DataFrame(changes, columns=CHANGE_COLUMNS)
