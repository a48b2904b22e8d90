"""Fixed-bucket histograms of business minutes: what rollups store instead of raw times.

Business minutes fall into the buckets below; a median or p90 read from them is interpolated
linearly inside its bucket, so it is off by at most the bucket's width — 1 minute up to 10 min,
5 up to 60, 15 up to 4 h, 1 h up to 12 h, then 4 h, 12 h, 1 d and wider. Every rollup grain
uses these same buckets, so any grain gives the same estimate for the same tickets.
"""

from __future__ import annotations

from bisect import bisect_right

# Lower bounds (business minutes) of each bucket; the last bucket is open-ended.
BUCKET_BOUNDS: tuple[float, ...] = (
    *range(0, 10),
    *range(10, 60, 5),
    *range(60, 240, 15),
    *range(240, 720, 60),
    *range(720, 1440, 240),
    *range(1440, 4320, 720),
    *range(4320, 14400, 1440),
    14400,
    20160,
    43200,
)


def bucket_of(minutes: float) -> int:
    return max(0, bisect_right(BUCKET_BOUNDS, minutes) - 1)


def add_to_histogram(histogram: list[int], minutes: float) -> None:
    """Count `minutes` in a histogram stored as a list trimmed after its last used bucket."""
    index = bucket_of(minutes)
    if len(histogram) <= index:
        histogram.extend([0] * (index + 1 - len(histogram)))
    histogram[index] += 1


def merge_histogram(into: list[int], other: list[int]) -> None:
    if len(into) < len(other):
        into.extend([0] * (len(other) - len(into)))
    for index, count in enumerate(other):
        into[index] += count


def estimate_percentile(histogram: dict[int, int], fraction: float) -> float | None:
    """percentile_cont over values known only by bucket: each value is placed evenly inside its
    bucket, and the result interpolates between the two values around rank fraction × (n − 1),
    as percentile_cont does between the real ones."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = fraction * (total - 1)
    lower = _value_at(histogram, int(rank))
    upper = _value_at(histogram, min(int(rank) + 1, total - 1))
    return round(lower + (upper - lower) * (rank - int(rank)), 1)


def _value_at(histogram: dict[int, int], rank: int) -> float:
    seen = 0
    for bucket in sorted(histogram):
        count = histogram[bucket]
        if rank < seen + count:
            low = BUCKET_BOUNDS[bucket]
            high = BUCKET_BOUNDS[bucket + 1] if bucket + 1 < len(BUCKET_BOUNDS) else low
            return low + (high - low) * (rank - seen + 0.5) / count
        seen += count
    return float(BUCKET_BOUNDS[max(histogram)])
