"""Trips that serve several hotels: positions, a travel model, and which hotels may share a car.

Travel model (documented in docs/transport.md):
- hub -> hotel: the hotel's own minutes (`Hotel.travel_minutes_airport` / `_station`), as for a
  one-hotel trip;
- hotel -> hotel: `stop` minutes at each extra stop (unloading) plus the straight-line
  distance between their positions times `detour` (roads are not straight) at `kmh`.
A vehicle drops at its stops nearest-first (pickups) or collects farthest-first (departures),
so the route is hub -> stops -> hub. A group of hotels (a *zone*) may share a car only when
every guest's ride stays within `ride_factor` x their direct ride for the whole zone's route;
a car carrying only some of the zone's hotels skips stops, which never lengthens a ride.
VIPs (and speakers) never share a car when `direct_vip` is set.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Position = tuple[float, float]  # latitude, longitude (degrees)


def km_between(a: Position, b: Position) -> float:
    """Great-circle distance (haversine), km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@dataclass(frozen=True)
class Sharing:
    """Which hotels may share a car, and how long the routes are (minutes)."""

    positions: Mapping[int, Position]  # hotel id -> position
    ride_factor: float = 1.5
    max_stops: int = 3
    direct_vip: bool = True
    stop: int = 4
    detour: float = 1.3
    kmh: float = 30.0
    _cache: dict[tuple[int, int], int] = field(default_factory=dict, compare=False, repr=False)

    def between(self, a: int, b: int) -> int:
        """Minutes from hotel a to hotel b, the stop included."""
        if a == b:
            return 0
        key = (min(a, b), max(a, b))
        if key not in self._cache:
            km = km_between(self.positions[a], self.positions[b])
            self._cache[key] = self.stop + math.ceil(km * self.detour / self.kmh * 60)
        return self._cache[key]

    def order(self, direct: Mapping[int, int], hotels: Sequence[int]) -> list[int]:
        """Drop-off order: nearest to the hub first."""
        return sorted(set(hotels), key=lambda h: (direct[h], h))

    def rides(self, direct: Mapping[int, int], stops: Sequence[int]) -> dict[int, int]:
        """Each stop's riding minutes from the hub along the route."""
        out, t, here = {}, 0, None
        for h in stops:
            t = direct[h] if here is None else t + self.between(here, h)
            out[h], here = t, h
        return out

    def route(self, direct: Mapping[int, int], stops: Sequence[int]) -> int:
        """Minutes hub -> stops -> hub."""
        if not stops:
            return 0
        return self.rides(direct, stops)[stops[-1]] + direct[stops[-1]]

    def fair(self, direct: Mapping[int, int], stops: Sequence[int]) -> bool:
        rides = self.rides(direct, stops)
        return all(rides[h] <= self.ride_factor * direct[h] for h in stops)

    def zones(self, direct: Mapping[int, int]) -> list[list[int]]:
        """Hotels grouped so every zone's route is fair: of all fair groups of up to
        `max_stops` hotels, those saving the most minutes against separate round trips first
        (greedy set packing); hotels left over, and hotels without a position, stay alone."""
        known = sorted(h for h in direct if h in self.positions)
        groups = []
        for size in range(2, self.max_stops + 1):
            for combo in itertools.combinations(known, size):
                stops = self.order(direct, combo)
                saving = sum(2 * direct[h] for h in stops) - self.route(direct, stops)
                if saving > 0 and self.fair(direct, stops):
                    groups.append((saving, stops))
        placed: set[int] = set()
        out: list[list[int]] = []
        for _saving, stops in sorted(groups, key=lambda g: (-g[0], g[1])):
            if not placed.intersection(stops):
                placed.update(stops)
                out.append(stops)
        return out + [[h] for h in sorted(direct) if h not in placed]
