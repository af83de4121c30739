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

DIM = 128  # dlib's; MobileFaceNet's vectors have 192 (each index holds one engine's space)


@dataclass(frozen=True)
class Match:
    """Nearest identity, its distance, and the distance of the nearest *other* identity."""

    attendee_id: int
    distance: float
    second_distance: float | None


class GalleryIndex:
    """Templates by template id; thread-safe.

    Rows live in buffers that grow by doubling, so adding one template is O(1) amortised even
    at a million rows. Removing an attendee marks its rows dead (norm = +inf, so they can never
    be nearest) and compacts only when a quarter of the rows are dead.
    """

    def __init__(self, dim: int = DIM) -> None:
        self.dim = dim
        self._lock = threading.RLock()
        self._matrix = np.zeros((0, dim), dtype=np.float32)
        self._norms = np.zeros(0, dtype=np.float32)
        self._owners = np.zeros(0, dtype=np.int64)
        self._template_ids = np.zeros(0, dtype=np.int64)
        self._n = self._alive = 0
        self._rows_of: dict[int, list[int]] = {}
        self._row_of_template: dict[int, int] = {}

    def __len__(self) -> int:
        return self._alive

    def __contains__(self, template_id: object) -> bool:
        return template_id in self._row_of_template

    def identities(self) -> int:
        """How many distinct attendees have a template."""
        return len(self._rows_of)

    def replace_all(self, rows: Iterable[tuple[int, int, np.ndarray]]) -> None:
        """Load (template id, attendee id, vector) rows, dropping whatever was there."""
        items = list(rows)
        matrix = np.array([v for _, _, v in items], dtype=np.float32).reshape(-1, self.dim)
        with self._lock:
            self._matrix = matrix
            self._template_ids = np.array([t for t, _, _ in items], dtype=np.int64)
            self._owners = np.array([a for _, a, _ in items], dtype=np.int64)
            self._n = len(items)
            self._reindex()

    def add(self, template_id: int, attendee_id: int, vector: np.ndarray) -> None:
        """Add one template (ignored when that template id is already present)."""
        with self._lock:
            if template_id in self._row_of_template:
                return
            if self._n == len(self._matrix):
                self._grow(max(16, 2 * self._n))
            row, vec = self._n, vector.astype(np.float32).reshape(self.dim)
            self._matrix[row], self._norms[row] = vec, np.dot(vec, vec)
            self._owners[row], self._template_ids[row] = attendee_id, template_id
            self._n, self._alive = row + 1, self._alive + 1
            self._row_of_template[template_id] = row
            self._rows_of.setdefault(attendee_id, []).append(row)

    def _grow(self, capacity: int) -> None:
        def bigger(a: np.ndarray, fill: float) -> np.ndarray:
            out = np.full((capacity, *a.shape[1:]), fill, dtype=a.dtype)
            out[: self._n] = a[: self._n]
            return out

        self._matrix = bigger(self._matrix, 0.0)
        self._norms = bigger(self._norms, np.inf)
        self._owners = bigger(self._owners, -1)
        self._template_ids = bigger(self._template_ids, -1)

    def remove_attendee(self, attendee_id: int) -> int:
        """Drop every template of one attendee; returns how many were dropped."""
        with self._lock:
            rows = self._rows_of.pop(attendee_id, [])
            for row in rows:
                self._norms[row], self._owners[row] = np.inf, -1
                self._row_of_template.pop(int(self._template_ids[row]), None)
            self._alive -= len(rows)
            if self._n - self._alive > max(1024, self._n // 4):
                self._compact()
            return len(rows)

    def remove_template(self, template_id: int) -> bool:
        """Drop one template (an updated template replaced or removed); False if absent."""
        with self._lock:
            row = self._row_of_template.pop(template_id, None)
            if row is None:
                return False
            owner = int(self._owners[row])
            rows = [r for r in self._rows_of.get(owner, []) if r != row]
            if rows:
                self._rows_of[owner] = rows
            else:
                self._rows_of.pop(owner, None)
            self._norms[row], self._owners[row] = np.inf, -1
            self._alive -= 1
            if self._n - self._alive > max(1024, self._n // 4):
                self._compact()
            return True

    def _compact(self) -> None:
        keep = self._owners[: self._n] >= 0
        self._matrix = self._matrix[: self._n][keep]
        self._template_ids = self._template_ids[: self._n][keep]
        self._owners = self._owners[: self._n][keep]
        self._n = len(self._owners)
        self._reindex()

    def _reindex(self) -> None:
        self._norms = np.einsum("ij,ij->i", self._matrix, self._matrix).astype(np.float32)
        self._alive = self._n
        rows_of: dict[int, list[int]] = {}
        for row, owner in enumerate(self._owners.tolist()):
            rows_of.setdefault(owner, []).append(row)
        self._rows_of = rows_of
        self._row_of_template = {t: r for r, t in enumerate(self._template_ids.tolist())}

    def search(
        self,
        probe: np.ndarray,
        candidates: Collection[int] | None = None,
        exclude: int | None = None,
    ) -> Match | None:
        """Best and second-best identity for one probe; None when nothing can be compared."""
        p = probe.astype(np.float32).reshape(self.dim)
        with self._lock:
            if candidates is None:
                n = self._n
                matrix, norms, owners = self._matrix[:n], self._norms[:n], self._owners[:n]
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
