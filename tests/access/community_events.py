"""Access matrix: community programmes and events (staff) and the public calendar."""

STAFF_LIST = (302, 403, 200, 200)
# Desk officers see their programmes but do not run them (community officers, Humas,
# commanders and administrators do); objects are missing ids.
STAFF_EDIT = (302, 403, 403, 403)
MISSING = (302, 403, 404, 404)
POST_ONLY = (302, 403, 405, 405)
PUBLIC = (200, 200, 200, 200)
GONE = (404, 404, 404, 404)

ROUTES = {
    "community:programme_list": ("/petugas/kegiatan/", STAFF_LIST),
    "community:programme_create": ("/petugas/kegiatan/program/baru/", STAFF_EDIT),
    "community:programme_detail": ("/petugas/kegiatan/program/999999/", MISSING),
    "community:programme_edit": ("/petugas/kegiatan/program/999999/ubah/", MISSING),
    "community:event_create": ("/petugas/kegiatan/program/999999/acara/baru/", MISSING),
    "community:event_detail": ("/petugas/kegiatan/acara/999999/", MISSING),
    "community:event_edit": ("/petugas/kegiatan/acara/999999/ubah/", MISSING),
    "community:event_status": ("/petugas/kegiatan/acara/999999/status/", POST_ONLY),
    "community:event_attendance": ("/petugas/kegiatan/acara/999999/hadir/", POST_ONLY),
    "community:event_walk_in": ("/petugas/kegiatan/acara/999999/peserta-datang/", POST_ONLY),
    "community:event_qr": ("/petugas/kegiatan/acara/999999/qr/", MISSING),
    "community:event_rotate_qr": ("/petugas/kegiatan/acara/999999/qr/ganti/", POST_ONLY),
    "community:event_certificate": (
        "/petugas/kegiatan/acara/999999/sertifikat/1.pdf",
        MISSING,
    ),
    "events:calendar": ("/kegiatan/", PUBLIC),
    "events:detail": ("/kegiatan/00000000-0000-4000-8000-000000000000/", GONE),
    "events:attend": ("/kegiatan/hadir/no-such-token/", GONE),
    "events:registration": ("/kegiatan/pendaftaran/no-such-token/", GONE),
    "events:registration_cancel": ("/kegiatan/pendaftaran/no-such-token/batal/", (405,) * 4),
    "events:registration_certificate": (
        "/kegiatan/pendaftaran/no-such-token/sertifikat.pdf",
        GONE,
    ),
    "events:ics": ("/events.ics", PUBLIC),
}
