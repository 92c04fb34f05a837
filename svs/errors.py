"""The root of the package's exceptions: ``except SvsError`` catches every error svs raises on
purpose. Each class also keeps its builtin base (ValueError for bad input, RuntimeError for a
failed operation), so existing handlers keep working."""


class SvsError(Exception):
    """An error raised on purpose by svs (its message says what and why)."""
