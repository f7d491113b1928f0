"""A round of training steps without waiting for the device between them.

The old runner read the loss and the gradient norm back to the host every step (float(loss),
float(norm)), which on a GPU makes the device idle while Python decides. Here the round's losses
stay on the device and are read once at its end, and a non-finite step still leaves the weights
untouched:
- `host` guard (the CPU, where a read costs nothing): exactly the old order of operations (a
  non-finite loss returns before backward; a non-finite gradient norm skips the optimiser), so a
  CPU run's numbers are the old ones bit for bit.
- `device` guard (CUDA, MPS): `ok = isfinite(loss) & isfinite(norm)` is a device tensor; the
  optimiser always steps, and every device tensor it changed (weights, moments) is put back with
  torch.where(ok, new, old). Once a step is not finite the rest of the round is masked too (a
  sticky flag: verify ends a run at its first non-finite loss), and optimiser state kept on the
  host (Adam's step counters in torch < 2) is restored at the round's end to what it was before
  that step.
Precision: fp32 (default, reproducible), bf16 or fp16 autocast for the model; the loss is computed
in fp32 on the model's output; fp16 scales the loss with torch.cuda.amp.GradScaler (which reads
its overflow flag on the host each step, torch's own design).
Timing (bench:train): the seconds spent in forward (model + loss), backward and the optimiser,
from CUDA events read at the round's end on a GPU, perf_counter on the CPU; the rest of the
round's wall time is the runner's overhead.
"""
import contextlib
import math
import time

import torch

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def autocast_for(device, precision):
    """A context manager for the forward pass in `precision` on `device` (a no-op for fp32)."""
    dtype = PRECISIONS[precision]
    if dtype is None:
        return contextlib.nullcontext()
    if device.type == "cpu" and dtype is not torch.bfloat16:
        raise ValueError("--precision %s needs a GPU (PyTorch's CPU autocast runs bf16 only); use --precision bf16 or fp32 on the CPU" % precision)
    if device.type == "mps":
        raise ValueError("--precision %s is not supported on MPS by this runner; use fp32" % precision)
    return torch.autocast(device_type=device.type, dtype=dtype)


def check_precision(device, precision):
    if precision not in PRECISIONS:
        raise ValueError("unknown precision %r (expected fp32, bf16 or fp16)" % precision)
    autocast_for(device, precision)  # raises for a combination the device cannot run


class Timer:
    """Seconds per phase over a round: CUDA events (read once at the end) or perf_counter."""

    def __init__(self, device, enabled):
        self.enabled = enabled
        self.cuda = enabled and device.type == "cuda"
        self.marks = []  # (phase, start, end)
        self.host = {"forward": 0.0, "backward": 0.0, "optimizer": 0.0}

    def mark(self):
        if not self.enabled:
            return None
        if self.cuda:
            event = torch.cuda.Event(enable_timing=True)
            event.record()
            return event
        return time.perf_counter()

    def add(self, phase, start, end):
        if not self.enabled:
            return
        if self.cuda:
            self.marks.append((phase, start, end))
        else:
            self.host[phase] += end - start

    def seconds(self):
        if self.cuda and self.marks:
            self.marks[-1][2].synchronize()
            for phase, start, end in self.marks:
                self.host[phase] += start.elapsed_time(end) / 1000.0
            self.marks = []
        return dict(self.host)


class DeviceGuard:
    """Puts back what an optimiser step changed when the device flag `ok` is false (see the module note)."""

    def __init__(self, optimizer, parameters):
        self.optimizer = optimizer
        self.parameters = parameters
        self.healthy = None
        self.host_before = []  # per step of the round: the host-side state tensors before it

    def start_round(self, device):
        self.healthy = torch.ones((), dtype=torch.bool, device=device)
        self.host_before = []

    def _state_tensors(self):
        device, host = [], []
        for state in self.optimizer.state.values():
            for key, value in state.items():
                if torch.is_tensor(value):
                    (host if value.device.type == "cpu" else device).append((state, key, value))
        return device, host

    def step(self, ok, do_step):
        self.healthy = self.healthy & ok
        ok = self.healthy
        device_state, host_state = self._state_tensors()
        self.host_before.append([(state, key, value.clone()) for state, key, value in host_state])
        known = {id(value) for _, _, value in device_state}
        saved = [(p, p.detach().clone()) for p in self.parameters] + [(value, value.clone()) for _, _, value in device_state]
        do_step()
        with torch.no_grad():
            for tensor, old in saved:
                tensor.copy_(torch.where(ok, tensor, old))
            # State the step created (Adam's moments, SGD's momentum at the first step): as if never made.
            for state, key, value in self._state_tensors()[0]:
                if id(value) not in known:
                    value.copy_(torch.where(ok, value, torch.zeros_like(value)))

    def end_round(self, first_bad):
        """Host-side optimiser state back to before step `first_bad` (None: every step was finite)."""
        if first_bad is not None and first_bad < len(self.host_before):
            for state, key, value in self.host_before[first_bad]:
                state[key] = value
        self.host_before = []


def gradient_norm(run, max_norm):
    """The gradients' 2-norm, clipping them to `max_norm` when the recipe clips (the snippet's
    clip_grad_norm_, exactly); without clipping only the norm is needed (for the finiteness check),
    and one fused _foreach_norm costs a third of clip_grad_norm_'s per-parameter loop."""
    if max_norm != float("inf") or not hasattr(torch, "_foreach_norm"):
        return torch.nn.utils.clip_grad_norm_(run.parameters, max_norm=max_norm)
    grads = [p.grad for p in run.parameters if p.grad is not None]
    if not grads:
        return torch.zeros((), device=run.parameters[0].device if run.parameters else None)
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))


def train_round(run, steps, cutter, options, is_aborted, timing=False):
    """Trains `steps` ([{crops, size, lr, progress}]); returns (losses as floats or NaN, aborted, phase seconds)."""
    device = options["device"]
    guard_mode = options["guard"]
    timer = Timer(device, timing)
    losses = []  # host floats (host guard) or 0-dim device tensors (device guard)
    aborted = False
    if guard_mode == "device":
        run.guard.start_round(device)
    for step in steps:
        if is_aborted():
            aborted = True
            break
        losses.append(_step(run, step, cutter, options, timer))
    if guard_mode == "device":
        values = torch.stack(losses).float().cpu().tolist() if losses else []
        first_bad = next((i for i, v in enumerate(values) if not math.isfinite(v)), None)
        run.guard.end_round(first_bad)
        # The masked steps after the first non-finite one trained nothing: they report as not finite.
        losses = values if first_bad is None else values[: first_bad + 1] + [float("nan")] * (len(values) - first_bad - 1)
    return losses, aborted, timer.seconds()


def _step(run, step, cutter, options, timer):
    x, y = cutter.batch(step["crops"], int(step["size"]), options["channels_last"])
    for group in run.optimizer.param_groups:
        group["lr"] = float(step["lr"])
    run.optimizer.zero_grad(set_to_none=True)
    start = timer.mark()
    with autocast_for(options["device"], options["precision"]):
        logits = run.model(x)
    logits = logits.float()  # the loss in fp32 (a no-op in fp32)
    loss = run.loss(logits, y, float(step["progress"])) if run.takes_progress else run.loss(logits, y)
    forward_end = timer.mark()
    timer.add("forward", start, forward_end)
    max_norm = run.clip_norm if run.clip_norm is not None else float("inf")
    if options["guard"] == "host":
        value = float(loss.detach())
        if not math.isfinite(value):
            return value  # the weights stay as they were; segloss decides about divergence
        loss.backward()
        backward_end = timer.mark()
        timer.add("backward", forward_end, backward_end)
        # As the snippet's train_step (clip_grad_norm_ when the recipe clips); the norm is checked
        # either way, as the TypeScript engine does, so a non-finite gradient never reaches the weights.
        norm = gradient_norm(run, max_norm)
        if not math.isfinite(float(norm)):
            return float("nan")
        optimizer_start = timer.mark()
        run.optimizer.step()
        timer.add("optimizer", optimizer_start, timer.mark())
        return value
    scaler = run.scaler
    (scaler.scale(loss) if scaler is not None else loss).backward()
    backward_end = timer.mark()
    timer.add("backward", forward_end, backward_end)
    if scaler is not None:
        scaler.unscale_(run.optimizer)
    norm = gradient_norm(run, max_norm)
    ok = torch.isfinite(loss.detach())
    if scaler is None:
        ok = ok & torch.isfinite(norm)  # with a scaler, an overflowing step is the scaler's to skip
    optimizer_start = timer.mark()
    run.guard.step(ok, (lambda: scaler.step(run.optimizer)) if scaler is not None else run.optimizer.step)
    if scaler is not None:
        scaler.update()
    timer.add("optimizer", optimizer_start, timer.mark())
    return loss.detach()
