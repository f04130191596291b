"""Identity pipeline glue shared by the dbt Python models (kept here so the models stay thin)."""

from __future__ import annotations

import pandas as pd

SIGNAL_COLUMNS = ("first_name_norm", "last_name_norm", "email_norm", "phone_e164", "date_of_birth")


def fuzzy_candidates(records: pd.DataFrame) -> pd.DataFrame:
    """The records worth scoring probabilistically.

    Left out: records with no identifying value at all (an anonymous web visitor who never logged
    in has nothing to compare), and orders placed from a shop account (they belong to the account
    deterministically, and scoring every order would multiply the work for no new link).
    """
    present = [c for c in SIGNAL_COLUMNS if c in records.columns]
    has_signal = records[present].notna().any(axis=1)
    account_order = (records["source_table"] == "orders") & records["shop_customer_id"].notna()
    return records[has_signal & ~account_order]
