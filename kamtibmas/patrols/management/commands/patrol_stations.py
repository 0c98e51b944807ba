"""`kamtibmas manage patrol_stations FILE`: set each Polsek's station (where its patrol routes
start and end) from a GeoJSON of police sites, e.g. ``police_sites_osm.geojson``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kamtibmas.patrols.stations import load_stations


class Command(BaseCommand):
    help = (
        "Read police sites (GeoJSON points with a 'nama' or 'name') and store the one whose name "
        "starts with a Polsek's name as that Polsek's station: its patrol routes start and end "
        "there."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="GeoJSON file of police sites")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            count = load_stations(opts["file"])
        except OSError as exc:
            raise CommandError(f"cannot read {opts['file']}: {exc.strerror}") from None
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise CommandError(f"not a GeoJSON file of points: {exc}") from None
        self.stdout.write(f"stations set for {count} units")
