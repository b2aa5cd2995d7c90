"""readkit's version, in one place (the package root and the renderers read it)."""

__version__ = "0.1.0"
