import click


@click.command("import-roster")
@click.argument("path")
def import_roster_command(path: str) -> None:
    """Import people from a roster CSV."""
    raise click.ClickException("not built yet")
