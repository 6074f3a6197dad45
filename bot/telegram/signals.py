"""The signals of `aftercare run` before its event loop listens (start-up) and after it stops listening
(shutdown). Python's default for SIGHUP ends the process, and a SIGTERM during start-up would kill it
halfway; installed first thing, these handlers make SIGHUP harmless and remember a SIGTERM, which then stops
the bot before it polls. Free of Telegram imports, so installing them costs nothing."""

from __future__ import annotations

import signal
from types import FrameType


class Signals:
    """What arrived while no event loop was listening."""

    def __init__(self) -> None:
        self.stop = False

    def install(self) -> Signals:
        """Answer SIGHUP and SIGTERM from now on (the event loop takes them over while it runs)."""
        for sig in (signal.SIGHUP, signal.SIGTERM):
            signal.signal(sig, self._arrived)
        return self

    def _arrived(self, signum: int, frame: FrameType | None) -> None:
        # A SIGHUP (reload the knowledge base) needs nothing here: the knowledge base is read at start-up and
        # its files are watched while the bot runs.
        if signum == signal.SIGTERM:
            self.stop = True
