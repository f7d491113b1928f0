"""What this Python offers segloss, as one JSON line: versions of Python, numpy, torch (and
segmentation_models_pytorch when present), CUDA devices and MPS. Each import is tried on its own
so a missing or broken package is named, never a traceback."""
import json
import platform
import sys


def _try_import(name):
    try:
        module = __import__(name)
        return module, None
    except Exception as error:  # ImportError, or a broken install raising anything else
        return None, "%s: %s" % (type(error).__name__, str(error).strip().splitlines()[0] if str(error).strip() else "")


def probe():
    report = {
        "python": platform.python_version(),
        "executable": sys.executable,
        "numpy": None,
        "numpyError": None,
        "torch": None,
        "torchError": None,
        "cuda": False,
        "cudaDevices": [],
        "mps": False,
        "smp": None,
    }
    numpy, report["numpyError"] = _try_import("numpy")
    if numpy is not None:
        report["numpy"] = numpy.__version__
    torch, report["torchError"] = _try_import("torch")
    if torch is None:
        return report
    report["torch"] = torch.__version__
    try:
        report["cuda"] = bool(torch.cuda.is_available())
        if report["cuda"]:
            report["cudaDevices"] = [
                {"name": torch.cuda.get_device_name(i), "memoryBytes": int(torch.cuda.get_device_properties(i).total_memory)}
                for i in range(torch.cuda.device_count())
            ]
    except Exception as error:
        report["cudaError"] = str(error).splitlines()[0] if str(error) else type(error).__name__
    mps = getattr(getattr(torch, "backends", None), "mps", None)
    try:
        report["mps"] = bool(mps is not None and mps.is_available())
    except Exception:
        report["mps"] = False
    smp, _ = _try_import("segmentation_models_pytorch")
    if smp is not None:
        report["smp"] = getattr(smp, "__version__", "unknown")
    return report


if __name__ == "__main__":
    sys.stdout.write(json.dumps(probe()) + "\n")
