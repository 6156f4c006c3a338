"""The server's own work for one Advance with N team pages, without browsers (not a timed test).

    PYTHONPATH=$PWD python experiments/classroom_render_cost.py [--pages 30] [--months 3]

Builds one room with five teams and renders N team pages in this process (Solara's renderer, no
websocket), as the server holds them: five teams, and N - 5 more devices on the same seats. Each
month it times (1) the month itself (``Room.advance``: the model, the feedback, the log), (2) the
words the pages share, built once per month and country (the effects of each move, the look-ahead
of one step of pressure or coordination, the numbers with their sources), and (3) re-rendering
the N pages with the new month, in CPU seconds of this process (on a shared machine, wall-clock
times would count other jobs' work). What the server does beyond this in a class (sending the widget
updates over N websockets, waking N threads) is measured with experiments/classroom_load.py
--profile. Prints the machine's load average beside the times.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

ACTORS = ("Russia", "China", "US", "India", "EU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--months", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("ALLIANCE_SIM_INSTRUCTOR_KEY", "render-cost")
    import solara

    from simulation.core.paths import shipped_scenario
    from simulation.dashboard import turn
    from simulation.dashboard.classroom import TeamPanel
    from simulation.teaching.rooms import Room
    from simulation.teaching.seminar import HumanMove
    from simulation.world.scenario import load_scenario

    load_before = os.getloadavg()
    room = Room(load_scenario(shipped_scenario("baseline_2018_2021")), "baseline_2018_2021", seed=0)
    seats = {a: room.join(f"Team {a}", a).seat for a in ACTORS}
    pages = []
    for k in range(args.pages):
        actor = ACTORS[k % len(ACTORS)]
        box, rc = solara.render(TeamPanel(room, actor, seats[actor], room.version, f"device-{k}"), handle_error=False)
        pages.append((actor, rc))
    month_s, words_s, render_s = [], [], []
    for _ in range(args.months):
        for actor in ACTORS:
            room.submit(actor, seats[actor], HumanMove({}))
        t0 = time.process_time()
        room.advance()
        t1 = time.process_time()
        for actor in ACTORS:
            turn.move_effects(room, actor), turn.lever_effects(room, actor), turn.numbers_html(room, actor)
        t2 = time.process_time()
        for k, (actor, rc) in enumerate(pages):
            rc.render(TeamPanel(room, actor, seats[actor], room.version, f"device-{k}"))
        t3 = time.process_time()
        month_s.append(t1 - t0)
        words_s.append(t2 - t1)
        render_s.append(t3 - t2)
    for _actor, rc in pages:
        rc.close()
    load_after = os.getloadavg()

    def show(values: list[float]) -> str:
        return f"median {statistics.median(values) * 1000:.0f} ms ({', '.join(f'{v * 1000:.0f}' for v in values)})"

    print(f"{args.pages} team pages, {args.months} months; machine load (1 min) {load_before[0]:.1f} -> "
          f"{load_after[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    print(f"the month itself (Room.advance): {show(month_s)}")
    print(f"words shared by the pages (5 countries, once a month): {show(words_s)}")
    print(f"re-rendering {args.pages} team pages: {show(render_s)}")
    total = [a + b + c for a, b, c in zip(month_s, words_s, render_s, strict=True)]
    print(f"server work in this process, per Advance (CPU time): {show(total)}")


if __name__ == "__main__":
    main()
