"""Imported regions and cities by name: Plausible's ISO 3166-2 codes and GeoNames ids become the names
native visits carry (DB-IP's English names), merge with native rows of the same place in the Stats API,
and go back out as codes and ids in the export."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import io
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from analytics import client
from analytics.imported.places import CityNames, region_name, tidy
from analytics.imported.tables import TABLES
from ingest.geo import GeoLocator, Location, default_database
from tests.conftest import make_event, seed
from tests.plausible_export import UNKNOWN_CITY, UNKNOWN_REGION, file_name, places, sample, write_export
from tests.reports_fixtures import Team, make_team

TODAY = dt.datetime.now(dt.UTC).date()
FIRST = TODAY - dt.timedelta(days=400)
LAST = FIRST + dt.timedelta(days=1)
NATIVE_DAY = LAST + dt.timedelta(days=1)  # the site's first native day: the import keeps the days before
PERIOD = {"period": "custom", "date": f"{FIRST},{NATIVE_DAY}"}
BERLIN_IP = "2.19.174.1"  # DB-IP City Lite (as shipped) places it in Berlin, Berlin


@functools.cache
def db_ip() -> GeoLocator:
    """The DB-IP database the product ships (tests otherwise locate with MaxMind's test file)."""
    return GeoLocator(default_database())


@pytest.mark.parametrize(
    ("iso", "tidied"),
    [
        ("Berlin", "Berlin"),
        ("Île-de-France", "Île-de-France"),
        ("Catalunya [Cataluña]", "Catalunya"),
        ("Wales [Cymru GB-CYM]", "Wales"),
        ("Ilocos (Region I)", "Ilocos"),
        ("Madrid, Comunidad de", "Madrid"),
        ("Navarra, Comunidad Foral de", "Navarra"),
        ("San Andrés, Providencia y Santa Catalina", "San Andrés, Providencia y Santa Catalina"),
        ("Valenciana, Comunidad", "Valenciana, Comunidad"),
        ("Guangdong Sheng", "Guangdong"),
        ("Beijing Shi", "Beijing"),
        ("Stockholms län [SE-01]", "Stockholm"),
        ("Skåne län", "Skåne"),
        ("Shizuoka", "Shizuoka"),
    ],
)
def test_tidy_writes_isos_names_as_db_ip_does(iso: str, tidied: str) -> None:
    assert tidy(iso) == tidied


def test_regions_and_cities_are_named_by_the_libraries() -> None:
    assert region_name("DE-BE") == "Berlin"
    assert region_name("FR-IDF") == "Île-de-France"
    assert region_name("DE-BY") == "Bavaria"  # pycountry's English name, not ISO's "Bayern"
    assert region_name("CN-GD") == "Guangdong"
    assert (region_name(UNKNOWN_REGION), region_name("")) == (UNKNOWN_REGION, "")
    cities = CityNames()
    assert (cities.name(2950159), cities.name(2988507), cities.name(2643743)) == ("Berlin", "Paris", "London")
    assert (cities.name(UNKNOWN_CITY), cities.name(0)) == ("", "")


@pytest.mark.parametrize(
    ("ip", "code", "geoname_id"),
    [
        (BERLIN_IP, "DE-BE", 2950159),
        ("62.210.1.1", "FR-IDF", 2988507),  # Paris
        ("81.2.69.142", "GB-ENG", 2643743),  # London
        ("8.8.8.8", "US-CA", 5375480),  # Mountain View
        ("163.172.1.1", "FR-IDF", 2988507),
    ],
)
def test_names_are_those_db_ip_gives_native_visits(ip: str, code: str, geoname_id: int) -> None:
    native = db_ip().locate(ip)
    assert Location(native.country_code, region_name(code), CityNames().name(geoname_id)) == native


def test_a_known_difference_is_isos_local_name_for_db_ips_english_one() -> None:
    """Where DB-IP has an English exonym and ISO 3166-2 (with pycountry's English) the local name,
    imported and native rows stay apart: Cologne's region and city."""
    native = db_ip().locate("80.245.145.1")
    assert (native.region, native.city) == ("North Rhine-Westphalia", "Cologne")
    assert (region_name("DE-NW"), CityNames().name(2886242)) == ("Nordrhein-Westfalen", "Köln")


@dataclasses.dataclass(frozen=True)
class Uploaded:
    team: Team
    owner: Client
    path: Path


@pytest.fixture
def uploaded(
    transactional_db: None, events_table: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Uploaded]:
    """A site with a native Berlin visit on its first native day and Plausible's export of the days
    before it, whose locations are in Berlin, Paris and a place no library knows."""
    monkeypatch.setenv("LANTERN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("REDIS_URL", raising=False)  # embedded: the job runs in a thread of this process
    for table in TABLES:
        client.command(f"TRUNCATE TABLE {table}")
    team = make_team()
    berlin = db_ip().locate(BERLIN_IP)
    assert berlin == Location("DE", "Berlin", "Berlin")  # as ingest writes it
    noon = dt.datetime.combine(NATIVE_DAY, dt.time(12), dt.UTC)
    seed([make_event(team.site.id, timestamp=noon, visitor_id=1, **dataclasses.asdict(berlin))])
    rows = {**sample(FIRST), "imported_locations": places(FIRST)}
    path = write_export(tmp_path / "export.zip", rows, FIRST, LAST)
    owner = Client()
    owner.force_login(team.owner)
    with path.open("rb") as file:
        response = owner.post("/example.com/settings/imports/", {"export": file})
    assert response.status_code == 302, response.content
    for thread in threading.enumerate():
        if thread.name == "lantern.import":
            thread.join(30)
    assert owner.get(str(response["Location"]) + "status.json").json()["status"] == "done"
    yield Uploaded(team, owner, path)
    for table in TABLES:
        client.command(f"TRUNCATE TABLE {table}")


def breakdown(owner: Client, prop: str, **params: str) -> Any:
    query = {"site_id": "example.com", **PERIOD, "property": prop, "with_imported": "true", **params}
    response = owner.get("/api/v1/stats/breakdown", query)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_imported_places_merge_with_native_rows_by_name(uploaded: Uploaded) -> None:
    owner = uploaded.owner
    assert breakdown(owner, "visit:region") == [
        {"region": "Berlin", "visitors": 6 + 1},
        {"region": "Île-de-France", "visitors": 4},
        {"region": UNKNOWN_REGION, "visitors": 2},  # a code without a name stays readable
    ]
    assert breakdown(owner, "visit:city") == [  # the unknown id has no name: no city row
        {"city": "Berlin", "visitors": 6 + 1},
        {"city": "Paris", "visitors": 4},
    ]
    berlin = breakdown(owner, "visit:city", filters="visit:region==Berlin")
    assert berlin == [{"city": "Berlin", "visitors": 7}]
    response = owner.post(
        "/api/v2/query",
        {
            "site_id": "example.com",
            "metrics": ["visitors"],
            "date_range": [str(FIRST), str(NATIVE_DAY)],
            "dimensions": ["visit:country", "visit:region_name", "visit:city_name"],
            "include": {"imports": True},
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["results"][:2] == [
        {"metrics": [7], "dimensions": ["DE", "Berlin", "Berlin"]},
        {"metrics": [4], "dimensions": ["FR", "Île-de-France", "Paris"]},
    ]


def test_the_export_of_the_import_keeps_codes_and_ids(uploaded: Uploaded) -> None:
    from panel.reports.full_export import export_dir, run_export
    from panel.reports.models import SiteExport

    export = SiteExport.objects.create(site=uploaded.team.site, requested_by=uploaded.team.owner)
    assert run_export(export.pk) == "done"
    export.refresh_from_db()
    name = file_name("imported_locations", FIRST, LAST)
    with zipfile.ZipFile(export_dir() / export.file_name) as archive:
        exported = list(csv.reader(io.StringIO(archive.read(name).decode())))
    with zipfile.ZipFile(uploaded.path) as original:
        imported = list(csv.reader(io.StringIO(original.read(name).decode())))
    assert exported[0] == imported[0]  # Plausible's columns only
    assert sorted(exported[1:]) == sorted(imported[1:])  # codes and ids, as they came


def test_rows_loaded_without_names_read_their_code_and_id(events_table: None) -> None:
    from analytics.imported.store import drop, insert

    columns = ("date", "country", "region", "city", "visitors")
    insert(902, 3, "imported_locations", columns, [[str(FIRST), "DE", "DE-BE", 2950159, 1]], token="t:902")
    insert(902, 3, "imported_locations", columns, [[str(FIRST), "DE", "", 0, 1]], token="t:902:2")
    rows = client.execute(
        "SELECT region_name, city_name FROM imported_locations WHERE site_id = 902 ORDER BY region DESC"
    ).rows
    assert [tuple(row) for row in rows] == [("DE-BE", "2950159"), ("", "")]  # as before migration 0033
    drop(902, [3])
