"""Every number the synthetic municipality is built from, in one place, with its source.

Why a module of constants: the generator must be calibrated to public figures and show it
(`egenkontroll generate --describe`). Keeping the targets and the behavioural parameters side by
side makes it possible to read, for each figure, where it comes from and what produces it.
Sources: Socialstyrelsen's statistics on reports (orosanmälningar 2018, 2021) and on children
placed outside the home (2021); the users' seed documents in /work/shared/seeds/ (003: the
organisation of a district, caseloads, handling times; 000–002: the 2015 influx). Figures marked
"antagande" are assumptions of the right order of magnitude, not published figures.
"""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------- scales


@dataclass(frozen=True)
class Scale:
    """One named size of synthetic data set."""

    name: str
    districts: int
    reports_per_year: int  # over all districts
    root_name: str
    district_label: str  # how a district (level `forvaltning`) is named


SCALES = {
    "small": Scale("small", 1, 1_500, "Ekeby kommun", "Socialförvaltningen"),
    # The demo: a town with three stadsdelsförvaltningar, so the city, the förvaltningar and the
    # masking between them (the nämnd) show at first sight, still generated in seconds.
    "demo": Scale("demo", 3, 3_600, "Ekstad", "stadsdelsförvaltning"),
    "city": Scale("city", 13, 40_000, "Storvik stad", "stadsdelsförvaltning"),
    "national": Scale("national", 290, 420_000, "Riket (syntetiskt)", "Socialförvaltningen"),
}

# Relative sizes of the demo's three districts.
DEMO_WEIGHTS = (1.25, 1.0, 0.75)
# Relative sizes of the 13 city districts (like Stockholm's: the largest about twice the smallest).
CITY_WEIGHTS = (1.45, 1.30, 1.20, 1.10, 1.05, 1.00, 1.00, 0.95, 0.90, 0.85, 0.80, 0.75, 0.65)
# National: municipality i (0-based, by size) gets a share proportional to 1 / (i + 3): the largest
# about 7 % of all reports, the median about 0.15 % (≈ 600 a year) — close to the population spread.
NATIONAL_RANK_OFFSET = 3.0

WARMUP_DAYS = 2190  # history generated before the period so that caseloads and placements are in flow
DEFAULT_YEARS = 3

# ---------------------------------------------------------------- organisation (seed 003)

# Group kinds. Seed 003: mottagning; utredning barn; utredning ungdom; familjevård; ensamkommande.
MOT, UB, UU, FV, EKB = range(5)
KINDS = ("MOT", "UB", "UU", "FV", "EKB")
KIND_NAMES = ("Mottagning", "Utredning barn", "Utredning ungdom", "Familjevård", "Ensamkommande barn")
KIND_UNIT = ("BU", "BU", "BU", "FV", "BU")  # enhet: Barn och ungdom, or Familjevård
GROUP_MAX = 8  # "I varje handläggargrupp finns ca 6 – 8 handläggare" (seed 003)
# Open items per caseworker at which a group is at capacity. Investigating and follow-up groups:
# "riktmärket ca 20 ärenden per socialsekreterare" (seed 003). Mottagning: undecided reports.
NORM = (8.0, 20.0, 20.0, 20.0, 20.0)
STAFFING_UTILISATION = 0.85  # planned caseload is 85 % of the norm: room for vacancies and summers (antagande)
UB_MAX_AGE = 12  # children up to 12 are investigated by utredning barn, 13+ by utredning ungdom
# Delay multiplier for overload x = caseload / capacity − 1 (when positive): 1 + ALPHA·x + BETA·x².
# Chosen so that a caseload of 40 instead of 20 (seed 003, the crisis of 2013–2014) gives about
# 41 % of investigations over four months. Groups that take in reports (mottagning, ensamkommande)
# work off a queue, whose waiting time grows faster than linearly with overload.
ALPHA = (0.8, 0.35, 0.35, 0.5, 0.8)
BETA = (0.8, 0.0, 0.0, 0.0, 0.8)
MAX_LOAD_RATIO = 3.0
# Staff present in the summer (vacations): fraction of capacity by month (antagande).
SUMMER_CAPACITY = {6: 0.9, 7: 0.65, 8: 0.85}

# Turnover: mean tenure in a post and mean vacancy before it is filled, drawn per district.
TENURE_YEARS = (1.5, 4.0)
VACANCY_DAYS = (20.0, 100.0)
COVER = 0.5  # share of a group's planned capacity that others keep up when its posts are empty
RECRUIT_LAG_DAYS = 75  # from need to start for added staff (antagande: 2–4 months)
RECRUIT_THRESHOLD = 1.1  # staff are added when need exceeds 110 % of planned staff

# ---------------------------------------------------------------- reports (Socialstyrelsen)

REPORTS_PER_CHILD_YEAR = 422_000 / 216_000  # 2021: ~422,000 reports about ~216,000 children
SHARE_INVESTIGATED = 0.38  # 2018: ~38 % of reports led to an investigation
SHARE_BOYS_REPORTS = 0.55  # 2018: 55 % of reports concerned boys
PLACED_GIRLS_2021, PLACED_BOYS_2021 = 11_500, 13_700  # children placed during 2021, ages 0–20
SHARE_PLACEMENTS_SOL = 0.70  # ~70 % of placements under SoL (2021)
REPORTS_2021 = 422_000

# Month factors for reports, January..December: fewer in July (school holidays; antagande on size).
MONTH_FACTORS = (1.00, 1.06, 1.10, 1.02, 1.10, 1.00, 0.62, 0.88, 1.12, 1.10, 1.08, 0.92)
WEEKDAY_FACTORS = (1.20, 1.15, 1.15, 1.10, 1.05, 0.50, 0.45)  # Monday..Sunday (antagande)
HOLIDAY_FACTOR = 0.5

# Age (0..20) of a child at its first report: weights (antagande: teenagers most often reported).
AGE_WEIGHTS = (6.0, 4.5, 4.5, 4.5, 4.5, 4.5, 4.8, 4.8, 4.8, 5.0, 5.0, 5.3, 5.8, 6.8, 7.5, 8.0, 8.0,
               7.2, 1.2, 0.9, 0.6)
BOYS_SHARE_NOT_UNACCOMPANIED = 0.545  # gives 55 % of all reports with unaccompanied children added

SOURCES = ("polis", "skola", "forskola", "halso_sjukvard", "socialtjanst", "anhorig", "enskild", "annan")
SOURCE_WEIGHTS = (0.30, 0.17, 0.03, 0.10, 0.12, 0.10, 0.08, 0.10)  # antagande: police most often
# Repeat reports: after a report, more follow (geometric count); the gap is short or long.
# Calibrated so that a calendar year holds ~1.95 reports per reported child.
REPEAT_MEAN = 2.3
REPEAT_SHORT_SHARE, REPEAT_SHORT_DAYS, REPEAT_LONG_DAYS = 0.75, 20.0, 200.0

# ---------------------------------------------------------------- unaccompanied children

# "Planned" arrivals as a share of reports (antagande: between 2014, ~7,000 unaccompanied children
# a year, and 2021, a few hundred).
UNACCOMPANIED_SHARE = 0.01
SURGE_FACTOR = 6.0  # 2015: Stockholm county planned for 888, was assigned 5,519 (seed 002)
SURGE_MONTHS = 4  # September to December
# Spill-over: above this caseload ratio in ensamkommande groups, a growing share (half the excess,
# at most SPILL_MAX) of newly arrived children is taken by mottagning and utredning ungdom (seed 001).
SPILL_FROM, SPILL_MAX = 1.5, 0.3
BOYS_SHARE_UNACCOMPANIED = 0.88
ID_TYPE_UNACCOMPANIED = (0.5, 0.3, 0.2)  # personnummer, samordningsnummer, reserve number

# ---------------------------------------------------------------- case handling

SKYDD_SHARE = 0.85  # reports that get a documented skyddsbedömning
SKYDD_AKUT = 0.1
FHB_MEDIAN_DAYS, FHB_SIGMA = 5.5, 0.55  # report → preliminary assessment, before workload
FHB_MEDIAN_UNACCOMPANIED = 4.0
P_INLEDA_FIRST = 0.31  # first report of a case: open an investigation
P_INLEDA_UNACCOMPANIED = 0.96
P_TILLFORS = 0.85  # a report during an investigation is joined to it
INV_MEDIAN_DAYS, INV_SIGMA = 92.0, 0.38  # investigation length before workload (20 % > 4 months)
INV_MEDIAN_UNACCOMPANIED = 60.0
P_EXTENSION = 0.75  # investigations running past 4 months with a timely extension decision
P_INSATS = 0.55
P_INSATS_UNACCOMPANIED = 0.95
P_PLACEMENT = 0.17  # of interventions after an investigation

NON_PLACEMENTS = ("oppenvard_intern", "oppenvard_extern", "kontaktperson", "kontaktfamilj")
NON_PLACEMENT_WEIGHTS = (0.40, 0.20, 0.25, 0.15)
NON_PLACEMENT_MEDIAN_DAYS = 240.0
PLACEMENTS = ("familjehem", "natverkshem", "jourhem", "hvb", "stodboende", "sis")
PLACEMENT_WEIGHTS_CHILD = (0.50, 0.15, 0.20, 0.15, 0.0, 0.0)  # ages 0–12
PLACEMENT_WEIGHTS_YOUTH = (0.25, 0.08, 0.10, 0.35, 0.10, 0.12)  # ages 13–20
PLACEMENT_WEIGHTS_UNACCOMPANIED = (0.20, 0.15, 0.0, 0.45, 0.20, 0.0)
PLACEMENT_MEDIAN_DAYS = (800.0, 900.0, 100.0, 220.0, 320.0, 160.0)
PLACEMENT_SIGMA = (0.9, 0.9, 0.6, 0.7, 0.6, 0.5)
FOLLOWED_BY_FAMILJEHEM = 0.6  # jourhem placements followed by a familjehem placement
LVU6_SHARE = 0.05  # placements starting with an immediate custody decision (LVU 6 §)
LVU_SHARE = 0.20  # of the rest: LVU 2 § or 3 § (so that ~70 % of all are SoL)
LVU3_SHARE_YOUTH = 0.55  # of LVU placements of 13+: own behaviour (3 §)
# Jourhem placed during the investigation and still there when it concludes (antagande); how
# long after the conclusion they move on: median 40 days, about one in six after two months
# (the limit of SoL 6 kap. 6 §).
JOURHEM_DURING_INVESTIGATION = 0.5
JOURHEM_AFTER_MEDIAN_DAYS, JOURHEM_AFTER_SIGMA = 40.0, 0.45

# ---------------------------------------------------------------- how a case becomes known (issue 11)
# Of all aktualiseringar: ansökningar by the guardian or the young person and other information
# (antagande, in line with national follow-up where ansökningar are roughly a tenth or more of
# the inflow and "övrigt" a few per cent).
P_ANSOKAN = 0.12
P_INFORMATION = 0.03

# ---------------------------------------------------------------- LVU (1990:52) events (issue 11)
P_LVU6_DECIDED_DAY_BEFORE = 0.2  # the decision the day before it is carried out (else the same day)
UNDERSTALLNING_DAYS = (1, 2, 3, 4, 5, 6, 7)  # days from decision to underställning (7 § limit: 7)
UNDERSTALLNING_WEIGHTS = (0.35, 0.25, 0.15, 0.1, 0.06, 0.04, 0.05)
P_UNDERSTALLNING_LATE = 0.03  # 8–12 days: late
P_UNDERSTALLNING_REF = 0.7  # the underställning names its decision in `ref`
P_LVU_ANSOKAN_LATE = 0.06  # ansökan 29–35 days after the omhändertagande (8 § limit: four weeks)
P_ANSOKAN_WHEN_ENDED = 0.5  # omhändertaganden that end without care: an ansökan was still made
P_UMGANGESBEGRANSNING = 0.15  # LVU placements with a 14 § decision on contact or secrecy
P_UMGANGE_LIFTED = 0.4  # of those, lifted before the placement ends
UMGANGE_GAP_DAYS, UMGANGE_GAP_SD = 82.0, 8.0  # considered again every ~3 months (14 § third paragraph)

# ---------------------------------------------------------------- own vs bought placements (issue 16)
# Share of placements bought from another provider (köpt), per type in core.schema.PLACEMENTS
# order: familjehem (konsulentstödda), nätverkshem, jourhem, HVB, stödboende, SiS (the state's
# homes: always bought). Antaganden in the order of magnitude of Kolada's split of placement
# costs into egen regi and köpt, not measured values. A few exports leave the column empty.
P_KOPT = (0.35, 0.05, 0.4, 0.85, 0.6, 1.0)
P_REGI_UNSAID = 0.05

VISIT_GAP_DAYS, VISIT_GAP_SD = 80.0, 10.0  # besök every ~3 months (local guideline)
REVIEW_GAP_DAYS, REVIEW_GAP_SD = 165.0, 14.0  # övervägande/omprövning every ~6 months
CUSTODY_FIRST_YEARS = 2  # vårdnadsöverflyttning considered after 2 years, then yearly
GP_MEDIAN_DAYS = 16.0  # genomförandeplan after the start (limit one month)
P_GENOMFORANDEPLAN = 0.93
P_VARDPLAN_BEFORE = 0.85  # planned placements: care plan on or before the start


def scale(name: str) -> Scale:
    """The named scale, with a clear error for an unknown name."""
    if name not in SCALES:
        raise ValueError(f"okänd skala {name!r}; välj en av {', '.join(SCALES)}")
    return SCALES[name]
