"""Times numpy float32 matmul C (n, n) = A (n, n) B (n, n), the OpenBLAS reference for bench/gemm.sh.

Run with OPENBLAS_NUM_THREADS set by the caller (the thread count is fixed when OpenBLAS loads).
Prints one JSON object: the BLAS library numpy actually loaded (from /proc/self/maps), OpenBLAS's
core name and thread count, and the per-repeat GFLOP/s after warm-up.
"""
import ctypes
import json
import sys
import time

import numpy as np

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
warmup = int(sys.argv[2]) if len(sys.argv) > 2 else 10
repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 30

rng = np.random.default_rng(42)
a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
c = np.empty((n, n), dtype=np.float32)

# Which BLAS did numpy load? Debian's numpy links libblas.so.3, which is reference BLAS unless the
# OpenBLAS alternative (or LD_LIBRARY_PATH) points it at OpenBLAS.
libs = sorted({line.split()[-1] for line in open("/proc/self/maps")
               if "blas" in line.lower() and line.split()[-1].startswith("/")})
core, nthreads, config = None, None, None
openblas = [p for p in libs if "openblas" in p.lower() and "libopenblas" in p.lower()]
if openblas:
    lib = ctypes.CDLL(openblas[0])
    lib.openblas_get_corename.restype = ctypes.c_char_p
    lib.openblas_get_config.restype = ctypes.c_char_p
    core = lib.openblas_get_corename().decode()
    config = lib.openblas_get_config().decode()
    nthreads = lib.openblas_get_num_threads()

for _ in range(warmup):
    np.matmul(a, b, out=c)
gflops = []
for _ in range(repeats):
    t0 = time.perf_counter()
    np.matmul(a, b, out=c)
    gflops.append(2.0 * n ** 3 / (time.perf_counter() - t0) / 1e9)

print(json.dumps({"n": n, "numpy": np.__version__, "blas_libs": libs, "openblas_core": core,
                  "openblas_config": config, "openblas_threads": nthreads, "gflops": gflops}))
