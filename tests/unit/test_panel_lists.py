"""The explorer's filter panel: its dropdowns come with only their chosen options, and get their whole lists
once the map is drawn (indexing 1,326 PCNs for search cost the first map about 150 ms)."""

from __future__ import annotations

import pytest
from dash.exceptions import PreventUpdate

from dashboard.components.controls import panel_lists
from dashboard.data.query import load_atlas
from dashboard.dimensions import FILTERS
from dashboard.pages.explorer import ids
from dashboard.pages.explorer.layout import fill_panel_lists, layout


@pytest.fixture(scope="module")
def atlas(processed_dir):
    return load_atlas(str(processed_dir))


def find(node, wanted_id):
    if getattr(node, "id", None) == wanted_id:
        return node
    children = getattr(node, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str) and (hit := find(child, wanted_id)) is not None:
            return hit
    return None


def lazy_part_around(node, wanted_id, nearest=None):
    """The data-lazy-store attributes of the nearest element around `wanted_id` that has them."""
    props = node.to_plotly_json()["props"]
    if "data-lazy-store" in props:
        nearest = {k: v for k, v in props.items() if k.startswith("data-lazy")}
    if props.get("id") == wanted_id:
        return nearest
    children = props.get("children")
    for child in children if isinstance(children, list) else [children]:
        if hasattr(child, "to_plotly_json") and (hit := lazy_part_around(child, wanted_id, nearest)):
            return hit
    return None


def test_every_panel_dropdown_is_listed_and_the_page_holds_only_the_chosen_options(atlas):
    dropdowns = {f"f-{flt.key}" for flt in FILTERS if flt.kind != "choice"} | {"f-year", "f-metric"}
    assert set(ids.PANEL_LISTS) == dropdowns
    page = layout(search="?pcn=U60094&la=E09000028&year=2019-20")
    lists = panel_lists(atlas)
    assert [o["value"] for o in find(page, "f-pcn").options] == ["U60094"]
    assert find(page, "f-pcn").options == [o for o in lists["f-pcn"] if o["value"] == "U60094"]
    assert [o["label"] for o in find(page, "f-la").options] == ["Southwark"]
    assert [o["value"] for o in find(page, "f-year").options] == ["2019-20"]
    assert [o["value"] for o in find(page, "f-metric").options] == ["payments_per_weighted_patient"]
    assert find(page, "f-icb").options == [] and find(page, "f-icb").placeholder == "All Integrated Care Boards"
    assert find(page, "f-pcn").placeholder == f"All ({len(lists['f-pcn']):,} listed)"
    assert lazy_part_around(page, "f-pcn") == {"data-lazy-store": ids.LISTS_SEEN, "data-lazy-after": f"#{ids.MAP}"}


def test_the_lists_arrive_whole_once_the_map_is_drawn(atlas):
    lists = panel_lists(atlas)
    filled = dict(zip(ids.PANEL_LISTS, fill_panel_lists(True), strict=True))
    assert filled == {control_id: lists[control_id] for control_id in ids.PANEL_LISTS}
    assert {"label": "SOUTH SOUTHWARK PCN (U60094)", "value": "U60094"} in filled["f-pcn"]
    assert len(filled["f-la"]) == 296 and filled["f-year"][0]["value"] == atlas.latest_year
    with pytest.raises(PreventUpdate):
        fill_panel_lists(False)
