"""Scores of the open-set protocol (FNIR, FPIR, mis-identification rate) and the DET plot."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from recognition.face.decision import Thresholds, decide
from recognition.face.evaluation import Search
from recognition.face.gallery import Match


def decision_of(s: Search, t: Thresholds) -> str:
    """The decision the service would give for this search at operating point t."""
    if s.problem is not None:
        return "low_quality"
    if s.best is None:
        return "unknown"
    return decide(Match(0, s.distance, s.second), t)


def score(searches: list[Search], t: Thresholds) -> dict[str, dict[str, Any]]:
    """Per-subset counts and rates; `non_mated` holds the left-out identities."""
    by_file: dict[tuple[str, str], list[Search]] = defaultdict(list)
    for s in searches:
        by_file[(s.subset, s.file)].append(s)
    table: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "expected": 0,
            "identified": 0,
            "misidentified": 0,
            "false_accepts": 0,
            "searches": 0,
            "strangers": 0,
            "strangers_rejected": 0,
        }
    )
    for (subset, _), group in by_file.items():
        _score_file(table[subset], group, t)
    return {name: _rates(row) for name, row in sorted(table.items())}


def _score_file(row: dict[str, Any], group: list[Search], t: Thresholds) -> None:
    row["searches"] += len(group)
    named = [s.best for s in group if decision_of(s, t) == "match"]
    if group[0].subset == "non_mated":
        row["false_accepts"] += len(named)
        return
    allowed = group[0].allowed if group[0].truth is None else frozenset({group[0].truth})
    hits = {n for n in named if n in allowed}
    row["expected"] += len(allowed)
    row["identified"] += len(hits)
    row["misidentified"] += len(named) - len(hits)  # wrong people and duplicates
    strangers = max(0, len(group) - len(allowed))
    row["strangers"] += strangers
    row["strangers_rejected"] += min(strangers, len(group) - len(named))


def _rates(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    if row["expected"]:
        out["fnir"] = round(1 - row["identified"] / row["expected"], 4)
        out["misid_rate"] = round(row["misidentified"] / row["expected"], 4)
    if not row["expected"]:
        out["fpir"] = round(row["false_accepts"] / max(row["searches"], 1), 4)
    return out


def totals(table: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Overall FNIR, mis-identification rate and FPIR across subsets."""
    mated = [r for r in table.values() if r["expected"]]
    expected = sum(r["expected"] for r in mated)
    non = table.get("non_mated", {"searches": 0, "false_accepts": 0})
    strangers = sum(r["strangers"] for r in mated)
    non_searches = non["searches"] + strangers
    false_accepts = non["false_accepts"] + strangers - sum(r["strangers_rejected"] for r in mated)
    return {
        "mated_expected": expected,
        "identified": sum(r["identified"] for r in mated),
        "misidentified": sum(r["misidentified"] for r in mated),
        "fnir": round(1 - sum(r["identified"] for r in mated) / max(expected, 1), 4),
        "misid_rate": round(sum(r["misidentified"] for r in mated) / max(expected, 1), 4),
        "non_mated_searches": non_searches,
        "fpir": round(false_accepts / max(non_searches, 1), 4),
    }


def det_points(searches: list[Search], margin: float) -> list[tuple[float, float, float]]:
    """(threshold, FPIR, FNIR) for thresholds from 0.30 to 0.80."""
    points = []
    for d in np.arange(0.30, 0.805, 0.01):
        overall = totals(score(searches, Thresholds(float(d), margin)))
        points.append((round(float(d), 2), overall["fpir"], overall["fnir"]))
    return points


def plot_det(searches: list[Search], t: Thresholds, path: Path) -> None:
    """Write the DET curve (FNIR against FPIR as the threshold moves) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = det_points(searches, t.margin)
    fig, ax = plt.subplots(figsize=(5, 4), dpi=100)
    ax.plot([p[1] for p in pts], [p[2] for p in pts], marker=".", label="threshold 0.30-0.80")
    here = totals(score(searches, t))
    ax.plot(
        [here["fpir"]],
        [here["fnir"]],
        "r*",
        markersize=12,
        label=f"operating point d<={t.distance}, margin>={t.margin}",
    )
    ax.set_xlabel("FPIR (never-enrolled faces accepted)")
    ax.set_ylabel("FNIR (enrolled faces not identified)")
    ax.set_title("Open-set DET")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
