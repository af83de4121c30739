"""The in-memory gallery: every template as one float32 matrix, searched without Python loops.

Distances use |g - p|^2 = |g|^2 - 2 g.p + |p|^2 with the row norms kept beside the matrix,
so one search is a single matrix-vector product. A candidate set (today's attendees, the
gate's zone) is turned into row numbers through a per-attendee index, so a filtered search
touches only those rows: shrinking N is what keeps 1:N false matches rare.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass

import numpy as np

DIM = 128


@dataclass(frozen=True)
class Match:
    """Nearest identity, its distance, and the distance of the nearest *other* identity."""

    attendee_id: int
    distance: float
    second_distance: float | None


class GalleryIndex:
    """Templates by template id; thread-safe; rows compacted on removal."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._matrix = np.zeros((0, DIM), dtype=np.float32)
        self._norms = np.zeros(0, dtype=np.float32)
        self._owners = np.zeros(0, dtype=np.int64)
        self._template_ids = np.zeros(0, dtype=np.int64)
        self._rows_of: dict[int, list[int]] = {}

    def __len__(self) -> int:
        return len(self._owners)

    def __contains__(self, template_id: object) -> bool:
        with self._lock:
            return bool(np.any(self._template_ids == template_id))

    def identities(self) -> int:
        """How many distinct attendees have a template."""
        return len(self._rows_of)

    def replace_all(self, rows: Iterable[tuple[int, int, np.ndarray]]) -> None:
        """Load (template id, attendee id, vector) rows, dropping whatever was there."""
        items = list(rows)
        matrix = np.array([v for _, _, v in items], dtype=np.float32).reshape(-1, DIM)
        with self._lock:
            self._matrix = matrix
            self._template_ids = np.array([t for t, _, _ in items], dtype=np.int64)
            self._owners = np.array([a for _, a, _ in items], dtype=np.int64)
            self._reindex()

    def add(self, template_id: int, attendee_id: int, vector: np.ndarray) -> None:
        """Add one template (ignored when that template id is already present)."""
        with self._lock:
            if template_id in self:
                return
            self._matrix = np.vstack([self._matrix, vector.astype(np.float32).reshape(1, DIM)])
            self._template_ids = np.append(self._template_ids, template_id)
            self._owners = np.append(self._owners, attendee_id)
            self._norms = np.append(self._norms, np.float32(np.dot(vector, vector)))
            self._rows_of.setdefault(attendee_id, []).append(len(self._owners) - 1)

    def remove_attendee(self, attendee_id: int) -> int:
        """Drop every template of one attendee; returns how many were dropped."""
        with self._lock:
            keep = self._owners != attendee_id
            dropped = int((~keep).sum())
            if dropped:
                self._matrix = self._matrix[keep]
                self._template_ids = self._template_ids[keep]
                self._owners = self._owners[keep]
                self._reindex()
            return dropped

    def _reindex(self) -> None:
        self._norms = np.einsum("ij,ij->i", self._matrix, self._matrix).astype(np.float32)
        rows_of: dict[int, list[int]] = {}
        for row, owner in enumerate(self._owners.tolist()):
            rows_of.setdefault(owner, []).append(row)
        self._rows_of = rows_of

    def search(
        self,
        probe: np.ndarray,
        candidates: Collection[int] | None = None,
        exclude: int | None = None,
    ) -> Match | None:
        """Best and second-best identity for one probe; None when nothing can be compared."""
        p = probe.astype(np.float32).reshape(DIM)
        with self._lock:
            if candidates is None:
                matrix, norms, owners = self._matrix, self._norms, self._owners
            else:
                rows = self._candidate_rows(candidates)
                matrix, norms, owners = self._matrix[rows], self._norms[rows], self._owners[rows]
        if len(owners) == 0:
            return None
        # In place, one temporary: memory bandwidth, not arithmetic, bounds a 1M search.
        sq = matrix @ p
        sq *= np.float32(-2.0)
        sq += norms
        if exclude is not None:
            np.putmask(sq, owners == exclude, np.float32(np.inf))
        best_row = int(np.argmin(sq))
        best, best_owner = float(sq[best_row]), int(owners[best_row])
        if not np.isfinite(best):
            return None
        np.putmask(sq, owners == best_owner, np.float32(np.inf))
        second = float(sq.min()) if len(sq) else float("inf")
        pp = float(np.dot(p, p))
        return Match(
            best_owner,
            float(np.sqrt(max(best + pp, 0.0))),
            float(np.sqrt(max(second + pp, 0.0))) if np.isfinite(second) else None,
        )

    def _candidate_rows(self, candidates: Collection[int]) -> np.ndarray:
        rows = [r for a in set(candidates) for r in self._rows_of.get(int(a), ())]
        return np.array(sorted(rows), dtype=np.int64)
