"""ScoreLink's Dagster code location, its CLI and the steps that orchestrate ingest, dbt and publishing."""
