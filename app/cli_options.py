"""Options every ``arzyab`` command shares (the commands of each package use them)."""

from __future__ import annotations

import click

LANG_OPTION = click.option("--lang", type=click.Choice(["fa", "en"]), default="fa",
                           show_default=True, help="Language of the messages.")
