"""Identity pipeline glue shared by the dbt Python models (kept here so the models stay thin)."""

from __future__ import annotations

import pandas as pd

SIGNAL_COLUMNS = ("first_name_norm", "last_name_norm", "email_norm", "phone_e164", "date_of_birth")

#: values of the dbt var identity_linking_model
LINKING_MODELS = ("shipped", "train")


#: fuzzy_candidates as a SQL filter, for a dbt relation: the warehouse drops the other records
#: before they are copied into Python (at 100k persons most identity records are web visitors)
CANDIDATE_FILTER_SQL = (
    "(" + " or ".join(f"{c} is not null" for c in SIGNAL_COLUMNS) + ")"
    " and not (source_table = 'orders' and shop_customer_id is not null)"
)


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


def parse_flag(value: object, name: str) -> bool:
    """A dbt config value (rendered from a var, so often text) as a bool; anything else is an error."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ValueError(f"{name} must be true or false, got {value!r}")


def parse_list(value: object) -> list[str]:
    """A dbt config value rendered from a list var (joined with commas) as a list of names."""
    return [x.strip() for x in str(value or "").split(",") if x.strip()]


def fuzzy_edges(records: pd.DataFrame, *, linking_model: str = "shipped", household_veto: bool = True,
                threshold: float = 0.5, seed: int = 42) -> pd.DataFrame:
    """Probabilistic edges of the identity records.

    linking_model="shipped" scores with the model trained offline and saved in scv/models (the
    default: builds are fast and repeatable, and the weights were reviewed). "train" fits the model
    on these records first (unsupervised EM, fixed seed, so the same input gives the same model):
    for data unlike the synthetic retail world the shipped model learned from.

    household_veto=False lets EM learn what unrelated first names weigh instead of treating them
    as a veto. Only for data known to hold no households, twins or family members sharing contact
    details (e.g. a benchmark whose duplicates replace first names); it needs linking_model="train",
    because the shipped model was trained with the veto.
    """
    from scv import linking

    if linking_model not in LINKING_MODELS:
        raise ValueError(f"identity_linking_model must be one of {LINKING_MODELS}, got {linking_model!r}")
    if linking_model == "shipped" and not household_veto:
        raise ValueError("identity_household_veto: false needs identity_linking_model: train "
                         "(the shipped model was trained with the household veto)")
    candidates = fuzzy_candidates(records)
    if linking_model == "shipped":
        return linking.predict_edges(candidates, threshold=threshold)
    conflict_m = linking.FIRST_NAME_CONFLICT_M if household_veto else None
    model = linking.train(candidates, seed=seed, max_pairs=1e6, first_name_conflict_m=conflict_m,
                          metadata={"trained_on": "build input"})
    return linking.predict_edges(candidates, model, threshold=threshold)
