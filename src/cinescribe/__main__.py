"""``python -m cinescribe`` runs the ``cinescribe`` command."""

from .cli import main

main()
