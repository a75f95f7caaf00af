"""The machine a benchmark ran on, which every benchmark prints above its table and puts
in its JSON under ``"machine"``: ratios between int8 and fp32 paths (and between crawl
paths sharing the CPUs) differ from one CPU to the next, so a figure without its CPU
cannot be compared.

    python -m benchmarks.machine
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

CPUINFO = Path("/proc/cpuinfo")
# The instructions ONNX Runtime's int8 kernels can use: AVX-512 VNNI (Cascade Lake,
# Zen 4), AVX-VNNI (Alder Lake), AMX (Sapphire Rapids). Without them int8 gains little.
INT8_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8", "amx_tile")


def _cpuinfo_fields(text: str) -> dict[str, str]:
    """The first processor's ``key: value`` lines."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return fields


def describe(cpuinfo: Path = CPUINFO) -> dict[str, Any]:
    """CPU model, which of :data:`INT8_FLAGS` it has, cores this process may use, load."""
    try:
        fields = _cpuinfo_fields(cpuinfo.read_text(encoding="utf-8"))
    except OSError:  # not Linux: the model name is all there is
        fields = {}
    flags = set(fields.get("flags", "").split())
    return {
        "cpu": fields.get("model name") or platform.processor() or "unknown",
        "int8_flags": [flag for flag in INT8_FLAGS if flag in flags],
        "avx512f": "avx512f" in flags,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        # A shared machine's other work slows every figure; the load says how much.
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def cpu_line(machine: dict[str, Any]) -> str:
    """One line for above a benchmark's table."""
    flags = ", ".join(machine["int8_flags"]) or "none"
    return (f"CPU: {machine['cpu']}, {machine['cores']} cores, int8 flags: {flags}, "
            f"load {machine['load_average_1m']}")


def announce() -> dict[str, Any]:
    """Print the CPU line and return what it described, for the benchmark's JSON."""
    machine = describe()
    print(cpu_line(machine), flush=True)
    return machine


if __name__ == "__main__":
    announce()


def write_figures(path: Path | None, figures: dict[str, Any]) -> None:
    """Write a benchmark's figures as JSON to ``path`` (its ``--json``), if one was given."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
