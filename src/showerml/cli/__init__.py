"""The ``showerml`` command line (typer): thin commands that parse, call a pipeline and print a summary."""
