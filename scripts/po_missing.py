"""List the message ids of the code that the Persian catalogue does not translate yet.

Usage: python scripts/po_missing.py   (extracts to a temporary file first)
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent

with tempfile.TemporaryDirectory() as tmp:
    pot = Path(tmp) / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract",
                    "-F", "babel.cfg", "-k", "_l", "-k", "N_", "-k", "_t:2", "-o", str(pot),
                    "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as file:
        wanted = [m.id for m in read_po(file) if m.id]
with (ROOT / "app/translations/fa/LC_MESSAGES/messages.po").open("rb") as file:
    have = {m.id for m in read_po(file) if m.id and m.string}
for msgid in wanted:
    if msgid not in have:
        print(repr(msgid))
