"""Placeholder until its issue's commands land; replaced wholesale by that work."""

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the top-level app."""
