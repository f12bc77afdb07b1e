"""The input door: scenario and catalog files -> validated, frozen models, or path-named errors."""

from sim.scenario.catalog import check_catalog, default_catalog, resolve_catalog
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.generate import expand
from sim.scenario.loader import load_scenario
from sim.scenario.models import Catalog, Scenario
from sim.scenario.yaml_io import load_yaml

__all__ = [
    "load_scenario", "ScenarioError", "Problem", "Scenario", "Catalog", "default_catalog",
    "resolve_catalog", "check_catalog", "load_yaml", "expand",
]
