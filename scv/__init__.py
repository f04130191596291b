"""scv: the Python side of the single customer view (normalizers, linking, CLV, synthetic data)."""

__version__ = "0.1.0"
