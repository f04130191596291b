"""Public benchmarks run through the landing contract (so figures sit on the same footing as ours)."""

from .febrl import DATASETS as FEBRL_DATASETS, write_febrl_landing

__all__ = ["FEBRL_DATASETS", "write_febrl_landing"]
