"""A data cache must not outlive the segloss run that made it (issue: `kill -9` of segloss left the
whole decoded dataset in the temp folder). segloss writes owner.json (its pid and host) into each
cache; when a runner's input ends and that process is gone, the runner removes the cache. segloss
itself also sweeps caches whose owner is dead when it starts a torch engine (src/engine/torch/cache.ts).
"""
import json
import os
import shutil
import socket


def owner_is_gone(folder):
    """True when owner.json names a process on this host that no longer exists."""
    try:
        with open(os.path.join(folder, "owner.json"), "r", encoding="utf-8") as handle:
            owner = json.load(handle)
        pid = int(owner["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return False  # no owner to check: leave the folder to whoever made it
    if owner.get("host") != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


def remove_if_orphaned(folder):
    if folder and os.path.basename(os.path.normpath(folder)).startswith("segloss-torch-") and owner_is_gone(folder):
        shutil.rmtree(folder, ignore_errors=True)
        return True
    return False
