"""Regenerate docs/report-example.html: small-fleet's run and its comparison, reported.

Run after an intended change to the report or to what it shows, and review the diff:
    python scripts/example_report.py
The README's picture of it (docs/images/report.png) is a headless Chromium screenshot:
    chromium --headless --no-sandbox --hide-scrollbars --window-size=1100,1300 \
        --screenshot=docs/images/report.png docs/report-example.html
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim import compare, load_scenario, simulate  # noqa: E402
from sim.report import write_report  # noqa: E402


def main() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "small-fleet.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        folder = simulate(scenario).write(Path(tmp) / scenario.name)
        compare(scenario).write(folder)
        out = write_report(folder, ROOT / "docs" / "report-example.html")
    print(f"{out.relative_to(ROOT)}: {out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
