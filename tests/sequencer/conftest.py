"""The sequencer tests run on the shared live system (tests/support/system.py)."""

from tests.support.system import make_system, system, users  # noqa: F401 (fixtures)
