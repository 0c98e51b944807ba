"""Demo cameras with zones, privacy masks and a drawn still, so that a newcomer sees the camera
list, the map and the zone editor filled (and a cctv.yaml worth downloading).

``load_demo_cameras(seed)`` registers ``CAMERAS`` police and Dishub cameras named
``demo-cctv-NN`` in kelurahan chosen by the seed, each 1280x720 at 5 fps with a loitering zone,
a night intrusion zone, one privacy mask (a house window) and a synthetic street picture as
its still. The same seed gives the same cameras; a second call adds nothing. The camera model
has no ``is_synthetic`` flag: the ``demo-`` prefix and the owner name "Demo" mark them."""

from __future__ import annotations

import io
import random

from django.db import transaction
from PIL import Image, ImageDraw

from kamtibmas.cctv import stills
from kamtibmas.cctv.models import Camera
from kamtibmas.cctv.zones import clean_masks, clean_zones
from kamtibmas.geo import lookup
from kamtibmas.geo.models import Kelurahan

CAMERAS = 6
WIDTH, HEIGHT = 1280, 720
PREFIX = "demo-cctv-"


def _picture(rng: random.Random) -> bytes:
    """A street: sky, two buildings with windows, a road narrowing to the horizon."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (150, 180, 205))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 300, WIDTH, HEIGHT), fill=(95, 100, 92))
    draw.polygon([(420, 720), (860, 720), (700, 300), (580, 300)], fill=(60, 60, 64))
    for left in (40, 900):
        shade = rng.randint(150, 200)
        draw.rectangle((left, 120, left + 320, 420), fill=(shade, shade - 30, shade - 60))
        for row in range(3):
            for col in range(3):
                x, y = left + 30 + col * 100, 150 + row * 85
                draw.rectangle((x, y, x + 60, y + 50), fill=(40, 55, 70))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=75)
    return out.getvalue()


def _drawing(rng: random.Random) -> tuple[list[dict[str, object]], list[list[list[float]]]]:
    top = rng.randint(440, 500)
    zones = [
        {"name": "trotoar", "polygon": [[80, top], [400, top], [380, 700], [40, 700]],
         "rules": [{"kind": "loitering", "seconds": rng.choice([30, 45, 60])}]},
        {"name": "jalan-malam", "polygon": [[440, 700], [840, 700], [700, 320], [580, 320]],
         "rules": [{"kind": "intrusion", "hours": "23:00-04:00"},
                   {"kind": "crowd", "min_objects": rng.randint(6, 10)}]},
    ]  # fmt: skip
    masks = [[[930, 150], [990, 150], [990, 200], [930, 200]]]  # a house window
    cleaned_zones, zone_errors = clean_zones(zones, WIDTH, HEIGHT)
    cleaned_masks, mask_errors = clean_masks(masks, WIDTH, HEIGHT)
    assert not zone_errors and not mask_errors, zone_errors + mask_errors
    return cleaned_zones, cleaned_masks


@transaction.atomic
def load_demo_cameras(seed: int = 2026) -> int:
    """Register the demo cameras that are missing; returns how many were added."""
    rng = random.Random(seed)
    kelurahan = list(Kelurahan.objects.exclude(geometry=None).order_by("code"))
    chosen = rng.sample(kelurahan, min(CAMERAS, len(kelurahan)))
    added = 0
    for number, kel in enumerate(chosen, start=1):
        camera_rng = random.Random(f"{seed}-{number}")
        zones, masks = _drawing(camera_rng)
        picture = _picture(camera_rng)
        bearing = float(camera_rng.randrange(0, 360, 15))
        name = f"{PREFIX}{number:02d}"
        area = lookup.find_area(kel.lat, kel.lon)
        if Camera.objects.filter(name=name).exists() or area is None or area.unit_id is None:
            continue
        camera = Camera.objects.create(
            name=name, owner_kind=Camera.Owner.POLICE if number % 3 else Camera.Owner.DISHUB,
            owner_name=f"Demo {kel.name}", unit_id=area.unit_id, lat=kel.lat, lon=kel.lon,
            kelurahan_code=area.kelurahan_code, bearing=bearing, fov_angle=70.0,
            fov_range_m=90.0, stream_url=f"rtsp://10.20.0.{10 + number}:554/stream1",
            width=WIDTH, height=HEIGHT, fps=5.0, zones=zones, privacy_masks=masks,
        )  # fmt: skip
        stills.store_still(camera, picture)
        added += 1
    return added
