from datetime import UTC, datetime, timedelta

from xingqu.bootstrap import Platform
from xingqu.discovery.popularity import PopularityCache


def test_cache_recomputes_after_wall_ttl_or_large_clock_jump(platform: Platform) -> None:
    # given a cache with a fake monotonic clock and a counting unit-of-work factory
    wall = [0.0]
    made: list[int] = []

    def read_uow():  # type: ignore[no-untyped-def]
        made.append(1)
        return platform.uow(readonly=True)

    cache = PopularityCache(ttl_s=30, max_clock_drift_s=600, monotonic=lambda: wall[0])
    now = datetime(2026, 3, 1, tzinfo=UTC)
    first = cache.current(read_uow, now)
    # when the platform clock moves less than the drift and wall time less than the TTL
    wall[0] = 29
    assert cache.current(read_uow, now + timedelta(seconds=599)) is first
    # then nothing is recomputed; a bigger jump or an expired TTL recomputes
    assert len(made) == 1
    assert cache.current(read_uow, now + timedelta(seconds=601)) is not first
    wall[0] = 60
    cache.current(read_uow, now + timedelta(seconds=601))
    assert len(made) == 3
