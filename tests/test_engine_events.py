"""The engine's two SimPy shortcuts behave as SimPy's own path would (sim/engine/events.py).

`At` writes its queue entry itself and `Started` runs a process's first step at once; both
lean on SimPy's queue layout and process internals, so a SimPy release that changed them
should fail here, not reorder a run's rows.
"""

from __future__ import annotations

import simpy

from sim.engine.events import ACTION, ALERT, LIFECYCLE, At, Started


def test_at_fires_by_instant_then_rank_whatever_the_order_it_was_made_in():
    env = simpy.Environment(initial_time=100)
    fired = []
    for when, rank in [(200, ACTION + 1), (200, LIFECYCLE + 7), (150, ALERT), (200, ACTION),
                       (200, ALERT + 3)]:
        At(env, when, rank).callbacks.append(lambda _e, key=(when, rank): fired.append(key))
    env.timeout(100).callbacks.append(lambda _e: fired.append((200, "timeout")))
    env.run()
    # SimPy's own events (priority 0/1) come before every band of the same instant.
    assert fired == [(150, ALERT), (200, "timeout"), (200, LIFECYCLE + 7), (200, ALERT + 3),
                     (200, ACTION), (200, ACTION + 1)]


def test_a_process_can_wait_for_an_at_and_be_interrupted_away_from_it():
    env = simpy.Environment()
    seen = []

    def sleeper():
        try:
            yield At(env, 50, LIFECYCLE)
            seen.append(("woke", env.now))
        except simpy.Interrupt:
            seen.append(("interrupted", env.now))
            yield At(env, 80, LIFECYCLE)
            seen.append(("woke", env.now))

    proc = env.process(sleeper())
    At(env, 10, ACTION).callbacks.append(lambda _e: proc.interrupt())
    env.run()
    assert seen == [("interrupted", 10), ("woke", 80)]  # the stale At at 50 did nothing


def test_started_runs_the_first_step_inside_the_current_one():
    env = simpy.Environment()
    log = []

    def child():
        # It is the active process while its first step runs inside the parent's.
        log.append(("child starts", env.now, env.active_process not in (None, parent)))
        yield At(env, 5, ALERT)
        log.append(("child wakes", env.now))

    def parents_steps():
        yield At(env, 3, ACTION)
        started = Started(env, child())
        log.append(("parent goes on", env.active_process is parent, started.is_alive))
        yield At(env, 3, ACTION + 1)
        log.append(("parent", env.now))

    parent = env.process(parents_steps())
    env.run()
    assert log == [("child starts", 3, True), ("parent goes on", True, True),
                   ("parent", 3), ("child wakes", 5)]


def test_a_started_process_that_ends_at_once_is_dead_and_can_be_waited_for():
    env = simpy.Environment()

    def opening_refused():
        return
        yield  # a generator

    proc = Started(env, opening_refused())
    assert not proc.is_alive
    env.run()
    assert proc.processed and proc.ok
