"""ScoreLink ingest: landing contracts, file readers, row checks, the loader and the demo simulator."""
