"""The organisation tree flattened into columns, so a roll-up is a group_by, not a recursion.

Why it exists: every key figure is shown for every node of the tree, from a caseworker's group
to the whole city, and a node's figure must be exactly the sum of its children's. Walking the
tree per node would be slow and easy to get wrong; instead (the DHIS2 habit) every unit carries
the ids of all its ancestors:

- `anc_0 … anc_N`: the ancestor at each depth from the root (`anc_0` is the root, the unit
  itself sits at `anc_{depth}`). Depth, not the level name, drives roll-ups, so real trees
  that skip a level (an enhet directly under a förvaltning) need no special case.
- one column per named level (`stad`, `forvaltning`, `avdelning`, `enhet`, `grupp`): the
  ancestor (or the unit itself) at that level, empty where the tree skips it — handy for SQL
  and exports.
"""

from __future__ import annotations

import polars as pl

from egenkontroll.core.schema import LEVELS, ORG_UNITS, conform


class OrgTreeError(ValueError):
    """The organisation tree is not a tree (unknown parent, duplicate id, cycle)."""


def _parent_map(units: pl.DataFrame) -> dict[str, str | None]:
    ids = units["unit_id"]
    if ids.null_count():
        raise OrgTreeError("org_units: en enhet saknar unit_id")
    duplicated = ids.filter(ids.is_duplicated()).unique().sort().to_list()
    if duplicated:
        raise OrgTreeError(f"org_units: unit_id förekommer flera gånger: {', '.join(duplicated)}")
    known = set(ids.to_list())
    unknown = sorted({p for p in units["parent_id"].drop_nulls().to_list() if p not in known})
    if unknown:
        raise OrgTreeError(f"org_units: parent_id pekar på okänd enhet: {', '.join(unknown)}")
    return dict(zip(ids.to_list(), units["parent_id"].to_list(), strict=True))


def flatten(org_units: pl.DataFrame) -> pl.DataFrame:
    """One row per unit: unit_id, parent_id, name, level, depth, anc_0..anc_N and the level columns."""
    units = conform(org_units, ORG_UNITS)
    _parent_map(units)
    parents = units.select(pl.col("unit_id").alias("_child"), pl.col("parent_id").alias("_next"))
    # up_k = the ancestor k steps up; walk until every chain has reached a root.
    chains = units.select("unit_id", pl.col("unit_id").alias("up_0"))
    k = 0
    while chains[f"up_{k}"].null_count() < chains.height:
        if k > units.height:
            raise OrgTreeError("org_units: trädet innehåller en cykel (en enhet är sin egen förfader)")
        chains = chains.join(parents, left_on=f"up_{k}", right_on="_child", how="left").rename(
            {"_next": f"up_{k + 1}"}
        )
        k += 1
    ups = [f"up_{i}" for i in range(k)]
    path = pl.concat_list([pl.col(c) for c in reversed(ups)]).list.drop_nulls()
    flat = chains.select("unit_id", path.alias("path")).with_columns(depth=pl.col("path").list.len() - 1)
    max_depth = int(flat["depth"].max()) if flat.height else -1
    flat = flat.with_columns(
        [pl.col("path").list.get(d, null_on_oob=True).alias(f"anc_{d}") for d in range(max_depth + 1)]
    )
    levels = _level_columns(flat, units)
    return (
        units.join(flat, on="unit_id", how="left")
        .join(levels, on="unit_id", how="left")
        .drop("path")
        .sort("unit_id")
    )


def _level_columns(flat: pl.DataFrame, units: pl.DataFrame) -> pl.DataFrame:
    """For each unit, the id of its ancestor (or itself) at each named level."""
    closure = flat.select("unit_id", pl.col("path").alias("ancestor_id")).explode("ancestor_id")
    closure = closure.join(
        units.select(pl.col("unit_id").alias("ancestor_id"), pl.col("level").alias("_level")),
        on="ancestor_id",
        how="left",
    )
    return closure.group_by("unit_id").agg(
        [pl.col("ancestor_id").filter(pl.col("_level") == lvl).first().alias(lvl) for lvl in LEVELS]
    )


def depth_columns(flat: pl.DataFrame) -> list[str]:
    """The `anc_k` columns of a flattened tree, root first."""
    return sorted((c for c in flat.columns if c.startswith("anc_")), key=lambda c: int(c[4:]))


def closure(flat: pl.DataFrame) -> pl.DataFrame:
    """Every (unit_id, ancestor_id) pair, the unit itself included: joins items to all their subtrees."""
    cols = depth_columns(flat)
    return (
        flat.select("unit_id", pl.concat_list(cols).list.drop_nulls().alias("ancestor_id"))
        .explode("ancestor_id")
        .select("unit_id", "ancestor_id")
    )


def roots(flat: pl.DataFrame) -> list[str]:
    return sorted(flat.filter(pl.col("parent_id").is_null())["unit_id"].to_list())


def subtree(flat: pl.DataFrame, unit_id: str) -> pl.DataFrame:
    """The rows of `unit_id` and all units below it."""
    row = flat.filter(pl.col("unit_id") == unit_id)
    if row.is_empty():
        raise OrgTreeError(f"okänd enhet: {unit_id}")
    return flat.filter(pl.col(f"anc_{row['depth'][0]}") == unit_id)
