"""The seeded demo-company simulator: a Chinese trading company's HR, CRM, ERP and attendance exports.

    from ingest.simulator import simulate
    result = simulate(Path("output"), employees=300, months=24, seed=7, start_month="2024-01")

writes output/landing/<source>/<entity>/<files> for every landing contract, output/landing/landing.yml,
and output/ground_truth.json (the planted causes and data-quality mess; the pipeline never reads it).
"""

from ingest.simulator.runner import SimulationResult, simulate

__all__ = ["SimulationResult", "simulate"]
