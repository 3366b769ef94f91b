"""One measured figure of `digitpad bench`, next to its target."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class Figure:
    name: str
    value: float | None
    unit: str
    target: str
    ok: bool | None
    note: str = ""


def plain(figure: Figure) -> dict:
    """JSON-ready: NumPy scalars (from comparisons on NumPy values) become Python ones."""
    out = asdict(figure)
    out["value"] = None if figure.value is None else float(figure.value)
    out["ok"] = None if figure.ok is None else bool(figure.ok)
    return out
