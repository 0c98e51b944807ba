"""Public alerts, their CAP documents and Atom feed, Humas's alert pages and subscriptions.
Staff alert pages are for public relations, admin and (read-only) commanders: desk officers
get 403 whatever the object."""

STAFF = "/petugas/peringatan-publik/"
NO_ALERT = "/peringatan/00000000-0000-0000-0000-000000000000/"
HUMAS_ONLY = (302, 403, 403, 403)

ROUTES = {
    "portal:alert_list": ("/peringatan/", (200, 200, 200, 200)),
    "portal:alert_detail": (NO_ALERT, (404, 404, 404, 404)),
    "portal:alert_cap": (f"{NO_ALERT}cap.xml", (404, 404, 404, 404)),
    "portal:alerts_atom": ("/alerts.atom", (200, 200, 200, 200)),
    "portal:alert_staff_list": (STAFF, HUMAS_ONLY),
    "portal:alert_staff_create": (f"{STAFF}baru/", HUMAS_ONLY),
    "portal:alert_staff_detail": (f"{STAFF}999999/", HUMAS_ONLY),
    "portal:alert_staff_edit": (f"{STAFF}999999/ubah/", HUMAS_ONLY),
    "portal:alert_staff_publish": (f"{STAFF}999999/terbitkan/", HUMAS_ONLY),
    "portal:alert_staff_follow_up": (f"{STAFF}999999/tindak-lanjut/update/", HUMAS_ONLY),
    "portal:subscribe": ("/langganan/", (200, 200, 200, 200)),
    "portal:subscribe_sent": ("/langganan/terkirim/", (200, 200, 200, 200)),
    "portal:subscription_confirm": ("/langganan/konfirmasi/not-a-token/", (404, 404, 404, 404)),
    "portal:unsubscribe": ("/langganan/berhenti/not-a-token/", (404, 404, 404, 404)),
}
