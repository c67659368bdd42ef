#!/usr/bin/env bash
# eoslab against PyTorch on this CPU (the laptop case, where most users run it): parts (a) and (b) of
# bench/gpu/run-all.sh with --device cpu, the same scripts the GPU comparison uses:
#   (a) `eoslab train` vs train_torch.py: MLP 3072-512-512-10, full-batch GD on MSE, lambda_max by Lanczos
#       every 32 steps (n = 1000, 200 steps at the default size); whole-process wall times, median of REPEATS;
#   (b) `eoslab bench hvp` vs hvp_torch.py: k = 1, 8, 32 Hessian-vector products over n = 1000.
# PyTorch runs its HVPs both ways: torch.func (vmap of jvp of grad) and the double backward that
# Cohen et al.'s edge-of-stability code uses (a fresh graph per product); each is compared with eoslab.
# Writes bench/results/torch-cpu-<UTC date>.md (machine, commit, the BLAS PyTorch really loaded, medians).
#
#   bench/torch-cpu.sh
#
# Knobs (environment): THREADS (default: all CPUs; both sides), REPEATS (3), SIZE (quick = n 1000, 200
# steps; smoke = tiny, checks the plumbing only), OPENBLAS_DIR, OB_FORCE_CORE (as in bench/gemm.sh).
# The BLAS trap of bench/gemm.sh applies to PyTorch too: Debian's python3-torch links libblas.so.3, which
# may be the reference BLAS. This script puts OpenBLAS first on LD_LIBRARY_PATH and, on AVX-512 machines,
# sets OPENBLAS_CORETYPE (OpenBLAS 0.3.21 does not recognise new Xeons and falls back to SSE3 kernels);
# the report states the library, its core and PyTorch's SGEMM rate, so a crippled reference shows.
set -euo pipefail

cd "$(dirname "$0")/.."
PY="${PY:-/usr/bin/python3}"
THREADS="${THREADS:-$(nproc)}"
REPEATS="${REPEATS:-3}"
SIZE="${SIZE:-quick}"
OB_FORCE_CORE="${OB_FORCE_CORE-SapphireRapids}"
if [[ -z "${OPENBLAS_DIR:-}" && -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ]]; then
  OPENBLAS_DIR=/usr/lib/x86_64-linux-gnu/openblas-pthread
fi
case $SIZE in quick) size=--quick ;; smoke) size=--smoke ;; *) echo "torch-cpu.sh: SIZE must be quick or smoke, not '$SIZE'" >&2; exit 2 ;; esac

$PY -c 'import torch' 2>/dev/null || { echo "torch-cpu.sh: $PY has no torch (Debian: apt-get install python3-torch liblapack3)" >&2; exit 2; }
$PY -c 'import torch.func' 2>/dev/null || $PY -c 'import functorch' 2>/dev/null \
  || { echo "torch-cpu.sh: $PY's torch has neither torch.func nor functorch" >&2; exit 2; }
[[ -n "${OPENBLAS_DIR:-}" ]] || echo "torch-cpu.sh: no OpenBLAS found (install libopenblas0-pthread): PyTorch uses whatever libblas.so.3 is" >&2

export LD_LIBRARY_PATH="${OPENBLAS_DIR:-}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS" EOSLAB_THREADS="$THREADS"
if [[ -n "$OB_FORCE_CORE" ]] && grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE="$OB_FORCE_CORE"; fi

echo "== building the jar"
./eoslab --version > /dev/null
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# What PyTorch really runs on: the BLAS it mapped, OpenBLAS's core, its threads, SGEMM 1024^3 GFLOP/s.
blas="$($PY - <<'EOF'
import ctypes, statistics, time
import torch
a, b = torch.rand(1024, 1024), torch.rand(1024, 1024)
for _ in range(5):
    a @ b
g = []
for _ in range(20):
    t0 = time.perf_counter(); a @ b; g.append(2 * 1024 ** 3 / (time.perf_counter() - t0) / 1e9)
libs = sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l.lower() and l.split()[-1].startswith("/")})
core = "?"
for p in libs:
    if "libopenblas" in p:
        lib = ctypes.CDLL(p); lib.openblas_get_corename.restype = ctypes.c_char_p
        core = lib.openblas_get_corename().decode()
print("torch %s, %d threads; BLAS %s (OpenBLAS core %s); torch SGEMM 1024^3: %.0f GFLOP/s (median of 20)"
      % (torch.__version__, torch.get_num_threads(), ", ".join(libs) or "none mapped", core, statistics.median(g)))
EOF
)"
echo "$blas"

EOSLAB="$PWD/eoslab" EOSLAB_SKIP_DOCTOR=1 bench/gpu/run-all.sh --device cpu $size --only ab --repeats "$REPEATS" \
  --hvp-methods functorch,autograd --out "$work/out"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p bench/results
out="bench/results/torch-cpu-$(date -u +%Y-%m-%d).md"
commit="$(git rev-parse --short=12 HEAD)$(git diff --quiet HEAD -- src pom.xml bench 2>/dev/null || echo ' (with uncommitted changes)')"
{
  echo "# eoslab vs PyTorch on the CPU: training with lambda_max, and batched HVPs"
  echo
  echo "- command: \`bench/torch-cpu.sh\` (THREADS=$THREADS REPEATS=$REPEATS SIZE=$SIZE)"
  echo "- commit: $commit"
  echo "- CPU: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(nproc) CPUs; both sides use $THREADS threads"
  echo "- JDK: $("${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java" -version 2>&1 | head -2 | tail -1)"
  echo "- PyTorch: $blas; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-auto}"
  echo "- load average before / after: $load_before / $load_after"
  echo
  for p in a b; do sed -e '1s/^# /## /' -e '/^- \(date\|device\|eoslab\|torch\|host\):/d' "$work/out/results-$p.md"; echo; done
} > "$out"
echo "== wrote $out"
