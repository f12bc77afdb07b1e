"""`expand(scenario, replication)`: the `generate:` groups -> plain phones, reproducibly.

The door's last step: the engine only ever sees the plain list of phones it returns.

Replication r draws from `SeedSequence(seed, spawn_key=(r, ...))`: every replication has its
own stream, the same whatever runs it (any worker, any order). Inside a replication each
group, and each aspect of a group (arrivals, billing, lifetimes), has its own child stream,
so a sweep that changes one group's billing mix leaves every arrival and lifetime as it was
(common random numbers: variants differ only by what the sweep changed).
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import ValidationError

from sim.clock import Clock
from sim.scenario.errors import Problem, ScenarioError, problems_from_pydantic
from sim.scenario.generate_checks import arrival_window
from sim.scenario.generate_models import Distribution, GenerateGroup
from sim.scenario.models import Action, Phone, Scenario

ARRIVALS, BILLING, LIFETIME = range(3)  # child streams of a group


def streams(seed: int, replication: int, group: int) -> list[np.random.Generator]:
    """The three generators of one group in one replication (arrivals, billing, lifetimes)."""
    return [np.random.Generator(np.random.PCG64(
                np.random.SeedSequence(seed, spawn_key=(replication, group, aspect))))
            for aspect in (ARRIVALS, BILLING, LIFETIME)]


def sample_hours(dist: Distribution, rng: np.random.Generator, n: int) -> np.ndarray:
    """n durations in hours from a named distribution (its mean is `mean_hours`)."""
    if dist.dist == "fixed":
        return np.full(n, dist.hours)
    if dist.dist == "exponential":
        return rng.exponential(dist.mean_hours, n)
    if dist.dist == "lognormal":
        # numpy's mean is that of the log: shift it so the durations have mean_hours.
        mu = math.log(dist.mean_hours) - dist.sigma ** 2 / 2
        return rng.lognormal(mu, dist.sigma, n)
    if dist.dist == "gamma":
        return rng.gamma(dist.shape, dist.mean_hours / dist.shape, n)
    return rng.uniform(dist.min_hours, dist.max_hours, n)


def _arrivals(group: GenerateGroup, rng: np.random.Generator, start: int, end: int) -> np.ndarray:
    """Sorted whole-second arrival instants in [start, end)."""
    if group.count is not None:
        if group.arrivals == "start":
            return np.full(group.count, start, dtype=np.int64)
        n = group.count
    else:
        # A Poisson process given its count is uniform: draw the count, then the instants.
        n = int(rng.poisson(group.rate * (end - start) / 86400))
    return np.sort(rng.integers(start, end, n, dtype=np.int64))


def _modes(group: GenerateGroup, rng: np.random.Generator, n: int) -> list[str]:
    mix = group.mix
    if len(mix) == 1:
        return [next(iter(mix))] * n
    modes = sorted(mix)  # a fixed order: the draw must not depend on how the file lists them
    return rng.choice(modes, size=n, p=[mix[m] for m in modes]).tolist()


def group_phones(scenario: Scenario, index: int, replication: int, clock: Clock) -> list[Phone]:
    """The phones of group `index` in one replication, in arrival order."""
    group = scenario.generate[index]
    arrivals_rng, billing_rng, lifetime_rng = streams(scenario.seed, replication, index)
    start, end = arrival_window(scenario, index, clock)
    times = _arrivals(group, arrivals_rng, start, end)
    modes = _modes(group, billing_rng, len(times))
    lives = (None if group.lifetime is None else
             sample_hours(group.lifetime, lifetime_rng, len(times)))
    window_end = clock.epoch(scenario.end)
    phones = []
    for k, (t, mode) in enumerate(zip(times.tolist(), modes)):
        prepaid = mode != "pay_per_use"
        keys = ({"term": group.term, "pay_with": group.pay_with, "auto_renew": group.auto_renew}
                if prepaid else {"provisioning": group.provisioning})
        actions = []
        if lives is not None:
            # The lifetime counts from when the phone is usable (after provisioning), at
            # least one second, so the ending action never lands on a phone still Creating.
            usable = t + (0 if prepaid else group.provisioning or 0)
            stop = usable + max(1, round(float(lives[k]) * 3600))
            if stop < window_end:
                actions = [Action(at=clock.local(stop),
                                  do="unsubscribe" if prepaid else "delete")]
        phone_id = f"{group.name}-{k + 1}"
        try:
            phones.append(Phone(id=phone_id, spec=group.spec, quantity=group.quantity,
                                billing=mode, at=clock.local(t), actions=actions,
                                group=group.name, workload=group.workload,
                                data_security=group.data_security,
                                **{key: v for key, v in keys.items() if v is not None}))
        except ValidationError as exc:  # the group's checks should make this unreachable
            raise ScenarioError(
                [Problem(f"generate[{index}]", f"generated phone '{phone_id}': {problem}")
                 for problem in problems_from_pydantic(exc.errors(include_url=False))]
            ) from None
    return phones


def expand(scenario: Scenario, replication: int = 0) -> Scenario:
    """A plain scenario: its own phones, then each group's generated phones; no `generate`."""
    if not scenario.generate:
        return scenario
    if replication < 0:
        raise ValueError("replication must be >= 0")
    clock = Clock(scenario.timezone)
    generated = [phone for index in range(len(scenario.generate))
                 for phone in group_phones(scenario, index, replication, clock)]
    return scenario.model_copy(update={"phones": [*scenario.phones, *generated],
                                       "generate": []})
