"""Front ends over the core: the Qt desktop app (`app.gui`) and the headless CLI (`app.cli`).

This package's top level imports no Qt, so the CLI never loads it.
"""
