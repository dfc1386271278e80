"""Command-line interface (top layer): Typer commands, one module per command group."""
