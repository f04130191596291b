"""The CDNOW sample (Fader, Hardie & Lee 2005; shipped inside `lifetimes` as a data file) as shop orders.

2,357 customers who first bought at CDNOW in the first 12 weeks of 1997, with every purchase to
1998-06-30. The file is read directly (``lifetimes.datasets`` needs ``pkg_resources``):
columns master id, sample id, date (yyyymmdd), CDs bought, dollar value.

Landing: one ``shop/customers`` row per customer (customer_id = ``cdnow-<sample id>``, created at
the first purchase) and one paid ``shop/orders`` row per purchase line (several lines on one day
are merged into one purchase by the CLV models, as in the paper). Amounts are the file's dollars,
labelled with the reporting currency (EUR by default) so they reach the models unconverted.
Every other landing table is created empty, as ``scv landing init`` does.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import landing


def cdnow_sample_path() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("lifetimes")
    if spec is None or spec.origin is None:
        raise ImportError("the CDNOW sample ships inside the `lifetimes` package (pip install lifetimes)")
    return Path(spec.origin).parent / "datasets" / "CDNOW_sample.txt"


def load_cdnow_sample() -> pd.DataFrame:
    """CDNOW_sample.txt as (customer_id, ordered_at, cds, amount), one row per purchase line."""
    raw = pd.read_csv(cdnow_sample_path(), sep=r"\s+", header=None,
                      names=["master_id", "sample_id", "date", "cds", "amount"],
                      dtype={"master_id": str, "sample_id": str, "date": str})
    return pd.DataFrame({
        "customer_id": "cdnow-" + raw["sample_id"].str.lstrip("0"),
        "ordered_at": pd.to_datetime(raw["date"], format="%Y%m%d"),
        "cds": raw["cds"].astype("int64"),
        "amount": raw["amount"].astype("float64"),
    })


def write_cdnow_landing(out: Path | str, currency: str = "EUR") -> dict[str, int]:
    """Write the CDNOW sample as shop/customers + shop/orders under ``out``; other tables empty."""
    out = Path(out)
    sample = load_cdnow_sample()
    customers = sample.groupby("customer_id", as_index=False, sort=True)["ordered_at"].min()
    orders = sample.reset_index(drop=True)
    tables = {
        "shop/customers": pd.DataFrame({
            "customer_id": customers["customer_id"],
            "created_at": customers["ordered_at"],
            "updated_at": customers["ordered_at"],
        }),
        "shop/orders": pd.DataFrame({
            "order_id": [f"cdnow-order-{i + 1}" for i in range(len(orders))],
            "customer_id": orders["customer_id"],
            "created_at": orders["ordered_at"] + pd.Timedelta(hours=12),
            "currency": currency,
            "total_price": orders["amount"],
            "financial_status": "paid",
        }),
    }
    for key, frame in tables.items():
        table = landing.table(key)
        for column in table.schema.names:
            if column not in frame:
                frame[column] = None
        path = table.path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pandas(frame[table.schema.names], schema=table.schema, preserve_index=False), path)
    landing.write_empty(out)
    return {key: len(frame) for key, frame in tables.items()}
