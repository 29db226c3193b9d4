"""Scorecards as configuration: YAML files HR edits (config/scorecards/), validated, written to the warehouse.

load_scorecard(path)          -> Scorecard (validated, versions resolved) or ScorecardError
write_scorecards(con, path)   -> writes the resolved scorecard into schema `config` (dbt source `config`)
"""

from orchestration.scorecards.loader import (
    DEFAULT_SCORECARD,
    SCORECARD_DIR,
    Scorecard,
    ScorecardError,
    active_scorecard_path,
    load_scorecard,
    write_scorecards,
)

__all__ = [
    "DEFAULT_SCORECARD",
    "SCORECARD_DIR",
    "Scorecard",
    "ScorecardError",
    "active_scorecard_path",
    "load_scorecard",
    "write_scorecards",
]
