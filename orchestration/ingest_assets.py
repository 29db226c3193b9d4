"""One Dagster asset per landing-contract entity: landing files -> raw_<source>.<entity>.

Each asset carries a blocking check that rows in = rows loaded + rows quarantined for every file, counted
from what is really in the raw table and the quarantine, not from what the loader says it did.
"""


from pathlib import Path

import dagster as dg

from ingest.contract import Contract, default_contracts
from ingest.landing import read_manifest
from ingest.loader import load_entity, reconcile_entity
from ingest.readers import UnreadableFile
from orchestration.warehouse import WarehouseResource

_DAGSTER_TYPES = {"string": "string", "integer": "int", "decimal": "decimal", "date": "date",
                  "timestamp": "timestamp", "boolean": "bool"}


class LandingResource(dg.ConfigurableResource):
    path: str


def raw_asset_key(contract: Contract) -> dg.AssetKey:
    return dg.AssetKey(["raw", contract.source, contract.entity])


def _column_schema(contract: Contract) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                c.name,
                _DAGSTER_TYPES[c.type],
                description=c.description + (" [PII]" if c.pii else ""),
                constraints=dg.TableColumnConstraints(nullable=not c.required, unique=c.name in contract.keys
                                                      and len(contract.keys) == 1),
            )
            for c in contract.columns
        ]
    )


def build_ingest_asset(contract: Contract) -> dg.AssetsDefinition:
    key = raw_asset_key(contract)

    @dg.asset(
        key=key,
        group_name=contract.source,
        kinds={"duckdb", "file"},
        description=f"{contract.description}\n\nLanding contract: ingest/contracts/{contract.source}/"
        f"{contract.entity}.yml. Loaded into {contract.raw_table}.",
        metadata={"dagster/column_schema": _column_schema(contract), "dagster/table_name": contract.raw_table},
        tags={"scorelink/writes": "warehouse"},
    )
    def _ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing: LandingResource):
        landing_dir = Path(landing.path)
        manifest = read_manifest(landing_dir)
        with warehouse.connect() as con:
            try:
                result = load_entity(con, contract, landing_dir, manifest.timezone)
            except UnreadableFile as exc:
                raise dg.Failure(
                    description=f"{contract.name}: cannot read landing file {exc.path}: {exc.problem}",
                    metadata={"file": str(exc.path), "problem": exc.problem},
                ) from exc
            quarantined = con.execute(
                "select source_file, row_number, column_name, reason from ingest.quarantine "
                "where source = ? and entity = ? order by source_file, row_number limit 20",
                [contract.source, contract.entity],
            ).fetchall()
            total_rows = con.execute(f"select count(*) from {contract.raw_table}").fetchone()[0]
        if not result.files:
            context.log.warning(f"{contract.name}: no landing files in {landing_dir / contract.source / contract.entity}")
        for f in result.files:
            if f.rows_quarantined and not f.skipped:
                context.log.warning(f"{f.source_file}: {f.rows_quarantined} of {f.rows_read} rows quarantined")
        return dg.MaterializeResult(
            metadata={
                "files_loaded": len(result.files) - result.files_skipped,
                "files_skipped_already_loaded": result.files_skipped,
                "rows_read": result.rows_read,
                "rows_loaded": result.rows_loaded,
                "rows_quarantined": result.rows_quarantined,
                "dagster/row_count": total_rows,
                "quarantine_sample": dg.MetadataValue.md(
                    "\n".join(f"- `{f}` row {r}, column `{c}`: {why}" for f, r, c, why in quarantined) or "none"
                ),
            }
        )

    @dg.asset_check(
        asset=key,
        name="rows_in_equal_loaded_plus_quarantined",
        blocking=True,
        description="For every landing file: rows read = rows in the raw table + rows in quarantine.",
    )
    def _reconcile(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect() as con:
            mismatches = reconcile_entity(con, contract)
        return dg.AssetCheckResult(
            passed=not mismatches,
            metadata={"mismatching_files": len(mismatches),
                      "examples": dg.MetadataValue.json(mismatches[:10])},
        )

    return _ingest, _reconcile


def build_all_ingest() -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    assets, checks = [], []
    for contract in default_contracts().values():
        a, c = build_ingest_asset(contract)
        assets.append(a)
        checks.append(c)
    return assets, checks
