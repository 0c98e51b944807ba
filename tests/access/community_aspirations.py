"""Access-matrix entries of aspirations heard at events and programme outcome reports."""

STAFF_OBJECT = (302, 403, 404, 404)

ROUTES = {
    "community:aspiration_create": ("/petugas/kegiatan/acara/999999/aspirasi/baru/", STAFF_OBJECT),
    "community:programme_outcome": ("/petugas/kegiatan/program/999999/hasil/", STAFF_OBJECT),
    "community:programme_outcome_csv": (
        "/petugas/kegiatan/program/999999/hasil.csv",
        STAFF_OBJECT,
    ),
    "community:programme_outcome_pdf": (
        "/petugas/kegiatan/program/999999/hasil.pdf",
        STAFF_OBJECT,
    ),
}
