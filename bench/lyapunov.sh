#!/usr/bin/env bash
# Cost of one Lyapunov-tracker step on a ~100k-parameter MLP (784-128-10, F32, full batch n=256) at
# k = 8 and 32, on the CPU, against one HVP, one training step, k batched HVPs and the QR alone, all
# measured in one JMH process (bench/src/main/java/eoslab/bench/LyapunovBench.java). Writes
# bench/results/lyapunov-<UTC date>.md.
#
#   bench/lyapunov.sh                  # build target/benchmarks.jar, run, write the report
#   SKIP_BUILD=1 bench/lyapunov.sh     # reuse target/benchmarks.jar
#
# Then the same operations again in interleaved rounds (LyapunovBench.main): each round times every
# operation once, so the ratios are formed within a round and survive a load that drifts between the
# JMH benchmarks; both tables go into the report.
#
# Knobs (environment): KS="8,32", N=256 (examples in the full batch), JMH_WI=3 JMH_I=5 JMH_R=2s
# (warm-up iterations / measured iterations / iteration time), ROUNDS=12 (interleaved rounds),
# THREADS (eoslab's CPU pool, eoslab.threads; default all cores).
set -euo pipefail

cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
PY=/usr/bin/python3
KS="${KS:-8,32}"
N="${N:-256}"
JMH_WI="${JMH_WI:-3}"
JMH_I="${JMH_I:-5}"
ROUNDS="${ROUNDS:-12}"
JMH_R="${JMH_R:-2s}"

"$JAVA" -version 2>&1 | grep -q 'version "2[5-9]' || { echo "lyapunov.sh: need JDK 25+ at JAVA_HOME=$JAVA_HOME" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  echo "== building target/benchmarks.jar (mvn -Pbench)"
  mvn -B -q -o -Pbench -DskipTests package || mvn -B -q -Pbench -DskipTests package
fi
[[ -f target/benchmarks.jar ]] || { echo "lyapunov.sh: target/benchmarks.jar missing (run without SKIP_BUILD=1)" >&2; exit 2; }

jvm_threads=()
[[ -n "${THREADS:-}" ]] && jvm_threads=(-jvmArgsAppend "-Deoslab.threads=$THREADS")
echo "== eoslab Lyapunov tracker (JMH)"
"$JAVA" -jar target/benchmarks.jar 'eoslab.bench.LyapunovBench' -p k="$KS" -p n="$N" "${jvm_threads[@]}" \
  -wi "$JMH_WI" -i "$JMH_I" -w "$JMH_R" -r "$JMH_R" -rf json -rff "$work/jmh.json" 2>&1 | grep -E '^LyapunovBench|^Benchmark |ms/op' || true
echo "== interleaved rounds"
for k in ${KS//,/ }; do
  "$JAVA" --add-modules jdk.incubator.vector -Xmx4g ${THREADS:+-Deoslab.threads=$THREADS} \
    -cp target/benchmarks.jar eoslab.bench.LyapunovBench "$k" "$N" "$ROUNDS" > "$work/inter-$k.json"
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p bench/results
out="bench/results/lyapunov-$(date -u +%Y-%m-%d).md"
commit="$(git rev-parse HEAD)$([[ -z "$(git status --porcelain -- src pom.xml bench/src bench/lyapunov.sh 2>/dev/null)" ]] || echo ' (with uncommitted changes)')"
WORK="$work" OUT="$out" N="$N" COMMIT="$commit" LOAD_BEFORE="$load_before" LOAD_AFTER="$load_after" \
  CPU="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)" NCPU="$(nproc)" \
  JDK="$("$JAVA" -version 2>&1 | head -2 | tail -1)" JMH_R="$JMH_R" ROUNDS="$ROUNDS" THREADS="${THREADS:-all cores}" \
  $PY - <<'EOF'
import json, os, statistics
from datetime import datetime, timezone

E = os.environ
runs = json.load(open(f"{E['WORK']}/jmh.json"))
# AverageTime in ms/op; every measured iteration is one sample; medians throughout.
ms = {}
for r in runs:
    name = r["benchmark"].rsplit(".", 1)[1]
    xs = [x for fork in r["primaryMetric"]["rawData"] for x in fork]
    ms[(int(r["params"]["k"]), name)] = xs

ks = sorted({k for k, _ in ms})
med = {key: statistics.median(v) for key, v in ms.items()}

def cell(k, name):
    xs = ms[(k, name)]
    return f"{med[(k, name)]:.2f} ({min(xs):.2f}-{max(xs):.2f})"

inter = {}
for k in ks:
    inter[k] = json.load(open(f"{E['WORK']}/inter-{k}.json"))

L = ["# Lyapunov tracker cost per step (CPU)\n"]
L.append(f"- date (UTC): {datetime.now(timezone.utc):%Y-%m-%d %H:%M}")
L.append(f"- machine: {E['CPU']}, {E['NCPU']} CPUs; eoslab threads: {E['THREADS']}")
L.append(f"- load average (1/5/15 min) before: {E['LOAD_BEFORE']}, after: {E['LOAD_AFTER']}")
L.append("- **the machine is shared and was loaded by other jobs during the run** (see the load averages, "
         "well above the core count): absolute times are inflated and noisy; the ratios, measured in the "
         "same process minutes apart, are the meaningful figures, and even they carry the load's noise.")
L.append(f"- commit: {E['COMMIT']}")
L.append(f"- JDK: {E['JDK']}")
L.append(f"- model: MLP 784-128-10 (ReLU, bias, MSE), 101,770 parameters, float32, full-batch GD over "
         f"n = {E['N']} Gaussian-cluster examples; QR = CholeskyQR with float64 Gram matrices, in place (a second pass only if the first fails its check)")
L.append(f"- method: JMH AverageTime, {E['JMH_R']} iterations after warm-up, one fork; ms per operation, "
         "median (min-max) over the measured iterations. Tracker step = `opt.step` with k tangents "
         "(gradient + k HVPs in one primal pass) + QR, i.e. one step of `LyapunovTracker.run` at qrInterval 1.")
L.append("")
L.append("| k | tracker step | 1 HVP | train step | k HVPs batched | QR |")
L.append("|---|---|---|---|---|---|")
for k in ks:
    L.append(f"| {k} | " + " | ".join(cell(k, b) for b in ["trackerStep", "hvp", "trainStep", "hvpBatched", "qr"]) + " |")
L.append("")
L.append("| k | step / HVP | step / train step | QR share of step | step / (k HVPs + QR) (target ≤ 1.2) |")
L.append("|---|---|---|---|---|")
for k in ks:
    s = med[(k, "trackerStep")]
    ratio = s / (med[(k, "hvpBatched")] + med[(k, "qr")])
    L.append(f"| {k} | {s / med[(k, 'hvp')]:.1f} | {s / med[(k, 'trainStep')]:.1f} | "
             f"{med[(k, 'qr')] / s:.1%} | {ratio:.2f}{'' if ratio <= 1.2 else ' (above target)'} |")
L.append("")
L.append(f"## Interleaved rounds ({E['ROUNDS']} rounds; every operation timed once per round, cheap ones repeated "
         "to >= 50 ms; ratios formed within each round, then the median over rounds)\n")
L.append("| k | tracker step | 1 HVP | train step | k HVPs batched | QR |")
L.append("|---|---|---|---|---|---|")
for k in ks:
    r = inter[k]
    L.append(f"| {k} | " + " | ".join(f"{statistics.median(r[b]):.2f}" for b in ["trackerStep", "hvp", "trainStep", "hvpBatched", "qr"]) + " |")
L.append("")
L.append("| k | step / HVP | step / train step | QR share of step | step / (k HVPs + QR) (target ≤ 1.2), min-max over rounds |")
L.append("|---|---|---|---|---|")
for k in ks:
    r = inter[k]
    rounds = range(len(r["trackerStep"]))
    per = lambda f: statistics.median([f(i) for i in rounds])
    tgt = [r["trackerStep"][i] / (r["hvpBatched"][i] + r["qr"][i]) for i in rounds]
    m = statistics.median(tgt)
    L.append(f"| {k} | {per(lambda i: r['trackerStep'][i] / r['hvp'][i]):.1f} | "
             f"{per(lambda i: r['trackerStep'][i] / r['trainStep'][i]):.1f} | "
             f"{per(lambda i: r['qr'][i] / r['trackerStep'][i]):.1%} | "
             f"{m:.2f} ({min(tgt):.2f}-{max(tgt):.2f}){'' if m <= 1.2 else ' (above target)'} |")
L.append("")
L.append("The tracker step split into its two parts, timed inside the same calls (medians over rounds, ms):\n")
L.append("| k | tangent step (gradient + k HVPs + updates) | its QR | tangent step / k HVPs batched | QR / k HVPs batched |")
L.append("|---|---|---|---|---|")
for k in ks:
    r = inter[k]
    rounds = range(len(r["trackerStep"]))
    L.append(f"| {k} | {statistics.median(r['trackerTangent']):.2f} | {statistics.median(r['trackerQr']):.2f} | "
             f"{statistics.median([r['trackerTangent'][i] / r['hvpBatched'][i] for i in rounds]):.2f} | "
             f"{statistics.median([r['trackerQr'][i] / r['hvpBatched'][i] for i in rounds]):.2f} |")
L.append("")
open(E["OUT"], "w").write("\n".join(L) + "\n")
print("\n".join(L))
print(f"written {E['OUT']}")
EOF
