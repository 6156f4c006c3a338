"""What restoring a saved room costs, at the largest size a room allows and beyond it.

    PYTHONPATH=$PWD python experiments/room_restore_cost.py [--months 240]

Plays a room on the six-country scenario (``baseline_with_japan``, its horizon stretched to
``--months``) with rehearsal bots in every seat, saves it, and times the restore (a replay of every
month from the seed) and the growth of this process's resident memory. Then times the refusal of a
file beyond the bounds (30 countries, 600 months, the case that once took 50 s and +550 MB).
"""

from __future__ import annotations

import argparse
import json
import time

import psutil

from simulation.core.errors import InputError
from simulation.teaching.rooms import MAX_ROOM_ACTORS, MAX_ROOM_MONTHS, Room, content_hash
from simulation.world.scenario import load_scenario, parse_scenario


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=MAX_ROOM_MONTHS)
    args = parser.parse_args()
    data = load_scenario("baseline_with_japan").model_dump(mode="json", exclude_none=True)
    data["steps"] = args.months
    scenario = parse_scenario(data)
    room = Room(scenario, "baseline_with_japan")
    room.fill_with_bots()
    Room(scenario, "warm-up").advance()  # compile and load everything once
    t0 = time.perf_counter()
    while not room.finished:
        room.advance()
    played_s = time.perf_counter() - t0
    text = room.save_json()
    before = rss_mb()
    t0 = time.perf_counter()
    back = Room.from_json(text)
    restore_s = time.perf_counter() - t0
    grown = rss_mb() - before
    assert back.month == room.month
    n = len(scenario.actors)
    print(
        f"room: {n} countries, {room.month} months, file {len(text) / 1e3:.0f} KB; played in {played_s:.1f} s; "
        f"restored in {restore_s:.1f} s, resident memory +{grown:.0f} MB "
        f"(bounds: {MAX_ROOM_ACTORS} countries, {MAX_ROOM_MONTHS} months)"
    )
    big = json.loads(text)
    big["scenario"]["actors"] = [f"A{k}" for k in range(30)]
    big["scenario"]["steps"] = 600
    big["content_hash"] = content_hash(big)
    t0 = time.perf_counter()
    try:
        Room.from_json(json.dumps(big))
    except InputError as err:
        print(f"30 countries, 600 months: refused in {(time.perf_counter() - t0) * 1e3:.0f} ms: {err}")


if __name__ == "__main__":
    main()
