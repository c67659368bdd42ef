#!/usr/bin/env bash
# SGEMM at N^3 (default 1024^3) on 1 and 2 threads: eoslab (JMH, bench/src/main/java/eoslab/bench/GemmBench.java)
# against numpy matmul on OpenBLAS, measured in this one script. Writes bench/results/gemm-<UTC date>.md.
#
#   bench/gemm.sh                      # build target/benchmarks.jar, run everything, write the report
#   SKIP_BUILD=1 bench/gemm.sh         # reuse target/benchmarks.jar
#
# Knobs (environment): N=1024, THREADS="1 2", JMH_WI=5 JMH_I=10 (warm-up / measured 1 s iterations),
# NP_WARMUP=10 NP_REPEATS=30 (numpy calls per round; two rounds around each JMH run, pooled),
# OPENBLAS_DIR (a directory holding OpenBLAS's libblas.so.3, put first on LD_LIBRARY_PATH so numpy
# uses it; default: Debian's openblas-pthread directory when it exists),
# OB_FORCE_CORE=SapphireRapids (on AVX-512 machines also time OpenBLAS with OPENBLAS_CORETYPE set to
# this, because an older OpenBLAS may not recognise a new CPU and fall back to an SSE3 kernel; empty
# to skip), JMH_IGNORE_LOCK=1 (run even if another JMH holds /tmp/jmh.lock; only on a machine that
# is shared anyway). The ratio is taken against the faster OpenBLAS run, so it is never flattered.
set -euo pipefail

cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
PY=/usr/bin/python3
N="${N:-1024}"
THREADS="${THREADS:-1 2}"
JMH_WI="${JMH_WI:-5}"
JMH_I="${JMH_I:-10}"
NP_WARMUP="${NP_WARMUP:-10}"
NP_REPEATS="${NP_REPEATS:-30}"
OB_FORCE_CORE="${OB_FORCE_CORE-SapphireRapids}"
if [[ -z "${OPENBLAS_DIR:-}" && -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ]]; then
  OPENBLAS_DIR=/usr/lib/x86_64-linux-gnu/openblas-pthread
fi

"$JAVA" -version 2>&1 | grep -q 'version "2[5-9]' || { echo "gemm.sh: need JDK 25+ at JAVA_HOME=$JAVA_HOME" >&2; exit 2; }
$PY -c 'import numpy' || { echo "gemm.sh: $PY has no numpy" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  echo "== building target/benchmarks.jar (mvn -Pbench)"
  mvn -B -q -Pbench -DskipTests package
fi
[[ -f target/benchmarks.jar ]] || { echo "gemm.sh: target/benchmarks.jar missing (run without SKIP_BUILD=1)" >&2; exit 2; }

# numpy/OpenBLAS: one process per thread count (OPENBLAS_NUM_THREADS is read at load time) and per
# core type. For each thread count: numpy, then JMH, then numpy again, so the two sides are measured
# within a minute of each other and see the same (possibly drifting) machine load.
run_numpy() { # threads round
  LD_LIBRARY_PATH="${OPENBLAS_DIR:-}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" OPENBLAS_NUM_THREADS=$1 \
    OMP_NUM_THREADS=$1 $PY bench/numpy_matmul.py "$N" "$NP_WARMUP" "$NP_REPEATS" > "$work/np-auto-$1-$2.json"
  if [[ -n "$OB_FORCE_CORE" ]] && grep -qw avx512f /proc/cpuinfo; then
    LD_LIBRARY_PATH="${OPENBLAS_DIR:-}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" OPENBLAS_NUM_THREADS=$1 \
      OMP_NUM_THREADS=$1 OPENBLAS_CORETYPE="$OB_FORCE_CORE" \
      $PY bench/numpy_matmul.py "$N" "$NP_WARMUP" "$NP_REPEATS" > "$work/np-forced-$1-$2.json"
  fi
}

for t in $THREADS; do
  echo "== $t thread(s): numpy/OpenBLAS, round 1"
  run_numpy "$t" 1
  echo "== $t thread(s): eoslab SGEMM (JMH)"
  "$JAVA" ${JMH_IGNORE_LOCK:+-Djmh.ignoreLock=true} -jar target/benchmarks.jar 'eoslab.bench.GemmBench.sgemm$' -p n="$N" -p threads="$t" \
    -wi "$JMH_WI" -i "$JMH_I" -rf json -rff "$work/jmh-$t.json" | grep -E '^(Iteration|GemmBench)' || true
  [[ -s "$work/jmh-$t.json" ]] || { echo "gemm.sh: the JMH run for $t thread(s) failed" >&2; exit 1; }
  echo "== $t thread(s): numpy/OpenBLAS, round 2"
  run_numpy "$t" 2
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p bench/results
out="bench/results/gemm-$(date -u +%Y-%m-%d).md"
commit="$(git rev-parse HEAD)$(git diff --quiet HEAD -- src pom.xml bench 2>/dev/null || echo ' (with uncommitted changes)')"
WORK="$work" OUT="$out" N="$N" THREADS="$THREADS" COMMIT="$commit" LOAD_BEFORE="$load_before" LOAD_AFTER="$load_after" \
  CPU="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)" NCPU="$(nproc)" \
  AVX="$(grep -o 'avx[^ ]*' /proc/cpuinfo | sort -u | tr '\n' ' ')" \
  JDK="$("$JAVA" -version 2>&1 | head -2 | tail -1)" OPENBLAS_DIR="${OPENBLAS_DIR:-}" OB_FORCE_CORE="$OB_FORCE_CORE" \
  $PY - <<'EOF'
import glob, json, os, statistics
from datetime import datetime, timezone

E = os.environ
work, n = E["WORK"], int(E["N"])
threads = E["THREADS"].split()
flop = 2.0 * n ** 3

def median(xs):
    return statistics.median(xs)

# JMH: AverageTime in ms/op; every measured iteration is one sample.
jmh = {}
for r in [r for p in sorted(glob.glob(f"{work}/jmh-*.json")) for r in json.load(open(p))]:
    ms = [x for fork in r["primaryMetric"]["rawData"] for x in fork]
    jmh[r["params"]["threads"]] = [flop / (x * 1e6) for x in ms]

def numpy_runs(kind, t):
    runs = [json.load(open(p)) for p in sorted(glob.glob(f"{work}/np-{kind}-{t}-*.json"))]
    return runs, [g for r in runs for g in r["gflops"]]

rows, info = [], {}
for t in threads:
    e = jmh[t]
    auto_runs, auto = numpy_runs("auto", t)
    forced_runs, forced = numpy_runs("forced", t)
    info[t] = (auto_runs, forced_runs)
    best = max(median(auto), median(forced) if forced else 0.0)
    rows.append((t, median(e), min(e), max(e), len(e), median(auto), len(auto),
                 median(forced) if forced else None, len(forced), median(e) / best))

auto0 = info[threads[0]][0][0]
forced0 = info[threads[0]][1][0] if info[threads[0]][1] else None
L = []
L.append(f"# SGEMM {n}^3: eoslab vs numpy/OpenBLAS\n")
L.append(f"- date (UTC): {datetime.now(timezone.utc):%Y-%m-%d %H:%M}")
L.append(f"- machine: {E['CPU']}, {E['NCPU']} CPUs; {E['AVX']}")
L.append(f"- load average (1/5/15 min) before: {E['LOAD_BEFORE']}, after: {E['LOAD_AFTER']}")
L.append(f"- commit: {E['COMMIT']}")
L.append(f"- JDK: {E['JDK']}")
L.append(f"- numpy {auto0['numpy']}; BLAS libraries loaded: {', '.join(auto0['blas_libs'])}")
L.append(f"- OpenBLAS as detected: core `{auto0['openblas_core']}` ({auto0['openblas_config']})")
if forced0:
    L.append(f"- OpenBLAS with OPENBLAS_CORETYPE={E['OB_FORCE_CORE']}: core `{forced0['openblas_core']}`")
L.append("- method: eoslab through `CpuBackend.gemm` (F32, no transposes, beta = 0) in JMH "
         "(AverageTime, 1 s iterations after warm-up); numpy `matmul(a, b, out=c)` timed per call after "
         "warm-up, two rounds (just before and just after the JMH run of the same thread count) pooled. GFLOP/s = 2 n^3 / time; all values are medians. "
         "Ratio = eoslab / the faster OpenBLAS configuration.")
L.append("")
L.append("| threads | eoslab GFLOP/s (min-max, samples) | OpenBLAS detected core | OpenBLAS forced core | eoslab / OpenBLAS |")
L.append("|---|---|---|---|---|")
for (t, em, emin, emax, en, am, an, fm, fn, ratio) in rows:
    fcol = f"{fm:.1f} ({fn})" if fm is not None else "-"
    L.append(f"| {t} | {em:.1f} ({emin:.1f}-{emax:.1f}, {en}) | {am:.1f} ({an}) | {fcol} | {ratio:.2f} |")
L.append("")
open(E["OUT"], "w").write("\n".join(L) + "\n")
print("\n".join(L))
print(f"written {E['OUT']}")
EOF
