"""The migrator's usage error (results are data, in readkit.results.migrate; this is not)."""


class MigrateUsageError(ValueError):
    """Options that cannot work together (--write with --out, no common project for a script)."""
