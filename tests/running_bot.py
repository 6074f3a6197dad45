"""`aftercare run` in a subprocess for the tests of start-up, signals and shutdown: its stderr collected
line by line, waits that fail with the log, and a kill that always releases the pipe."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STOP_LIMIT = 10.0
START_LIMIT = 30.0


class Running:
    """`aftercare run` in a subprocess, its stderr collected line by line."""

    def __init__(self, environ: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=ROOT,
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def wait_for(self, text: str, timeout: float = 20) -> str:
        """The first log line holding `text`; fail (with the log) when it does not come."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if text in line:
                    return line
            if self.proc.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} in: {self.log}")

    def wait_until(self, done: Callable[[], bool], what: str) -> None:
        """Poll `done()` until true; fail (with the log) when the bot ended first or it takes too long."""
        deadline = time.monotonic() + START_LIMIT
        while not done():
            assert self.proc.poll() is None, f"the bot ended (code {self.proc.returncode}):\n{self.log}"
            assert time.monotonic() < deadline, f"no {what} after {START_LIMIT}s:\n{self.log}"
            time.sleep(0.002)

    def stop(self) -> int:
        """SIGTERM; the exit code (it must come within the limit)."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=STOP_LIMIT)

    def close(self) -> None:
        """Kill it if it still runs, and release its pipe."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=5)
        assert self.proc.stderr is not None
        self.proc.stderr.close()
