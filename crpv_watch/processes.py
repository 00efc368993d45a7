"""Whether a process recorded by an earlier run (crawl, rebuild) is still alive on this machine."""

from __future__ import annotations

import os


def pid_alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True
