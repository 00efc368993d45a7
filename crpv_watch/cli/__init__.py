"""The ``crpv-watch`` command (``main``), one module per verb group."""

from .main import main

__all__ = ["main"]
