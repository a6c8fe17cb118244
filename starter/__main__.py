"""``python -m starter``: the same as the ``incidents`` command."""

from starter.cli import main

main()
