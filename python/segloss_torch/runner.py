"""The long-lived runner: one process per device, JSON lines on stdin (commands) and stdout
(replies), everything else (warnings, stray prints) on stderr, which segloss keeps the tail of.

Commands (each {"id": n, "cmd": ...}); every command gets one final reply {"id": n, "ok": true, ...}
or {"id": n, "error": {"kind": "oom"|"input"|"internal", "message", "trace"}}:
  init        {cache, device, threads, channelsLast, precision, deterministic}
                                                          -> {device, torch, threads, precision, deterministic, dataOnDevice}
  create_run  {run, model, weightsFile, layout, seed, lossFile, clipNorm}  -> {parameters}
  train       {run, steps: [{crops, size, lr, progress}], timing?}
                                                          -> {"ok", "losses", "aborted", "cpuSeconds"[, "phaseSeconds"]}
                                                             one reply per round: the losses stay on the device
                                                             until its end (step.py)
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

from .crops import CropCutter
from .data import DataCache
from .models import build_model
from .orphans import remove_if_orphaned
from .step import DeviceGuard, check_precision, autocast_for, train_round

MAX_TILE = 256  # src/engine/predict.ts


class Run:
    def __init__(self, model, optimizer, loss, takes_progress, clip_norm, scaler=None):
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.takes_progress = takes_progress
        self.clip_norm = clip_norm
        self.parameters = [p for p in model.parameters() if p.requires_grad]
        self.scaler = scaler
        self.guard = DeviceGuard(optimizer, self.parameters)


def load_loss_module(path, name):
    """Imports the snippet `segloss export --to pytorch` wrote for the run's recipe."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for required in ("compute_loss", "make_optimizer"):
        if not callable(getattr(module, required, None)):
            raise ValueError("%s defines no %s()" % (path, required))
    return module


def move_constants(module, device):
    """The loss module's fixed tensors (CLASS_WEIGHTS, ...) on the device once, so the snippet's
    per-call `.to(logits.device, ...)` is a no-op instead of a host-to-device copy every step."""
    for name, value in list(vars(module).items()):
        if torch.is_tensor(value) and value.device != device:
            setattr(module, name, value.to(device))


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
        self.cutter = None
        self.precision = "fp32"
        self.guard = "host"
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
        self.precision = message.get("precision") or "fp32"
        check_precision(self.device, self.precision)
        deterministic = message.get("deterministic", True) is not False
        if self.device.type == "cuda":
            # Deterministic: same seed, same numbers where cuDNN allows it. Otherwise cuDNN's
            # autotuner picks the fastest kernels by timing them (faster, not reproducible).
            torch.backends.cudnn.benchmark = not deterministic
            torch.backends.cudnn.deterministic = deterministic
        # The CPU reads a loss for free; an accelerator keeps them until the round ends (step.py).
        # "guard" is a test hook that runs the device guard on the CPU.
        self.guard = message.get("guard") or ("host" if self.device.type == "cpu" else "device")
        self.cutter = CropCutter(self.cache, self.device)
        reply = {
            "device": str(self.device), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "precision": self.precision, "deterministic": deterministic, "dataOnDevice": self.cutter.on_device,
        }
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
        move_constants(module, self.device)
        optimizer = module.make_optimizer(model)
        scaler = torch.cuda.amp.GradScaler() if self.precision == "fp16" and self.device.type == "cuda" else None
        run = Run(model, optimizer, module.compute_loss, takes_progress(module.compute_loss), message.get("clipNorm"), scaler)
        self.runs[run_id] = run
        return {"parameters": sum(p.numel() for p in run.parameters)}

    def train(self, message):
        run = self.get_run(message["run"])
        run.model.train()
        cpu_start = time.process_time()
        options = {"device": self.device, "guard": self.guard, "precision": self.precision, "channels_last": self.channels_last}
        losses, aborted, phases = train_round(run, message["steps"], self.cutter, options, lambda: self.is_aborted(message["id"]), timing=bool(message.get("timing")))
        reply = {"losses": [finite_or_none(v) for v in losses], "aborted": aborted, "cpuSeconds": time.process_time() - cpu_start}
        if message.get("timing"):
            reply["phaseSeconds"] = phases
        return reply

    def to_input(self, nhwc):
        x = torch.from_numpy(nhwc).to(self.device, non_blocking=True).permute(0, 3, 1, 2)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x.contiguous()

    @torch.no_grad()
    def predict_val(self, message):
        """Every val image's labels, kept on the device and read back once (not once per tile)."""
        run = self.get_run(message["run"])
        run.model.eval()
        multiple = int(getattr(run.model, "size_multiple", 1))
        sizes, predictions = [], []
        # verify --folds: a run is scored on its fold's images only (indices into the cache's val).
        indices = message.get("indices")
        if indices is None:
            indices = range(len(self.cache.val))
        elif not isinstance(indices, list) or not all(isinstance(i, int) and 0 <= i < len(self.cache.val) for i in indices):
            raise ValueError("predict_val: indices must be a list of val image indices")
        for index in indices:
            image, _ = self.cache.val[index]
            h, w = image.shape[:2]
            padded = self.padded_val(index, multiple)
            predictions.append(self.predict_padded(run.model, padded)[:h, :w].reshape(-1))
            sizes.append([w, h])
        labels = torch.cat(predictions).cpu().numpy() if predictions else np.zeros(0, np.uint8)
        with open(message["out"], "wb") as handle:
            handle.write(labels.tobytes())
        return {"sizes": sizes}

    def padded_val(self, index, multiple):
        """Val image `index` normalised on the device, NCHW (1, C, H', W'), zero-padded (the channel mean) to a multiple of `multiple`."""
        image, _ = self.cache.val[index]
        h, w = image.shape[:2]
        pad_h, pad_w = -(-h // multiple) * multiple, -(-w // multiple) * multiple
        pixels = torch.from_numpy(np.ascontiguousarray(image)).to(self.device)[None]
        out = torch.zeros((1, self.cache.channels, pad_h, pad_w), dtype=torch.float32, device=self.device)
        out[:, :, :h, :w] = self.cutter.normalise(pixels)
        return out

    def predict_padded(self, model, padded):
        """Whole image up to MAX_TILE a side, else a grid of MAX_TILE tiles (src/engine/predict.ts); uint8 labels on the device."""
        pad_h, pad_w = padded.shape[-2:]
        tile_h, tile_w = min(pad_h, MAX_TILE), min(pad_w, MAX_TILE)
        out = torch.zeros((pad_h, pad_w), dtype=torch.uint8, device=self.device)
        for y0 in tile_starts(pad_h, tile_h):
            for x0 in tile_starts(pad_w, tile_w):
                tile = padded[:, :, y0: y0 + tile_h, x0: x0 + tile_w].contiguous()
                if self.channels_last:
                    tile = tile.contiguous(memory_format=torch.channels_last)
                with autocast_for(self.device, self.precision):
                    logits = model(tile)
                out[y0: y0 + tile_h, x0: x0 + tile_w] = logits.float().argmax(dim=1)[0].to(torch.uint8)
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
        """The batch the train command would cut (CropCutter), written back as NHWC float32 then int64 labels."""
        if self.cutter is None:
            raise ValueError("the runner was not initialised")
        x, y = self.cutter.batch(message["crops"], int(message["size"]))
        with open(message["out"], "wb") as handle:
            handle.write(x.permute(0, 2, 3, 1).contiguous().cpu().numpy().tobytes())
            handle.write(y.cpu().numpy().astype(np.int64).tobytes())
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


def read_commands(stream, commands, on_abort, on_end, who="runner"):
    """Reader thread: queues commands; `abort` is handed to `on_abort` at once (the main thread may
    be training). Whatever a line holds, the thread goes on, and when the stream ends or cannot be
    read it calls `on_end` and tells the main thread (a None command), which would otherwise wait
    for a command forever. Shared by the runner and the Dask bridge (cluster.py).
    """
    try:
        for line in stream:
            line = line.strip()
            if not line:
                continue
            try:
                message = json.loads(line)
            except ValueError:
                sys.stderr.write("segloss %s: ignoring a line that is not JSON: %r\n" % (who, line[:200]))
                continue
            if not isinstance(message, dict):
                sys.stderr.write("segloss %s: ignoring a JSON line that is not an object: %r\n" % (who, line[:200]))
                continue
            if message.get("cmd") == "abort":
                on_abort(message.get("target"))
                continue
            commands.put(message)
    except Exception as error:  # an unreadable stream (bad UTF-8, a closed pipe): end like EOF
        sys.stderr.write("segloss %s: stopped reading commands: %s: %s\n" % (who, type(error).__name__, error))
    finally:
        on_end()
        commands.put(None)


def reader_callbacks(runner):
    """The runner's abort (a target to stop before its next step) and end of input (stop training)."""

    def on_abort(target):
        with runner.lock:
            runner.aborted.add(target)

    def on_end():
        with runner.lock:
            runner.closed = True

    return on_abort, on_end


def main():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
    sys.stdout = sys.stderr  # a stray print (a snippet, a library) must not corrupt the protocol
    runner = Runner(protocol)
    commands = queue.Queue()
    threading.Thread(target=read_commands, args=(sys.stdin, commands, *reader_callbacks(runner)), daemon=True).start()
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
