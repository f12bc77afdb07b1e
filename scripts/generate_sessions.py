"""Write the sample session log `scenarios/farm-sessions.csv` (seeded: the same file every time).

A phone farm of 12 phones over the first quarter of 2025: 4 busy phones in use most of
every day (farm shifts), 4 office-hours phones (weekdays 09:00-18:00) and 4 phones used in
short random bursts. `scenarios/farm-usage-replay.yaml` replays it.

    python scripts/generate_sessions.py
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent.parent / "scenarios" / "farm-sessions.csv"
START, DAYS = dt.datetime(2025, 1, 1), 90


def sessions(seed: int = 2025) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for n in range(1, 13):
        kind = ("busy", "office", "burst")[(n - 1) // 4]
        phone, spec = f"{kind}-{(n - 1) % 4 + 1}", ("pro-2c4g" if n % 2 else "basic-2c4g")
        for day in range(DAYS):
            date = START + dt.timedelta(days=day)
            if kind == "busy":  # two shifts a day, a few minutes' gap between them
                begin = date + dt.timedelta(hours=6, minutes=int(rng.integers(0, 30)))
                spans = [(begin, begin + dt.timedelta(hours=8)),
                         (begin + dt.timedelta(hours=8, minutes=10),
                          begin + dt.timedelta(hours=16, minutes=int(rng.integers(0, 60))))]
            elif kind == "office":
                if date.weekday() >= 5:
                    continue
                begin = date + dt.timedelta(hours=9, seconds=int(rng.integers(0, 900)))
                spans = [(begin, date + dt.timedelta(hours=18, seconds=int(rng.integers(0, 900))))]
            else:
                if rng.random() > 0.15:
                    continue
                begin = date + dt.timedelta(seconds=int(rng.integers(0, 20 * 3600)))
                spans = [(begin, begin + dt.timedelta(seconds=int(rng.integers(600, 4 * 3600))))]
            rows += [{"phone": phone, "start": a, "end": b, "spec": spec} for a, b in spans]
    frame = pd.DataFrame(rows).sort_values(["start", "phone"], kind="stable")
    for column in ("start", "end"):
        frame[column] = frame[column].dt.strftime("%Y-%m-%d %H:%M:%S")
    return frame


if __name__ == "__main__":
    sessions().to_csv(OUT, index=False)
    print(f"wrote {OUT}")
