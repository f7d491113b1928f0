"""The long-lived runner: one process per device, JSON lines on stdin (commands) and stdout
(replies), everything else (warnings, stray prints) on stderr, which segloss keeps the tail of.

Commands (each {"id": n, "cmd": ...}); every command gets one final reply {"id": n, "ok": true, ...}
or {"id": n, "error": {"kind": "oom"|"input"|"internal", "message", "trace"}}:
  init        {cache, device, threads, channelsLast}     -> {device, torch, threads}
  create_run  {run, model, weightsFile, layout, seed, lossFile, clipNorm}  -> {parameters}
  train       {run, steps: [{crops, size, lr, progress}]} -> per step {"id", "step", "loss", "seconds"}
                                                             then {"ok", "losses", "aborted", "cpuSeconds"}
  predict_val {run, out, indices?}                        -> labels (uint8) of every val image (or of `indices`, verify --folds) written to `out`
  forward     {run, input, output, n, height, width}      -> logits NHWC float32 (tests)
  cut         {crops, size, out}                          -> the batch's images (float32 NHWC) then labels (int64) (tests)
  dispose_run {run}
  shutdown
  abort       {target}: the train command `target` stops before its next step (no reply of its own).
When stdin ends (segloss exited or is closing), the current train command stops at its next step.
SIGINT is ignored: Ctrl-C reaches the runner as `abort` from segloss, which keeps what finished.
"""
import importlib.util
import inspect
import json
import math
import os
import queue
import signal
import sys
import threading
import time
import traceback

import numpy as np
import torch

from .data import DataCache
from .models import build_model
from .orphans import remove_if_orphaned

MAX_TILE = 256  # src/engine/predict.ts


class Run:
    def __init__(self, model, optimizer, loss, takes_progress, clip_norm):
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.takes_progress = takes_progress
        self.clip_norm = clip_norm
        self.parameters = [p for p in model.parameters() if p.requires_grad]


def load_loss_module(path, name):
    """Imports the snippet `segloss export --to pytorch` wrote for the run's recipe."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for required in ("compute_loss", "make_optimizer"):
        if not callable(getattr(module, required, None)):
            raise ValueError("%s defines no %s()" % (path, required))
    return module


def takes_progress(function):
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return "progress" in parameters or len(parameters) >= 3


class Runner:
    def __init__(self, out):
        self.out = out
        self.cache = None
        self.cache_folder = None
        self.device = torch.device("cpu")
        self.channels_last = False
        self.runs = {}
        self.aborted = set()
        self.closed = False  # stdin ended: segloss is gone or closing, so training stops at the next step
        self.lock = threading.Lock()

    def reply(self, message):
        self.out.write(json.dumps(message, allow_nan=False) + "\n")
        self.out.flush()

    # -- commands ---------------------------------------------------------------------------

    def init(self, message):
        self.cache = DataCache(message["cache"])
        self.cache_folder = message["cache"]
        self.device = resolve_device(message.get("device") or "cpu")
        threads = message.get("threads")
        if threads:
            torch.set_num_threads(int(threads))
        self.channels_last = bool(message.get("channelsLast")) and self.device.type != "mps"
        if self.device.type == "cuda":
            # Same seed, same numbers where cuDNN allows it (its autotuner would pick kernels by timing).
            torch.backends.cudnn.benchmark = False
            torch.backends.cudnn.deterministic = True
        reply = {"device": str(self.device), "torch": torch.__version__, "threads": torch.get_num_threads()}
        spec = message.get("model")
        if spec and spec.get("name", "unet") != "unet":
            # Built once here so a bad smp name or weights file fails at start, and to count its parameters.
            reply["parameters"] = sum(p.numel() for p in build_model(spec, None, [], 0).parameters())
        return reply

    def create_run(self, message):
        run_id = message["run"]
        if run_id in self.runs:
            raise ValueError("run %s exists" % run_id)
        flat = np.fromfile(message["weightsFile"], dtype=np.float32) if message.get("weightsFile") else None
        model = build_model(message["model"], flat, message.get("layout") or [], int(message["seed"]))
        model = model.to(self.device)
        if self.channels_last:
            model = model.to(memory_format=torch.channels_last)
        module = load_loss_module(message["lossFile"], "segloss_loss_%d" % len(self.runs))
        optimizer = module.make_optimizer(model)
        run = Run(model, optimizer, module.compute_loss, takes_progress(module.compute_loss), message.get("clipNorm"))
        self.runs[run_id] = run
        return {"parameters": sum(p.numel() for p in run.parameters)}

    def train(self, message):
        run = self.get_run(message["run"])
        run.model.train()
        losses = []
        aborted = False
        cpu_start = time.process_time()
        for index, step in enumerate(message["steps"]):
            if self.is_aborted(message["id"]):
                aborted = True
                break
            start = time.perf_counter()
            loss = self.train_step(run, step)
            losses.append(finite_or_none(loss))
            self.reply({"id": message["id"], "step": index, "loss": finite_or_none(loss), "seconds": time.perf_counter() - start})
        return {"losses": losses, "aborted": aborted, "cpuSeconds": time.process_time() - cpu_start}

    def train_step(self, run, step):
        images, labels = self.cache.batch(step["crops"], int(step["size"]))
        x = self.to_input(images)
        y = torch.from_numpy(labels).to(self.device, non_blocking=True)
        for group in run.optimizer.param_groups:
            group["lr"] = float(step["lr"])
        run.optimizer.zero_grad(set_to_none=True)
        logits = run.model(x)
        loss = run.loss(logits, y, float(step["progress"])) if run.takes_progress else run.loss(logits, y)
        value = float(loss.detach())
        if not math.isfinite(value):
            return value  # the weights stay as they were; segloss decides about divergence
        loss.backward()
        # As the snippet's train_step (clip_grad_norm_ when the recipe clips); the norm is checked
        # either way, as the TypeScript engine does, so a non-finite gradient never reaches the weights.
        norm = torch.nn.utils.clip_grad_norm_(run.parameters, max_norm=run.clip_norm if run.clip_norm is not None else float("inf"))
        if not math.isfinite(float(norm)):
            return float("nan")
        run.optimizer.step()
        return value

    def to_input(self, nhwc):
        x = torch.from_numpy(nhwc).to(self.device, non_blocking=True).permute(0, 3, 1, 2)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x.contiguous()

    @torch.no_grad()
    def predict_val(self, message):
        run = self.get_run(message["run"])
        run.model.eval()
        multiple = int(getattr(run.model, "size_multiple", 1))
        sizes = []
        # verify --folds: a run is scored on its fold's images only (indices into the cache's val).
        indices = message.get("indices")
        if indices is None:
            indices = range(len(self.cache.val))
        elif not isinstance(indices, list) or not all(isinstance(i, int) and 0 <= i < len(self.cache.val) for i in indices):
            raise ValueError("predict_val: indices must be a list of val image indices")
        with open(message["out"], "wb") as handle:
            for index in indices:
                image, _ = self.cache.val[index]
                h, w = image.shape[:2]
                padded = self.cache.padded_val(index, multiple)
                labels = self.predict_padded(run.model, padded)
                handle.write(np.ascontiguousarray(labels[:h, :w]).astype(np.uint8).tobytes())
                sizes.append([w, h])
        return {"sizes": sizes}

    def predict_padded(self, model, padded):
        """Whole image up to MAX_TILE a side, else a grid of MAX_TILE tiles (src/engine/predict.ts)."""
        pad_h, pad_w = padded.shape[:2]
        tile_h, tile_w = min(pad_h, MAX_TILE), min(pad_w, MAX_TILE)
        out = np.zeros((pad_h, pad_w), dtype=np.int64)
        for y0 in tile_starts(pad_h, tile_h):
            for x0 in tile_starts(pad_w, tile_w):
                tile = np.ascontiguousarray(padded[y0: y0 + tile_h, x0: x0 + tile_w])[None]
                logits = model(self.to_input(tile))
                out[y0: y0 + tile_h, x0: x0 + tile_w] = logits.argmax(dim=1)[0].cpu().numpy()
        return out

    @torch.no_grad()
    def forward(self, message):
        run = self.get_run(message["run"])
        run.model.eval()
        n, h, w = int(message["n"]), int(message["height"]), int(message["width"])
        images = np.fromfile(message["input"], dtype=np.float32).reshape(n, h, w, self.cache.channels)
        logits = run.model(self.to_input(images)).permute(0, 2, 3, 1).contiguous().cpu().numpy()
        logits.astype(np.float32).tofile(message["output"])
        return {}

    def cut(self, message):
        images, labels = self.cache.batch(message["crops"], int(message["size"]))
        with open(message["out"], "wb") as handle:
            handle.write(images.tobytes())
            handle.write(labels.tobytes())
        return {}

    def dispose_run(self, message):
        self.runs.pop(message["run"], None)
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        return {}

    # -- plumbing ---------------------------------------------------------------------------

    def get_run(self, run_id):
        if self.cache is None:
            raise ValueError("the runner was not initialised")
        run = self.runs.get(run_id)
        if run is None:
            raise ValueError("no run %s" % run_id)
        return run

    def is_aborted(self, command_id):
        with self.lock:
            return self.closed or command_id in self.aborted

    def handle(self, message):
        command = message.get("cmd")
        handler = {
            "init": self.init,
            "create_run": self.create_run,
            "train": self.train,
            "predict_val": self.predict_val,
            "forward": self.forward,
            "cut": self.cut,
            "dispose_run": self.dispose_run,
        }.get(command)
        if handler is None:
            raise ValueError("unknown command %r" % command)
        return handler(message)


def finite_or_none(value):
    """JSON has no NaN: a non-finite loss travels as null (segloss reads it back as NaN)."""
    return value if math.isfinite(value) else None


def tile_starts(size, tile):
    starts = list(range(0, size - tile, tile)) if size > tile else []
    starts.append(size - tile)
    return starts


def resolve_device(name):
    if name == "cpu":
        return torch.device("cpu")
    if name == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise DeviceError("MPS was asked for but torch.backends.mps.is_available() is False")
        return torch.device("mps")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise DeviceError("%s was asked for but torch.cuda.is_available() is False (torch %s, built for CUDA %s)" % (name, torch.__version__, torch.version.cuda))
        device = torch.device(name)
        index = device.index if device.index is not None else torch.cuda.current_device()
        if index >= torch.cuda.device_count():
            raise DeviceError("%s was asked for but torch sees %d CUDA device(s)" % (name, torch.cuda.device_count()))
        torch.cuda.set_device(index)
        return torch.device("cuda", index)
    raise DeviceError("unknown device %r (expected cpu, cuda, cuda:N or mps)" % name)


class DeviceError(ValueError):
    kind = "device"


def error_kind(error):
    if isinstance(error, DeviceError):
        return "device"
    oom = getattr(torch.cuda, "OutOfMemoryError", None)
    if (oom is not None and isinstance(error, oom)) or "out of memory" in str(error).lower():
        return "oom"
    if isinstance(error, (ValueError, KeyError, FileNotFoundError)):
        return "input"
    return "internal"


def read_commands(stream, commands, runner):
    """Reader thread: queues commands; `abort` takes effect at once (the main thread may be training).

    Whatever a line holds, the thread goes on, and when the stream ends or cannot be read it tells
    the main thread (a None command), which would otherwise wait for a command forever.
    """
    try:
        for line in stream:
            line = line.strip()
            if not line:
                continue
            try:
                message = json.loads(line)
            except ValueError:
                sys.stderr.write("segloss runner: ignoring a line that is not JSON: %r\n" % line[:200])
                continue
            if not isinstance(message, dict):
                sys.stderr.write("segloss runner: ignoring a JSON line that is not an object: %r\n" % line[:200])
                continue
            if message.get("cmd") == "abort":
                with runner.lock:
                    runner.aborted.add(message.get("target"))
                continue
            commands.put(message)
    except Exception as error:  # an unreadable stream (bad UTF-8, a closed pipe): end like EOF
        sys.stderr.write("segloss runner: stopped reading commands: %s: %s\n" % (type(error).__name__, error))
    finally:
        with runner.lock:
            runner.closed = True
        commands.put(None)


def main():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
    sys.stdout = sys.stderr  # a stray print (a snippet, a library) must not corrupt the protocol
    runner = Runner(protocol)
    commands = queue.Queue()
    threading.Thread(target=read_commands, args=(sys.stdin, commands, runner), daemon=True).start()
    try:
        serve(runner, commands, protocol)
    finally:
        # Input ended (or the reply pipe broke): when segloss is gone (killed), its data cache goes
        # with the runner, whatever the last reply did.
        runner.cache = None
        remove_if_orphaned(runner.cache_folder)


def serve(runner, commands, protocol):
    runner.reply({"ready": True, "torch": torch.__version__, "pid": os.getpid()})
    while True:
        message = commands.get()
        if message is None or message.get("cmd") == "shutdown":
            if message is not None:
                runner.reply({"id": message.get("id"), "ok": True})
            break
        try:
            result = runner.handle(message)
            runner.reply(dict(result, id=message.get("id"), ok=True))
        except Exception as error:
            if error_kind(error) == "oom" and torch.cuda.is_available():
                torch.cuda.empty_cache()
            runner.reply({"id": message.get("id"), "error": {"kind": error_kind(error), "message": "%s: %s" % (type(error).__name__, error), "trace": traceback.format_exc()[-4000:]}})
        finally:
            with runner.lock:
                runner.aborted.discard(message.get("id"))
    protocol.flush()
