"""The vectorised gallery agrees with a brute-force loop and honours candidates and removals."""

from __future__ import annotations

import numpy as np

from recognition.face.decision import Thresholds, decide
from recognition.face.gallery import GalleryIndex, Match


def random_gallery(n_people: int = 50, per: int = 3, seed: int = 7):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    rows = []
    for person in range(n_people):
        centre = rng.normal(0, 0.09, 128)
        for k in range(per):
            rows.append(
                (person * 10 + k, person, (centre + rng.normal(0, 0.02, 128)).astype(np.float32))
            )
    index = GalleryIndex()
    index.replace_all(rows)
    return index, rows, rng


def brute_force(rows, probe, allowed=None):  # type: ignore[no-untyped-def]
    best: dict[int, float] = {}
    for _, person, vec in rows:
        if allowed is None or person in allowed:
            d = float(np.linalg.norm(vec - probe))
            best[person] = min(best.get(person, 9.0), d)
    ranked = sorted(best.items(), key=lambda kv: kv[1])
    return ranked[0][0], ranked[0][1], ranked[1][1] if len(ranked) > 1 else None


def test_search_matches_brute_force_best_and_second_identity() -> None:
    index, rows, rng = random_gallery()
    for _ in range(20):
        probe = rows[int(rng.integers(len(rows)))][2] + rng.normal(0, 0.02, 128).astype(np.float32)
        m = index.search(probe)
        who, d1, d2 = brute_force(rows, probe)
        assert m is not None and m.attendee_id == who
        assert abs(m.distance - d1) < 1e-4 and abs(m.second_distance - d2) < 1e-4  # type: ignore[operator]


def test_second_best_is_another_person_not_another_photo_of_the_same() -> None:
    index, rows, _ = random_gallery(per=4)
    m = index.search(rows[0][2])
    assert m is not None and m.attendee_id == 0
    assert m.second_distance is not None and m.second_distance > 0.3


def test_candidates_restrict_the_search() -> None:
    index, rows, _ = random_gallery()
    probe = rows[0][2]
    m = index.search(probe, candidates={3, 4})
    assert m is not None and m.attendee_id in (3, 4)
    assert index.search(probe, candidates=set()) is None
    assert index.search(probe, candidates={999}) is None


def test_removed_attendee_is_never_returned_again() -> None:
    index, rows, _ = random_gallery()
    assert index.remove_attendee(0) == 3
    m = index.search(rows[0][2])
    assert m is not None and m.attendee_id != 0
    assert len(index) == len(rows) - 3 and index.identities() == 49


def test_adding_the_same_template_twice_keeps_one_row() -> None:
    index = GalleryIndex()
    vec = np.ones(128, dtype=np.float32) * 0.05
    index.add(1, 10, vec)
    index.add(1, 10, vec)
    assert len(index) == 1


def test_exclude_leaves_out_one_attendee() -> None:
    index, rows, _ = random_gallery()
    m = index.search(rows[0][2], exclude=0)
    assert m is not None and m.attendee_id != 0


def test_rule_needs_both_distance_and_margin() -> None:
    t = Thresholds(0.5, 0.1)
    assert decide(Match(1, 0.30, 0.70), t) == "match"
    assert decide(Match(1, 0.30, None), t) == "match"
    assert decide(Match(1, 0.30, 0.35), t) == "ambiguous"
    assert decide(Match(1, 0.55, 0.90), t) == "unknown"
    assert decide(None, t) == "unknown"


def test_one_by_one_adds_and_many_removals_stay_consistent_with_brute_force() -> None:
    rng = np.random.default_rng(11)
    index, rows = GalleryIndex(), []
    for t in range(3000):
        vec = rng.normal(0, 0.09, 128).astype(np.float32)
        rows.append((t, t // 2, vec))
        index.add(t, t // 2, vec)
    for person in range(0, 1500, 2):  # half the people go: dead rows, then a compaction
        index.remove_attendee(person)
    alive = [r for r in rows if r[1] % 2 == 1]
    assert len(index) == len(alive) and index.identities() == 750
    assert 0 not in index and 1 not in index and 2 in index and 3 in index
    for probe_row in alive[::250]:
        m = index.search(probe_row[2])
        who, d1, d2 = brute_force(alive, probe_row[2])
        # |g|^2 - 2g.p + |p|^2 in float32 leaves ~1e-7 of noise, so ~3e-4 after the square root.
        assert m is not None and m.attendee_id == who and abs(m.distance - d1) < 1e-3
        assert abs(m.second_distance - d2) < 1e-3  # type: ignore[operator]
    index.add(99_999, 0, rows[0][2])  # a removed person enrols again
    assert index.search(rows[0][2]).attendee_id == 0  # type: ignore[union-attr]
