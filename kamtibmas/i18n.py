"""Translation catalogues without GNU gettext at install time.

    python -m kamtibmas.i18n compile   # .po -> .mo with Babel (make messages)
    python -m kamtibmas.i18n merge     # fill django.po from the partial catalogues in locale/parts
    python -m kamtibmas.i18n check     # every message translated, .mo up to date

The compiled .mo files are kept in the repository so `make run` needs no extra tools;
`make messages` refreshes them (extraction with `makemessages` needs GNU gettext, a
developer-only tool).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("id", "en")


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"


def read(path: Path, lang: str = "id") -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def compiled_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_all() -> list[Path]:
    written = []
    for lang in LANGUAGES:
        po = po_path(lang)
        if po.exists():
            mo = po.with_suffix(".mo")
            mo.write_bytes(compiled_bytes(read(po, lang)))
            written.append(mo)
    return written


def merge_parts(lang: str = "id") -> int:
    """Copy translations from locale/parts/*.po into django.po where it has none."""
    known: dict[object, Any] = {}
    for part in sorted((LOCALE_DIR / "parts").glob("*.po")):
        for message in read(part, lang):
            if message.id and message.string:
                # Keyed with the context: a pgettext translation never fills the plain msgid.
                known.setdefault((message.context, message.id), message.string)
    catalog = read(po_path(lang), lang)
    filled = 0
    for message in catalog:
        needs = not _translated(message) or message.fuzzy
        key = (message.context, message.id)
        if message.id and needs and key in known:
            message.string = _fit_plurals(known[key], catalog.num_plurals)
            message.flags.discard("fuzzy")
            filled += 1
    with po_path(lang).open("wb") as fh:
        write_po(fh, catalog, width=100)
    return filled


def _translated(message: Any) -> bool:
    if isinstance(message.string, (tuple, list)):
        return all(message.string)
    return bool(message.string)


def _fit_plurals(string: Any, num_plurals: int) -> Any:
    """Indonesian has one plural form: keep the last (plural) text of a fuller translation."""
    if isinstance(string, (tuple, list)) and len(string) > num_plurals:
        return tuple(string[-num_plurals:])
    return string


def missing(lang: str = "id") -> list[str]:
    """Message ids without a translation (or marked fuzzy)."""
    return [
        str(m.id) for m in read(po_path(lang), lang) if m.id and (not _translated(m) or m.fuzzy)
    ]


def stale_mo(lang: str = "id") -> bool:
    mo = po_path(lang).with_suffix(".mo")
    return not mo.exists() or mo.read_bytes() != compiled_bytes(read(po_path(lang), lang))


def main(argv: list[str]) -> int:
    verb = argv[0] if argv else "compile"
    if verb == "compile":
        for path in compile_all():
            print(f"compiled {path.relative_to(LOCALE_DIR.parent)}")
        return 0
    if verb == "merge":
        print(f"filled {merge_parts()} translations from locale/parts")
        return 0
    if verb == "check":
        gaps = missing()
        for text in gaps:
            print(f"untranslated: {text!r}")
        if stale_mo():
            print("the compiled catalogue is out of date: run `make messages`")
        return 1 if gaps or stale_mo() else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
