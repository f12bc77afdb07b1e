"""`generate:` random fleets: reproducible per seed and replication, plausible statistics,
ending actions, path-named validation errors, and simulate() expanding replication 0."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim import ScenarioError, load_scenario, simulate
from sim.scenario.generate import expand, sample_hours
from sim.scenario.generate_models import Distribution
from traces import scenario

ZONE = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai has no daylight saving
START = dt.datetime(2023, 1, 1, tzinfo=ZONE)
END = dt.datetime(2023, 2, 1, tzinfo=ZONE)


def fleet(*groups: dict, seed: int | None = 7, phones=(), **keys) -> dict:
    data = scenario(*phones, **keys)
    data["generate"] = list(groups)
    if seed is not None:
        data["seed"] = seed
    return data


SESSIONS = {"name": "s", "spec": "basic-4c8g", "billing": "pay_per_use", "rate": 10,
            "lifetime": {"dist": "exponential", "mean_hours": 8}}


def signature(sc) -> list[tuple]:
    return [(p.id, p.group, p.billing, p.at, tuple((a.do, a.at) for a in p.actions))
            for p in sc.phones]


def test_same_seed_and_replication_give_the_same_fleet():
    sc = load_scenario(fleet(SESSIONS))
    assert signature(expand(sc, 3)) == signature(expand(sc, 3))
    assert signature(expand(load_scenario(fleet(SESSIONS)), 3)) == signature(expand(sc, 3))


def test_replications_and_seeds_give_different_fleets():
    sc = load_scenario(fleet(SESSIONS))
    assert signature(expand(sc, 0)) != signature(expand(sc, 1))
    other = load_scenario(fleet(SESSIONS, seed=8))
    assert signature(expand(sc, 0)) != signature(expand(other, 0))


def test_no_global_random_state_is_used():
    before = np.random.get_state()[1].copy()
    expand(load_scenario(fleet(SESSIONS)), 0)
    assert (np.random.get_state()[1] == before).all()


def test_fixed_count_uniform_over_the_window_whole_seconds_ids_in_arrival_order():
    group = {"name": "desk", "spec": "pro-2c4g", "billing": "monthly", "count": 50}
    phones = expand(load_scenario(fleet(group)), 0).phones
    assert [p.id for p in phones] == [f"desk-{k}" for k in range(1, 51)]
    assert all(p.group == "desk" and p.billing == "monthly" and not p.actions for p in phones)
    times = [p.at for p in phones]
    assert times == sorted(times)
    assert all(START <= t < END and t.microsecond == 0 for t in times)


def test_arrivals_start_puts_every_phone_at_the_window_start():
    group = {"name": "desk", "spec": "pro-2c4g", "billing": "monthly", "count": 3,
             "arrivals": "start", "window": {"start": "2023-01-02 09:00:00"}, "term": 2,
             "auto_renew": {}}
    phones = expand(load_scenario(fleet(group)), 0).phones
    assert [p.at for p in phones] == [dt.datetime(2023, 1, 2, 9, tzinfo=ZONE)] * 3
    assert all(p.term == 2 and p.auto_renew is not None for p in phones)


def test_poisson_counts_have_the_rate_times_the_window_as_mean_and_variance():
    sc = load_scenario(fleet(SESSIONS))  # 10 a day over 31 days: 310 expected
    counts = np.array([len(expand(sc, r).phones) for r in range(60)])
    assert 300 < counts.mean() < 320  # standard error ~2.3
    assert 0.5 < counts.var(ddof=1) / counts.mean() < 1.6  # Poisson: variance = mean


def test_poisson_arrivals_are_spread_evenly_with_exponential_gaps():
    group = dict(SESSIONS, rate=200)  # ~6,200 arrivals
    phones = expand(load_scenario(fleet(group)), 0).phones
    t = np.array([p.at.timestamp() for p in phones])
    first_half = (t < (START.timestamp() + END.timestamp()) / 2).mean()
    assert abs(first_half - 0.5) < 0.03
    gaps = np.diff(t)
    assert abs(gaps.mean() - 86400 / 200) < 0.05 * 86400 / 200
    assert abs(np.median(gaps) / gaps.mean() - np.log(2)) < 0.05  # exponential: ln 2


def test_arrival_window_limits_arrivals():
    group = dict(SESSIONS, window={"start": "2023-01-10 00:00:00", "end": "2023-01-11 00:00:00"})
    phones = expand(load_scenario(fleet(group)), 0).phones
    assert phones and all(dt.datetime(2023, 1, 10, tzinfo=ZONE) <= p.at
                          < dt.datetime(2023, 1, 11, tzinfo=ZONE) for p in phones)


@pytest.mark.parametrize("dist, mean", [
    ({"dist": "fixed", "hours": 5}, 5.0),
    ({"dist": "exponential", "mean_hours": 8}, 8.0),
    ({"dist": "lognormal", "mean_hours": 3, "sigma": 0.8}, 3.0),
    ({"dist": "gamma", "mean_hours": 6, "shape": 2}, 6.0),
    ({"dist": "uniform", "min_hours": 1, "max_hours": 3}, 2.0),
])
def test_lifetime_distributions_have_their_mean(dist, mean):
    rng = np.random.Generator(np.random.PCG64(1))
    hours = sample_hours(Distribution.model_validate(dist), rng, 20_000)
    assert (hours > 0).all()
    assert abs(hours.mean() - mean) < 0.03 * mean


def test_billing_mix_draws_each_mode_with_its_weight_and_only_its_keys():
    group = {"name": "m", "spec": "pro-2c4g", "billing": {"monthly": 1, "pay_per_use": 3},
             "count": 2000, "term": 1, "provisioning": 30}
    phones = expand(load_scenario(fleet(group)), 0).phones
    ppu = [p for p in phones if p.billing == "pay_per_use"]
    assert abs(len(ppu) / len(phones) - 0.75) < 0.04
    assert all(p.provisioning == 30 and p.term is None for p in ppu)
    assert all(p.term == 1 and p.provisioning is None for p in phones if p.prepaid)


def test_lifetime_ends_with_delete_or_unsubscribe_inside_the_window_only():
    group = {"name": "m", "spec": "pro-2c4g", "billing": {"monthly": 1, "pay_per_use": 1},
             "count": 400, "provisioning": 120,
             "lifetime": {"dist": "exponential", "mean_hours": 24 * 10}}
    phones = expand(load_scenario(fleet(group)), 0).phones
    ended = [p for p in phones if p.actions]
    assert 0 < len(ended) < len(phones)  # some lifetimes run past the window's end
    for p in ended:
        (action,) = p.actions
        assert action.do == ("unsubscribe" if p.prepaid else "delete")
        assert action.at < END and action.at.microsecond == 0
        # A pay-per-use lifetime counts from the end of provisioning.
        assert action.at - p.at >= dt.timedelta(seconds=121 if not p.prepaid else 1)


def test_changing_one_group_leaves_the_others_draws_alone():
    desks = {"name": "desk", "spec": "pro-2c4g", "billing": "monthly", "count": 20,
             "lifetime": {"dist": "uniform", "min_hours": 10, "max_hours": 500}}
    a = expand(load_scenario(fleet(SESSIONS, desks)), 0)
    b = expand(load_scenario(fleet(dict(SESSIONS, rate=3), dict(desks, billing="yearly"))), 0)
    keep = [(p.id, p.at, [x.at for x in p.actions]) for p in a.phones if p.group == "desk"]
    assert keep == [(p.id, p.at, [x.at for x in p.actions]) for p in b.phones
                    if p.group == "desk"]


def test_explicit_phones_come_first_and_keep_their_ids():
    phone = {"id": "mine", "spec": "pro-2c4g", "billing": "monthly", "at": "2023-01-01 10:00:00"}
    sc = expand(load_scenario(fleet(SESSIONS, phones=[phone])), 0)
    assert sc.phones[0].id == "mine" and sc.phones[0].group is None
    assert not sc.generate and sc.seed == 7


def test_simulate_expands_replication_0_and_takes_another():
    sc = load_scenario(fleet(SESSIONS))
    first = simulate(sc).summary
    assert set(first["phones"]) == {p.id for p in expand(sc, 0).phones}
    assert simulate(sc, replication=0).summary == first
    assert simulate(sc, replication=1).summary != first


@pytest.mark.parametrize("group, extra, problem", [
    (dict(SESSIONS, rate=0), {}, "generate[0].rate: must be > 0"),
    (dict(SESSIONS, rate=1, count=3), {}, "generate[0].rate: give count or rate, not both"),
    ({k: v for k, v in SESSIONS.items() if k != "rate"}, {},
     "generate[0].count: required: a fixed count, or a Poisson rate per day"),
    (dict(SESSIONS, arrivals="start"), {},
     "generate[0].arrivals: only with count (rate means Poisson arrivals)"),
    (dict(SESSIONS, lifetime={"dist": "lognormal", "mean_hours": 3}), {},
     "generate[0].lifetime.sigma: required by dist: lognormal"),
    (dict(SESSIONS, lifetime={"dist": "exponential", "mean_hours": 3, "hours": 2}), {},
     "generate[0].lifetime.hours: not used by dist: exponential (it takes mean_hours)"),
    (dict(SESSIONS, lifetime={"dist": "weibull"}), {}, "generate[0].lifetime.dist: must be one of"),
    (dict(SESSIONS, term=1), {},
     "generate[0].term: only for prepaid phones (monthly, yearly); the group's billing has none"),
    (dict(SESSIONS, billing={"monthly": 1, "weekly": 1}), {},
     "generate[0].billing: unknown mode 'weekly' in the mix"),
    (dict(SESSIONS, spec="nope"), {}, "generate[0].spec: unknown spec 'nope'"),
    (dict(SESSIONS, window={"start": "2022-12-31 00:00:00"}), {},
     "generate[0].window.start: 2022-12-31 00:00:00 is before start"),
    (dict(SESSIONS, colour="red"), {}, "generate[0].colour: unknown key 'colour'"),
    (SESSIONS, {"seed": None}, "seed: required when generate: is used"),
])
def test_bad_generate_sections_are_reported_with_their_path(group, extra, problem):
    data = fleet(group)
    if "seed" in extra:
        del data["seed"]
    with pytest.raises(ScenarioError) as caught:
        load_scenario(data)
    assert any(str(p).startswith(problem) for p in caught.value.problems), caught.value


def test_every_generate_problem_is_reported_at_once():
    bad_model = dict(SESSIONS, rate=-1)
    bad_cross = dict(SESSIONS, name="t", spec="nope")
    phone = {"id": "t-1", "spec": "pro-2c4g", "billing": "monthly", "at": "2023-01-01 10:00:00"}
    data = fleet(bad_model, bad_cross, dict(SESSIONS, name="t"), seed=None, phones=[phone])
    with pytest.raises(ScenarioError) as caught:
        load_scenario(data)
    paths = [p.path for p in caught.value.problems]
    assert paths == ["seed", "generate[0].rate", "generate[1].name", "generate[1].spec",
                     "generate[2].name", "generate[2].name"]


def test_the_engine_takes_only_plain_scenarios_and_never_imports_the_door_s_generation():
    import ast
    from pathlib import Path

    import sim.engine

    sc = load_scenario(fleet(SESSIONS))
    with pytest.raises(ValueError, match="draw the generate: groups first"):
        sim.engine.simulate(sc)
    assert sim.engine.simulate(expand(sc, 1)).summary == simulate(sc, replication=1).summary
    door_only = {"generate", "generate_checks", "fleet_tables", "tables", "loader", "yaml_io"}
    for source in Path(sim.engine.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                names += [alias.name for alias in node.names]
                assert not any(part in door_only for name in names for part in name.split(".")), \
                    (source.name, names)
