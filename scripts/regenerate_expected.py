"""Rewrite the golden summaries `tests/expected/<scenario>.summary.json`.

`tests/test_scenarios_golden.py` compares each shipped scenario's `summary` with its file
here, exactly. After an INTENDED change of behaviour (a rule fixed, a scenario edited, a
new scenario added), regenerate and review the diff before committing it:

    . .venv/bin/activate
    python scripts/regenerate_expected.py            # every scenarios/*.yaml
    python scripts/regenerate_expected.py office-fleet quickstart   # only these
    git diff tests/expected/                         # check every changed number by hand

Never regenerate to make a failing test pass without understanding why the numbers
moved: the expected files are the hand-checked contract (see the comments in the test).
Files of scenarios that no longer exist are reported, not deleted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
EXPECTED = ROOT / "tests" / "expected"
sys.path.insert(0, str(ROOT))

from sim import load_scenario, simulate  # noqa: E402
from sim.scenario import load_yaml  # noqa: E402


def scenario_paths() -> list[Path]:
    """Every shipped scenario; sweep files (a top-level `base:`) sit with them but are not."""
    return sorted(p for p in SCENARIOS.glob("*.yaml") if "base" not in load_yaml(p))


def summary_text(path: Path) -> str:
    """The summary of one scenario file as written to summary.json (2-space JSON + newline)."""
    summary = simulate(load_scenario(path)).summary
    return json.dumps(summary, indent=2, ensure_ascii=False) + "\n"


def main(names: list[str]) -> int:
    paths = scenario_paths()
    if names:
        wanted = set(names)
        paths = [p for p in paths if p.stem in wanted]
        missing = wanted - {p.stem for p in paths}
        if missing:
            print(f"no such scenario: {', '.join(sorted(missing))}", file=sys.stderr)
            return 2
    EXPECTED.mkdir(parents=True, exist_ok=True)
    for path in paths:
        target = EXPECTED / f"{path.stem}.summary.json"
        text = summary_text(path)
        old = target.read_text(encoding="utf-8") if target.exists() else None
        if old != text:
            target.write_text(text, encoding="utf-8", newline="\n")
        print(f"{'unchanged' if old == text else 'written  '} {target.relative_to(ROOT)}")
    stems = {p.stem for p in scenario_paths()}
    for orphan in sorted(EXPECTED.glob("*.summary.json")):
        if orphan.name.removesuffix(".summary.json") not in stems:
            print(f"orphan    {orphan.relative_to(ROOT)} (no scenario; delete it if intended)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
