"""Re-executes the running PyTorch script with OpenBLAS preloaded.

Debian's python3-torch calls whatever libblas.so.3 the alternatives system
selects; with the reference (netlib) BLAS, decoding and training run several
times slower. Without changing the system-wide alternative, a script calls
use_openblas() before it imports torch: if OpenBLAS (OpenMP flavour, so that
OMP_WAIT_POLICY=PASSIVE governs its threads) is installed, or was unpacked by
tools/train/run_training.sh, the process re-executes itself with it preloaded.
numpy's libcblas would otherwise pull in the system libblas first, hence
LD_PRELOAD rather than LD_LIBRARY_PATH alone.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPENBLAS_DIRS = (
    "/usr/lib/x86_64-linux-gnu/openblas-openmp",
    os.path.join(ROOT, "tools/train/runs/openblas/usr/lib/x86_64-linux-gnu/openblas-openmp"),
)


def openblas_dir():
    for directory in OPENBLAS_DIRS:
        if os.path.exists(os.path.join(directory, "libblas.so.3")):
            return directory
    return None


def use_openblas(threads=2):
    """Returns when OpenBLAS is preloaded or unavailable; otherwise re-executes."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
    directory = openblas_dir()
    if directory is None:
        print("note: OpenBLAS (libopenblas0-openmp) not found; PyTorch uses the system BLAS",
              file=sys.stderr)
        return
    library = os.path.join(directory, "libblas.so.3")
    # Only a script file can be re-executed (not `python3 -c` or a REPL).
    if not os.path.isfile(sys.argv[0]) or library in os.environ.get("LD_PRELOAD", "").split(":"):
        return
    for name, value in (("LD_LIBRARY_PATH", directory), ("LD_PRELOAD", library)):
        current = os.environ.get(name)
        os.environ[name] = value + (":" + current if current else "")
    os.execv(sys.executable, [sys.executable] + sys.argv)
