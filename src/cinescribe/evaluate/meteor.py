"""METEOR 1.5 through the reference jar, in one persistent Java process.

The jar and its paraphrase table ship with pycocoevalcap; it is started exactly as pycocoevalcap
starts it (``java -jar -Xmx2G meteor-1.5.jar - - -stdio -l en -norm``) and spoken to with the same
protocol: one ``SCORE ||| ref_1 ||| ... ||| ref_k ||| hyp`` line per item returns that item's
sufficient statistics; one ``EVAL ||| stats_1 ||| ... ||| stats_n`` line returns the n segment
scores and the corpus score.  Loading the paraphrase table takes several seconds, so the process is
started once and reused (training can score every epoch without paying for it again); statistics
lines are streamed in by a writer thread while the answers are read, instead of one round trip per
item.  The numbers are the jar's own, so they equal pycocoevalcap's to the printed digit.
"""

from __future__ import annotations

import atexit
import subprocess
import threading
from typing import Iterable

from ..errors import MissingDependencyError
from .ptb import jar_path, java

_lock = threading.Lock()
_instance: "Meteor | None" = None


class Meteor:
    """A running METEOR 1.5 process (``-l en -norm``)."""

    def __init__(self) -> None:
        jar = jar_path("pycocoevalcap.meteor", "meteor-1.5.jar")
        self._proc = subprocess.Popen([java(), "-jar", "-Xmx2G", str(jar), "-", "-", "-stdio", "-l", "en", "-norm"],
                                      cwd=str(jar.parent), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL)
        self._lock = threading.Lock()

    def _readline(self) -> str:
        line = self._proc.stdout.readline()
        if not line:
            raise MissingDependencyError("the METEOR process (Java) stopped; check that Java 17 runs "
                                         "`java -jar meteor-1.5.jar` from pycocoevalcap with 2 GB of heap")
        return line.decode().strip()

    def _send_all(self, lines: Iterable[str]) -> None:
        for line in lines:
            self._proc.stdin.write(f"{line}\n".encode())
        self._proc.stdin.flush()

    def stats(self, hyps: list[str], refs: list[list[str]]) -> list[str]:
        """The jar's statistics line for each (hypothesis, references) item."""
        lines = [" ||| ".join(("SCORE", " ||| ".join(r), h.replace("|||", "").replace("  ", " ")))
                 for h, r in zip(hyps, refs)]
        with self._lock:
            writer = threading.Thread(target=self._send_all, args=(lines,), daemon=True)
            writer.start()
            out = [self._readline() for _ in lines]
            writer.join()
        return out

    def evaluate(self, stats: list[str]) -> tuple[list[float], float]:
        """Segment scores and the corpus METEOR of a list of statistics lines."""
        with self._lock:
            self._send_all(["EVAL ||| " + " ||| ".join(stats)])
            segments = [float(self._readline()) for _ in stats]
            return segments, float(self._readline())

    def close(self) -> None:
        with self._lock:
            if self._proc.poll() is None:
                self._proc.stdin.close()
                self._proc.kill()
                self._proc.wait()


def get_meteor() -> Meteor:
    """The process-wide METEOR process, started on first use."""
    global _instance
    with _lock:
        if _instance is None or _instance._proc.poll() is not None:
            _instance = Meteor()
            atexit.register(_instance.close)
        return _instance
