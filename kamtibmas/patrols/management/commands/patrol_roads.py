"""`kamtibmas patrol roads import FILE [--name NAME]` and `kamtibmas patrol roads list`: the road
network that patrol routes use (GeoJSON LineStrings, e.g. an OpenStreetMap drive network)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kamtibmas.patrols.models import RoadNetwork
from kamtibmas.patrols.network import import_file
from kamtibmas_analytics.roads import RoadDataError


class Command(BaseCommand):
    help = (
        "Import a road network (GeoJSON LineStrings, WGS84) for patrol routes, or list the "
        "networks. Places inside its area get road distances; elsewhere straight lines."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["import", "list"])
        parser.add_argument("file", nargs="?", help="the GeoJSON file (import)")
        parser.add_argument("--name", help="a name for the network (default: the file name)")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "list":
            for net in RoadNetwork.objects.order_by("-is_active", "name"):
                flag = "active" if net.is_active else "inactive"
                self.stdout.write(
                    f"{net.name}: {net.edge_count} segments, {net.node_count} nodes, "
                    f"{net.area_km2} km², imported {net.imported_at:%Y-%m-%d %H:%M} ({flag})"
                )
            return
        if not opts["file"]:
            raise CommandError("give the GeoJSON file to import")
        try:
            summary = import_file(opts["file"], opts["name"])
        except OSError as exc:
            raise CommandError(f"cannot read {opts['file']}: {exc.strerror or exc}") from None
        except RoadDataError as exc:
            raise CommandError(f"{opts['file']}: {exc}") from None
        w, s, e, n = summary.bounds
        self.stdout.write(
            f"imported {summary.network.name!r}: {summary.edges} directed segments, "
            f"{summary.nodes} nodes, {summary.area_km2} km² covered "
            f"(lon {w:.4f}..{e:.4f}, lat {s:.4f}..{n:.4f}); it is now the active network"
        )
