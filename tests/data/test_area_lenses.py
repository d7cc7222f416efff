"""Area lenses: published IMD 2025/2019 and Census 2021 figures arrive unchanged in the processed tables, the
registry (dashboard/area_metrics.py) and the table agree, editions are never ranked together, and the area
page and compare say what the tables hold."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import require_real_data

from dashboard import area_metrics
from dashboard.data import area_lenses, profiles, sources
from dashboard.data.query import load_atlas

# Published in IoD2025 File 10 (v2): average score and rank of average score, of 296 authorities.
FILE_10_2025 = {"E09000028": ("Southwark", 23.328, 102), "E09000022": ("Lambeth", 23.041, 104),
                "E08000026": ("Coventry", 27.528, 57)}


@pytest.fixture(scope="module")
def atlas(processed_dir):
    return load_atlas(str(processed_dir))


def text_of(component) -> str:
    """Every string inside a Dash component tree, joined."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(text_of(c) for c in component)
    return text_of(getattr(component, "children", None))


def stat(atlas, code: str, measure: str, edition: str) -> pd.Series:
    rows = atlas.area_stats[(atlas.area_stats["area_code"] == code) & (atlas.area_stats["measure"] == measure)
                            & (atlas.area_stats["edition"] == edition)]
    assert len(rows) == 1, (code, measure, edition)
    return rows.iloc[0]


def test_file_10_figures_reach_the_tables_and_the_profile(atlas):
    raw = require_real_data()
    published = pd.read_csv(raw / sources.source("imd2025_la").path).set_index("ltla24_code")
    from dashboard.pages.area import deprivation_section

    for code, (name, score, rank) in FILE_10_2025.items():
        assert published.at[code, "ltla24_name"] == name
        assert published.at[code, "imd_average_score"] == score  # the file is the edition we pinned
        assert published.at[code, "imd_rank_of_average_score"] == rank
        row = stat(atlas, code, "imd_score", "2025")
        assert (row["value"], row["rank"], row["rank_of"]) == (score, rank, 296)
        assert row["method"] == area_lenses.PUBLISHED
        assert atlas.area_measure("imd_score", "la", "2025")[code] == score
        page = text_of(deprivation_section(atlas, code, name))
        assert f"{score:.1f}; rank {rank} of 296" in page
        assert "IMD 2025" in page and "IMD 2019" in page


def test_imd_2019_on_current_authorities_matches_the_official_file_10(atlas):
    """Where an authority is unchanged since 2019, the re-aggregated score is MHCLG's published one."""
    raw = require_real_data()
    official = pd.read_csv(raw / "area_deprivation" / "iod2019-lad19-file10-domains.csv")
    official = official[official["index_domain"] == "Index of Multiple Deprivation"].set_index("lad19cd")
    ours = atlas.area_measure("imd_score", "la", "2019")
    same = ours.index.intersection(official.index)
    assert len(same) == 289
    assert (ours[same] - official.loc[same, "average_score"]).abs().max() < 0.001
    assert round(ours["E08000026"], 3) == 25.613  # Coventry, File 10 2019


def test_lsoa_weighting_reproduces_file_10(atlas):
    """The method used where MHCLG publishes no summary, applied where it does, gives its figures back."""
    raw = require_real_data()
    lsoas = area_lenses.read_lsoas(raw)
    scores = pd.read_csv(raw / sources.source("imd2025_lsoa").path)[["lsoa21_code", "IMD_score"]]
    values = scores.merge(lsoas[["lsoa21_code", "residents"]], on="lsoa21_code")
    membership = area_lenses.lsoa_membership(lsoas, {}, pd.DataFrame(columns=["la_code", "slug"]), ("la",))
    ours = area_lenses.weighted_means(values, membership, "lsoa21_code", "residents", ["IMD_score"])
    published = atlas.area_measure("imd_score", "la", "2025")
    gap = (ours.set_index("area_code")["IMD_score"] - published).abs()
    assert len(gap.dropna()) == 296 and gap.max() < 0.35 and gap.median() < 0.05


def test_registry_and_table_agree_at_every_declared_level(atlas):
    stats = atlas.area_stats
    built = {(m, e, lv) for m, e, lv in stats[["measure", "edition", "level"]].drop_duplicates().itertuples(index=False)}
    declared = {(m.id, m.edition, lv) for m in area_metrics.AREA_MEASURES for lv in m.levels}
    assert built == declared
    counts = atlas.areas.groupby("level").size()
    per_key = stats.groupby(["measure", "edition", "level"]).size()
    for (measure, edition, level), n in per_key.items():
        if (measure, edition) == ("imd_rank", area_metrics.CHANGE):
            continue
        assert n == counts[level], (measure, edition, level)  # every area of the level has it


def test_editions_are_ranked_apart(atlas):
    ranked = atlas.area_stats.dropna(subset=["rank"])
    for (measure, edition, level), rows in ranked.groupby(["measure", "edition", "level"]):
        assert edition in area_metrics.IMD_EDITIONS, (measure, edition)
        assert rows["rank_of"].nunique() == 1 and rows["rank_of"].iloc[0] == len(rows), (measure, edition, level)
        assert rows["rank"].min() == 1 and rows["rank"].max() <= len(rows)
    coventry = atlas.area_measure_ranks("imd_score", "la", "2019").loc["E08000026"]
    assert (coventry["rank"], coventry["rank_of"]) == (75, 296)  # ranked among the 296 current authorities
    change = stat(atlas, "E08000026", "imd_rank", area_metrics.CHANGE)
    assert change["value"] == 75 - 57
    with pytest.raises(KeyError):
        atlas.area_measure("imd_score", "la", "2019-and-2025")


def test_ethnicity_shares_are_the_published_counts(atlas):
    raw = require_real_data()
    counts = pd.read_csv(raw / sources.source("ethnicity_la").path).set_index("ltla24_code")
    for code in ("E09000028", "E09000022"):
        total = counts.at[code, "total_usual_residents"]
        for measure, column in (("eth_black", "black"), ("eth_black_african", "black_african"),
                                ("eth_black_caribbean", "black_caribbean"), ("eth_white", "white")):
            assert stat(atlas, code, measure, "2021")["value"] == pytest.approx(100 * counts.at[code, column] / total)
        minority = 100 * (total - counts.at[code, "white"]) / total
        assert stat(atlas, code, "eth_minority", "2021")["value"] == pytest.approx(minority)
    lsoas = pd.read_csv(raw / sources.source("ethnicity_lsoa").path)
    sicbl = atlas.areas_at("sicbl")["code"].iloc[0]
    lookup = pd.read_csv(raw / sources.source("lsoa_sicbl_lookup").path)
    inside = lsoas[lsoas["lsoa21_code"].isin(lookup.loc[lookup["sicbl24_code"] == sicbl, "lsoa21_code"])]
    assert stat(atlas, sicbl, "residents", "2021")["value"] == inside["total_usual_residents"].sum()
    assert stat(atlas, sicbl, "eth_asian", "2021")["value"] == pytest.approx(
        100 * inside["asian"].sum() / inside["total_usual_residents"].sum())


def test_southwark_and_lambeth_pages_show_ethnicity_beside_deprivation_and_funding(atlas):
    from dashboard.pages.area import cached_body

    for code in ("E09000028", "E09000022"):
        text = text_of(cached_body.__wrapped__(atlas, code, atlas.latest_year))
        headings = ["Headline figures", "Deprivation of the area", "Who lives here: ethnic group (Census 2021)"]
        assert all(h in text for h in headings)
        black = stat(atlas, code, "eth_black", "2021")["value"]
        assert f"{black:.1f}%" in text and "Black African" in text
        assert "not the patients on its practices' lists" in text and "disclosure-control noise" in text
        assert "Census 2021, table TS021" in text and "English Indices of Deprivation" in text
        # deprivation of the place is shown once, by edition, not again in the published-statistics table
        assert "average score (higher = more deprived)" not in text


def test_compare_shows_one_edition_chosen_by_the_imd_key(atlas):
    from dashboard.pages import compare

    assert compare.parse_edition("?areas=E09000028&imd=2019") == ("2019", [])
    assert compare.parse_edition("")[0] == "2025"
    assert compare.parse_edition("?imd=2031")[1]  # an unknown edition is said, not silently used
    codes = ["E09000028", "E09000022"]
    newer = text_of(compare.compare_body(atlas, codes, "2025"))
    older = text_of(compare.compare_body(atlas, codes, "2019"))
    # Southwark: IMD 2025 23.3, rank 102; IMD 2019 25.8, rank 70 (both of the 296 current authorities)
    assert "IMD average score 23.3; rank 102 of 296" in newer and "25.8; rank 70 of 296" not in newer
    assert "IMD average score 25.8; rank 70 of 296" in older and "23.3; rank 102 of 296" not in older
    assert "Who lives there" in newer and "not the patients" in newer
    assert compare.compare_query(codes, "2019") == "?areas=E09000028,E09000022&imd=2019"


def test_area_download_carries_the_area_statistics(atlas):
    table = profiles.lens_download(atlas, "E09000028")
    row = table[(table["Measure"] == "IMD average score") & (table["Edition"] == "IMD 2025")].iloc[0]
    assert (row["Value"], row["Rank (1 = most deprived)"], row["Of areas"]) == (23.328, 102, 296)
    assert "Census 2021" in set(table["Edition"]) and "IMD 2019 to IMD 2025" in set(table["Edition"])
