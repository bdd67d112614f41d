"""Checks of any file among the inputs (secrets embedded in them), one module per C4 section."""
