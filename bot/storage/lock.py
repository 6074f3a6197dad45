"""One bot per database: an exclusive lock on `<db>.lock`, released when the process ends."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

OWNER_ONLY = 0o600


class AlreadyRunning(Exception):
    """Another process holds the lock."""


class InstanceLock:
    """Hold `path` locked while the bot runs (`with InstanceLock(path): ...`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock or raise AlreadyRunning (with the holder's pid when known)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, OWNER_ONLY)
        handle = os.fdopen(fd, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            raise AlreadyRunning(holder) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        """Let go of the lock."""
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
