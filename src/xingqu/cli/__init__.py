"""The `xingqu` command line (Typer)."""
