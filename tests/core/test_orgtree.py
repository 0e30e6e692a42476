"""The flattened organisation tree: ancestors by depth and by level name, skipped levels, bad trees."""

from __future__ import annotations

import polars as pl
import pytest

from egenkontroll.core import orgtree


def units(*rows: tuple) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["unit_id", "parent_id", "name", "level"], orient="row")


CITY = units(
    ("S", None, "Staden", "stad"),
    ("D1", "S", "Norrort", "forvaltning"),
    ("A1", "D1", "Avdelning barn", "avdelning"),
    ("E1", "A1", "Enhet utredning", "enhet"),
    ("G1", "E1", "Grupp 1", "grupp"),
    ("D2", "S", "Söderort", "forvaltning"),
    ("G2", "D2", "Grupp 2", "grupp"),  # avdelning and enhet skipped
)


def row(flat: pl.DataFrame, unit: str) -> dict:
    return flat.filter(pl.col("unit_id") == unit).row(0, named=True)


def test_each_unit_knows_its_ancestors_by_depth_and_by_level():
    flat = orgtree.flatten(CITY)
    assert orgtree.depth_columns(flat) == ["anc_0", "anc_1", "anc_2", "anc_3", "anc_4"]
    g1 = row(flat, "G1")
    assert g1["depth"] == 4
    assert [g1[f"anc_{k}"] for k in range(5)] == ["S", "D1", "A1", "E1", "G1"]
    assert [g1[level] for level in orgtree.LEVELS] == ["S", "D1", "A1", "E1", "G1"]
    g2 = row(flat, "G2")
    assert g2["depth"] == 2
    assert [g2[f"anc_{k}"] for k in range(5)] == ["S", "D2", "G2", None, None]
    assert [g2[level] for level in orgtree.LEVELS] == ["S", "D2", None, None, "G2"]
    assert row(flat, "S")["depth"] == 0


def test_closure_pairs_every_unit_with_itself_and_all_ancestors():
    pairs = orgtree.closure(orgtree.flatten(CITY))
    assert pairs.height == 1 + 2 + 3 + 4 + 5 + 2 + 3
    g2 = pairs.filter(pl.col("unit_id") == "G2")["ancestor_id"].sort().to_list()
    assert g2 == ["D2", "G2", "S"]


def test_subtree_and_roots():
    flat = orgtree.flatten(CITY)
    assert orgtree.roots(flat) == ["S"]
    assert sorted(orgtree.subtree(flat, "D1")["unit_id"]) == ["A1", "D1", "E1", "G1"]
    assert orgtree.subtree(flat, "G2")["unit_id"].to_list() == ["G2"]
    with pytest.raises(orgtree.OrgTreeError, match="okänd enhet: X"):
        orgtree.subtree(flat, "X")


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        (units(("S", None, "a", "stad"), ("S", None, "b", "stad")), "flera gånger: S"),
        (units(("S", None, "a", "stad"), ("G", "Q", "b", "grupp")), "okänd enhet: Q"),
        (units(("S", None, "a", "stad"), ("A", "B", "a", "grupp"), ("B", "A", "b", "grupp")), "cykel"),
    ],
)
def test_a_broken_tree_is_refused(tree, message):
    with pytest.raises(orgtree.OrgTreeError, match=message):
        orgtree.flatten(tree)
