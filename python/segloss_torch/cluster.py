"""Verify's runs on a Dask cluster (`segloss verify --cluster tcp://HOST:PORT`).

segloss keeps the protocol (split, crop plans, lockstep rounds, racing, verdict) in TypeScript and
talks to runners over JSON lines. On a cluster each runner is this *bridge*: a local process that
speaks the runner's protocol on stdin/stdout and executes every command on a `RunnerActor` that
lives on one Dask worker (an actor keeps the run's weights and optimiser state in that worker's
memory between rounds). The bridge adds three things the local runner does not need:

* files: the data cache, loss files and weight files segloss writes locally are sent to the
  worker once (or read from a shared folder, `--shared`), and prediction files come back;
* checkpoints: after every command that changes a run (create_run, train) the bridge keeps the
  run's model and optimiser state, so
* faults: when the worker dies (SIGKILL, preemption), the bridge starts a new actor on another
  worker, replays `init` and every run's `create_run`, restores the last checkpoints and repeats
  the command that was lost. Training is deterministic given the state and the crops segloss
  sends, so the run ends exactly as an uninterrupted one.

`--probe ADDRESS` (one JSON line) uploads this package to the workers (a zip, through Dask's
upload_file, so workers need torch and numpy but not segloss) and reports each worker's Python,
torch and resources, and what is wrong: no workers, a Python whose minor version differs from the
bridge's (pickles do not cross it), no torch or a torch older than 1.13.

Only this module imports distributed; the local runner never does.
"""
import argparse
import hashlib
import io
import json
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import weakref
import zipfile

# Both can be lowered through the environment (the tests do; a real cluster may need longer).
CONNECT_TIMEOUT = "%ss" % os.environ.get("SEGLOSS_CLUSTER_CONNECT_SECONDS", "20")
# A run's state is copied off its worker at most this often; the train commands since the last
# copy are kept and replayed on a replacement worker (training is deterministic given the state).
CHECKPOINT_SECONDS = 30.0
WORKER_WAIT_SECONDS = float(os.environ.get("SEGLOSS_CLUSTER_WORKER_WAIT_SECONDS", "30"))
# How many workers a command may be tried on before the bridge gives up.
MAX_ATTEMPTS = 4
PATH_INPUTS = {"lossFile", "weightsFile", "input"}
PATH_OUTPUTS = {"out", "output"}


# -- on the worker ----------------------------------------------------------------------------

class _Lines:
    """The runner's reply stream, kept in memory: the bridge forwards the lines after the call."""

    def __init__(self):
        self.lines = []

    def write(self, text):
        for line in text.splitlines():
            if line.strip():
                self.lines.append(line)

    def flush(self):
        pass


class RunnerActor:
    """One segloss runner on a Dask worker, with a private folder for the files it is sent."""

    def __init__(self):
        from .runner import Runner  # imported on the worker, from the uploaded package

        self.folder = tempfile.mkdtemp(prefix="segloss-worker-")
        os.makedirs(os.path.join(self.folder, "out"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.folder, True)
        self.stream = _Lines()
        self.runner = Runner(self.stream)

    def put_files(self, files):
        for name, data in files.items():
            path = self._path(name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(data)
        return self.folder

    def get_file(self, name):
        with open(self._path(name), "rb") as handle:
            return handle.read()

    def handle(self, message):
        """Runs one command as the runner's main loop would; never raises (errors are replies)."""
        from .runner import error_kind

        self.stream.lines = []
        try:
            reply = dict(self.runner.handle(message), id=message.get("id"), ok=True)
        except Exception as error:
            reply = {"id": message.get("id"), "error": {"kind": error_kind(error), "message": "%s: %s" % (type(error).__name__, error), "trace": traceback.format_exc()[-4000:]}}
        finally:
            with self.runner.lock:
                self.runner.aborted.discard(message.get("id"))
        return {"lines": self.stream.lines, "reply": reply}

    def checkpoint(self, run_id):
        import torch

        run = self.runner.get_run(run_id)
        buffer = io.BytesIO()
        torch.save({"model": run.model.state_dict(), "optimizer": run.optimizer.state_dict()}, buffer)
        return buffer.getvalue()

    def restore(self, run_id, blob):
        import torch

        run = self.runner.get_run(run_id)
        state = torch.load(io.BytesIO(blob), map_location=self.runner.device)
        run.model.load_state_dict(state["model"])
        run.optimizer.load_state_dict(state["optimizer"])
        return True

    async def abort(self, target):
        # A coroutine runs on the worker's event loop, not behind the train call in the actor's thread.
        with self.runner.lock:
            self.runner.aborted.add(target)
        return True

    def close(self):
        self.runner.runs.clear()
        self._cleanup()
        return True

    def _path(self, name):
        path = os.path.normpath(os.path.join(self.folder, name))
        if not path.startswith(self.folder + os.sep):
            raise ValueError("file name %r leaves the worker's folder" % name)
        return path


# -- probing and uploading --------------------------------------------------------------------

def package_zip():
    """This package as a zip named by its content's hash (the name says which code a worker runs)."""
    root = os.path.dirname(os.path.abspath(__file__))
    files = sorted(name for name in os.listdir(root) if name.endswith(".py"))
    digest = hashlib.sha256()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                data = handle.read()
            digest.update(name.encode() + b"\0" + data)
            info = zipfile.ZipInfo("segloss_torch/" + name, date_time=(2020, 1, 1, 0, 0, 0))
            archive.writestr(info, data)
    code = digest.hexdigest()[:16]
    path = os.path.join(tempfile.gettempdir(), "segloss_torch-%s.zip" % code)
    if not os.path.exists(path):
        fd, partial = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".zip")
        with os.fdopen(fd, "wb") as handle:
            handle.write(buffer.getvalue())
        os.replace(partial, path)
    return path, code


# Runs on each worker; compiled from source so that it is pickled by value (the worker may not
# have segloss_torch yet when it is probed).
_WORKER_REPORT_SOURCE = '''
def worker_report(dask_worker=None):
    import platform
    report = {"python": platform.python_version(), "torch": None, "torchError": None, "numpy": None, "cuda": 0, "segloss": None}
    try:
        import numpy
        report["numpy"] = numpy.__version__
    except Exception as error:
        report["numpyError"] = "%s: %s" % (type(error).__name__, error)
    try:
        import torch
        report["torch"] = torch.__version__
        report["cuda"] = torch.cuda.device_count() if torch.cuda.is_available() else 0
    except Exception as error:
        report["torchError"] = "%s: %s" % (type(error).__name__, error)
    try:
        import segloss_torch
        report["segloss"] = getattr(segloss_torch, "__file__", None)
    except Exception as error:
        report["segloss"] = None
    if dask_worker is not None:
        report["nthreads"] = dask_worker.state.nthreads
        report["resources"] = dict(dask_worker.state.total_resources)
    return report
'''


def _worker_report_function():
    namespace = {"__name__": "segloss_cluster_probe"}
    exec(compile(_WORKER_REPORT_SOURCE, "<segloss worker report>", "exec"), namespace)
    return namespace["worker_report"]


def torch_at_least(version, minimum=(1, 13)):
    try:
        parts = tuple(int(p) for p in version.split("+")[0].split(".")[:2])
    except ValueError:
        return False
    return parts >= minimum


def worker_problems(workers, here, code):
    """What stops each worker from training, from the reports the workers sent."""
    problems = []
    for report in workers:
        worker = report["address"]
        if str(report.get("python", "")).split(".")[:2] != here.split(".")[:2]:
            problems.append("worker %s runs Python %s, the bridge %s: Dask moves pickles between them, which needs the same Python minor version" % (worker, report.get("python"), here))
        if report.get("torch") is None:
            problems.append("worker %s cannot import torch (%s)" % (worker, report.get("torchError")))
        elif not torch_at_least(report["torch"]):
            problems.append("worker %s has torch %s; segloss needs torch >= 1.13" % (worker, report["torch"]))
        if report.get("numpy") is None:
            problems.append("worker %s cannot import numpy (%s)" % (worker, report.get("numpyError")))
        if code is not None and (report.get("segloss") is None or code not in report["segloss"]):
            problems.append("worker %s does not run the uploaded segloss runner (it imports %s)" % (worker, report.get("segloss")))
    return problems


def connect(address):
    from distributed import Client

    # The default client: actor proxies find their client (and its event loop) through it.
    return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=True)


def probe(address, upload=True):
    """What the cluster offers and what is wrong with it, as plain data."""
    import platform

    try:
        client = connect(address)
    except Exception as error:
        return {"scheduler": address, "workers": [], "problems": ["cannot reach the Dask scheduler at %s: %s: %s" % (address, type(error).__name__, str(error).splitlines()[0] if str(error) else "")]}
    try:
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
        except Exception:
            return {"scheduler": address, "workers": [], "problems": ["the Dask scheduler at %s has no workers (waited %d s)" % (address, WORKER_WAIT_SECONDS)]}
        here = platform.python_version()
        code = None
        try:
            if upload:
                path, code = package_zip()
                client.upload_file(path)
            reports = client.run(_worker_report_function())
        except Exception as error:
            # A pickle that does not load (another Python on the workers) ends up here.
            return {"scheduler": address, "workers": [], "problems": ["the workers could not run segloss's probe (%s: %s); check that they run Python %s with torch and numpy" % (type(error).__name__, str(error).splitlines()[0] if str(error) else "", here)]}
        workers = [dict(report, address=worker) for worker, report in sorted(reports.items())]
        problems = worker_problems(workers, here, code)
        return {"scheduler": address, "workers": workers, "problems": problems, "code": code, "python": here}
    finally:
        client.close()


# -- the bridge -------------------------------------------------------------------------------

class WorkerLost(Exception):
    pass


class Bridge:
    def __init__(self, client, worker, shared, out):
        self.client = client
        self.worker = worker
        self.shared = shared
        self.out = out
        self.actor = None
        self.folder = None
        self.dead = set()
        self.init_message = None
        self.init_files = {}
        self.runs = {}  # run id -> {"message", "files", "state", "since": [train messages after state], "at": time}
        self.recoveries = []
        self.reported = 0

    def reply(self, message):
        self.out.write(json.dumps(message, allow_nan=False) + "\n")
        self.out.flush()

    # actors

    def start_actor(self):
        future = self.client.submit(RunnerActor, workers=[self.worker], allow_other_workers=False, actor=True, pure=False)
        self.actor = future.result()
        # The actor's private folder, asked once: commands without files then cost one call, not two.
        self.folder = self.call("put_files", {})

    def call(self, method, *args):
        try:
            return getattr(self.actor, method)(*args).result()
        except Exception as error:
            raise WorkerLost("%s: %s" % (type(error).__name__, error))

    def recover(self, why):
        """A new actor on a live worker, in the state the last finished command left."""
        self.dead.add(self.worker)
        live = sorted(set(self.client.scheduler_info()["workers"]) - self.dead)
        if not live:
            try:
                self.client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
            except Exception:
                pass
            live = sorted(set(self.client.scheduler_info()["workers"]) - self.dead)
        if not live:
            raise RuntimeError("worker %s was lost (%s) and no other worker is left" % (self.worker, why))
        previous = self.worker
        self.worker = live[0]
        self.recoveries.append({"from": previous, "to": self.worker, "why": why})
        sys.stderr.write("segloss cluster: worker %s lost (%s); resuming on %s\n" % (previous, why, self.worker))
        self.start_actor()
        if self.init_message is not None:
            self.run_on_actor(self.init_message, self.init_files)
        for run_id, record in self.runs.items():
            self.run_on_actor(record["message"], record["files"])
            if record["state"] is not None:
                self.call("restore", run_id, record["state"])
            for train in record["since"]:
                result = self.run_on_actor(train, {})
                if not result["reply"].get("ok"):
                    raise RuntimeError("replaying run %s on %s failed: %s" % (run_id, self.worker, result["reply"].get("error")))

    # files

    def local_files(self, message):
        files = {}
        if message.get("cmd") == "init" and not self.shared:
            folder = message["cache"]
            for name in sorted(os.listdir(folder)):
                path = os.path.join(folder, name)
                if os.path.isfile(path) and name in ("header.json", "data.bin"):
                    with open(path, "rb") as handle:
                        files["cache/" + name] = handle.read()
        if not self.shared:
            for key in PATH_INPUTS:
                if message.get(key):
                    with open(message[key], "rb") as handle:
                        files["in/%s-%s" % (key, os.path.basename(message[key]))] = handle.read()
        return files

    def run_on_actor(self, message, files):
        """Sends the files (if any), rewrites local paths to the worker's folder, runs the command."""
        if files:
            self.call("put_files", files)
        folder = self.folder
        remote = dict(message)
        if not self.shared:
            if message.get("cmd") == "init":
                remote["cache"] = os.path.join(folder, "cache")
            for key in PATH_INPUTS:
                if message.get(key):
                    remote[key] = os.path.join(folder, "in/%s-%s" % (key, os.path.basename(message[key])))
            for key in PATH_OUTPUTS:
                if message.get(key):
                    remote[key] = os.path.join(folder, "out/" + key)
        return self.call("handle", remote)

    def execute(self, message):
        files = self.local_files(message)
        for attempt in range(MAX_ATTEMPTS):
            try:
                result = self.run_on_actor(message, files)
                reply = result["reply"]
                if reply.get("ok"):
                    self.after(message, files, reply)
                    if not self.shared:
                        for key in PATH_OUTPUTS:
                            if message.get(key):
                                data = self.call("get_file", "out/" + key)
                                with open(message[key], "wb") as handle:
                                    handle.write(data)
                return result
            except WorkerLost as lost:
                if attempt == MAX_ATTEMPTS - 1:
                    raise RuntimeError("gave up after %d workers were lost (last: %s)" % (MAX_ATTEMPTS, lost))
                self.recover(str(lost))
        raise RuntimeError("unreachable")

    def after(self, message, files, reply):
        """Keeps what a replacement worker needs: init, every run's creation and its latest state."""
        command = message.get("cmd")
        if command == "init":
            self.init_message, self.init_files = message, files
        elif command == "create_run":
            # No state yet: a replacement worker rebuilds the run from the same weights and seed.
            self.runs[message["run"]] = {"message": message, "files": files, "state": None, "since": [], "at": time.monotonic()}
        elif command == "train":
            record = self.runs[message["run"]]
            # Only the steps that ran (an aborted round stops early), so a replay trains exactly those.
            record["since"].append(dict(message, steps=message["steps"][: len(reply.get("losses") or [])]))
            if time.monotonic() - record["at"] >= CHECKPOINT_SECONDS:
                record["state"] = self.call("checkpoint", message["run"])
                record["since"] = []
                record["at"] = time.monotonic()
        elif command == "dispose_run":
            self.runs.pop(message.get("run"), None)

    def abort(self, target):
        try:
            self.actor.abort(target)
        except Exception:
            pass


def serve(address, worker, shared):
    from .runner import read_commands  # the runner's reader thread (imports torch: not needed by --probe)

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
    sys.stdout = sys.stderr
    client = connect(address)
    bridge = Bridge(client, worker, shared, protocol)
    try:
        bridge.start_actor()
        commands = queue.Queue()
        threading.Thread(target=read_commands, args=(sys.stdin, commands, bridge.abort, lambda: None, "cluster"), daemon=True).start()
        import torch  # the bridge reports the worker's torch below; importing it here keeps versions honest

        bridge.reply({"ready": True, "torch": torch.__version__, "pid": os.getpid(), "worker": worker})
        while True:
            message = commands.get()
            if message is None or message.get("cmd") == "shutdown":
                if message is not None:
                    bridge.reply({"id": message.get("id"), "ok": True, "recoveries": bridge.recoveries})
                break
            try:
                result = bridge.execute(message)
                for line in result["lines"]:
                    protocol.write(line + "\n")
                reply = result["reply"]
                if reply.get("ok"):
                    reply["worker"] = bridge.worker
                    if len(bridge.recoveries) > bridge.reported:
                        reply["recoveries"] = bridge.recoveries[bridge.reported:]
                        bridge.reported = len(bridge.recoveries)
                bridge.reply(reply)
            except Exception as error:
                bridge.reply({"id": message.get("id"), "error": {"kind": "internal", "message": "on the Dask cluster: %s: %s" % (type(error).__name__, error), "trace": traceback.format_exc()[-4000:]}})
    finally:
        try:
            if bridge.actor is not None:
                bridge.actor.close().result(timeout=10)
        except Exception:
            pass
        protocol.flush()
        client.close()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m segloss_torch.cluster", description="segloss's runner bridge to a Dask cluster")
    parser.add_argument("--probe", metavar="ADDRESS", help="report the cluster's workers and problems as one JSON line, then exit")
    parser.add_argument("--scheduler", metavar="ADDRESS")
    parser.add_argument("--worker", metavar="ADDRESS", help="the worker whose actor runs the commands")
    parser.add_argument("--shared", action="store_true", help="segloss's files are on a folder every worker reads at the same path (--cache-dir)")
    args = parser.parse_args(argv)
    if args.probe:
        sys.stdout.write(json.dumps(probe(args.probe)) + "\n")
        return 0
    if not args.scheduler or not args.worker:
        parser.error("--scheduler and --worker are needed (or --probe)")
    serve(args.scheduler, args.worker, args.shared)
    return 0


if __name__ == "__main__":
    sys.exit(main())
