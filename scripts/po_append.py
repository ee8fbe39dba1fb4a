"""Append translations to the .po catalogues without rewriting them.

Usage: python scripts/po_append.py FILE.py   (FILE.py defines a dict T = {msgid: persian})
Skips ids already present; en gets msgstr = msgid. Several people may run it at once.
"""

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def append(lang: str, table: dict[str, str]) -> int:
    path = ROOT / "app" / "translations" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as file:
        present = {m.id for m in read_po(file) if m.id}
    entries = []
    for msgid, text in table.items():
        if msgid in present:
            continue
        flag = "#, python-format\n" if "%(" in msgid else ""
        translation = text if lang == "fa" else msgid
        entries.append(f"\n{flag}msgid {quote(msgid)}\nmsgstr {quote(translation)}\n")
    with path.open("a", encoding="utf-8") as file:
        file.write("".join(entries))
    return len(entries)


if __name__ == "__main__":
    table = runpy.run_path(sys.argv[1])["T"]
    for lang in ("fa", "en"):
        print(lang, append(lang, table), "added")
