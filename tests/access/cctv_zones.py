"""Routes of the zone editor, the camera's still and the worker's cctv.yaml downloads.
Desk officers may not edit cameras: 404 for a camera they cannot see, 403 for the download of
all cameras."""

ROUTES = {
    "cctv:camera_zones": ("/petugas/cctv/kamera/999999/zona/", (302, 403, 404, 404)),
    "cctv:camera_still": ("/petugas/cctv/kamera/999999/gambar.jpg", (302, 403, 404, 404)),
    "cctv:camera_worker_yaml": ("/petugas/cctv/kamera/999999/cctv.yaml", (302, 403, 404, 404)),
    "cctv:worker_yaml_all": ("/petugas/cctv/cctv.yaml", (302, 403, 403, 403)),
}
