"""What each raw file is, who published it, its vintage and licence: read by the manifest and /about."""

from __future__ import annotations

from dataclasses import dataclass

OGL = "Open Government Licence v3.0"
OS_OGL = "OS OpenData (Open Government Licence v3.0)"


@dataclass(frozen=True)
class Source:
    pattern: str  # path (or glob) relative to the raw folder
    title: str
    publisher: str
    vintage: str
    licence: str
    caveat: str = ""


SOURCES: list[Source] = [
    Source("nhs_payments/nhs-payments-gp-*.csv", "NHS Payments to General Practice, England",
           "NHS England (formerly NHS Digital)", "one file per financial year, 2014-15 onwards", OGL,
           "Columns change between years; COVID and PCN totals exist from 2020-21. Practices that closed "
           "during the year are listed with their payments and may show no patients."),
    Source("practice_deprivation/practice-imd-fingertips-93553.csv",
           "Deprivation score (IMD) of GP practice populations, indicator 93553",
           "OHID Fingertips", "IMD 2010, 2015 and 2019 editions", OGL,
           "Population-weighted IMD score of each practice's registered patients; editions are not comparable."),
    Source("practice_life_expectancy/practice-life-expectancy.csv",
           "Life expectancy at birth of practice populations", "Health Equity Evidence Centre (from OHID MSOA data)",
           "2010-2020", OGL, "A derived estimate from where patients live, not a measured practice statistic."),
    Source("practice_locations/codepoint-open-2014-england.csv.gz", "Code-Point Open", "Ordnance Survey",
           "August 2014", OS_OGL, "Postcodes created after 2014 are placed at their sector or district centroid."),
    Source("boundaries/boundaries_ltla24.geojson", "Local authority districts (ultra generalised)",
           "ONS Open Geography Portal", "2024", OGL),
    Source("boundaries/boundaries_icb22.geojson", "Integrated Care Boards (generalised)",
           "ONS Open Geography Portal", "2022", OGL),
    Source("lookups/lookup_ltla24_region24.csv", "Local authority to region lookup", "ONS", "2024", OGL),
    Source("lookups/lookup_ltla23_utla23.csv", "Lower to upper tier local authority lookup", "ONS", "2023", OGL),
    Source("lookups/lookup_ltla22_ltla23.csv", "Local authority changes 2022 to 2023", "ONS", "2023", OGL),
    Source("lookups/lookup_msoa11_ltla21.csv", "MSOA 2011 to local authority lookup", "ONS", "2021", OGL),
    Source("lookups/lookup_lsoa11_msoa11.csv", "LSOA 2011 to MSOA 2011 lookup", "ONS", "2011", OGL),
    Source("lookups/ruc21_ltla24.csv", "Rural-urban classification of local authorities", "ONS", "2021", OGL),
    Source("area_deprivation/imd2019-lad19-summary.csv", "English Indices of Deprivation 2019, local authority summary",
           "MHCLG (aggregated by M. Thomas)", "IMD 2019", OGL,
           "Recomputed population-weighted averages; authorities created after 2019 recomputed from MSOAs."),
    Source("area_deprivation/imd2019-msoa11-summary.csv", "English Indices of Deprivation 2019, MSOA summary",
           "MHCLG (aggregated by M. Thomas)", "IMD 2019", OGL),
    Source("area_life_expectancy/life_expectancy-fingertips-ltla.csv", "Life expectancy at birth, indicator 90366",
           "OHID Fingertips", "3-year periods 2015-17 to 2023-25", OGL),
    Source("area_life_expectancy/healthy_life_expectancy-fingertips-ltla.csv",
           "Healthy life expectancy at birth, indicator 90362", "OHID Fingertips", "2015-17 to 2022-24", OGL),
    Source("area_life_expectancy/inequality_life_expectancy-fingertips-ltla.csv",
           "Inequality in life expectancy at birth (slope index)", "OHID Fingertips", "2015-17 to 2022-24", OGL),
]
