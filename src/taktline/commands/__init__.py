"""Sub-commands of the ``taktline`` CLI, each a thin Typer app over the public API."""
