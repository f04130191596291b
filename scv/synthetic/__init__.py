"""The synthetic world generator (`scv generate`)."""

from .rates import HARD_CASE_RATES
from .world import WorldConfig, WorldStats, generate

__all__ = ["HARD_CASE_RATES", "WorldConfig", "WorldStats", "generate"]
