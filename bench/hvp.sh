#!/usr/bin/env bash
# One exact HVP against one gradient on a ~1M-parameter MLP (bench/src/main/java/eoslab/bench/HvpBench.java).
# Writes bench/results/hvp-<UTC date>.md with medians, the ratios to one gradient, machine, commit and JDK.
#
#   bench/hvp.sh                 # build target/benchmarks.jar and run
#   SKIP_BUILD=1 bench/hvp.sh    # reuse target/benchmarks.jar
# Knobs: THREADS="2" (engine threads), JMH_WI=5 JMH_I=10 (warm-up / measured 2 s iterations).
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
THREADS="${THREADS:-2}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  echo "== building target/benchmarks.jar (mvn -Pbench)"
  mvn -B -q -Pbench -DskipTests package
fi
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
"$JAVA" -jar target/benchmarks.jar 'eoslab.bench.HvpBench' -p threads="${THREADS// /,}" \
  -wi "${JMH_WI:-5}" -i "${JMH_I:-10}" -rf json -rff "$work/hvp.json" | grep -E '^(Benchmark|HvpBench)' || true
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
mkdir -p bench/results
out="bench/results/hvp-$(date -u +%Y%m%d-%H%M).md"
/usr/bin/python3 - "$work/hvp.json" "$out" "$load_before" "$load_after" "$("$JAVA" -version 2>&1 | head -1)" "${JMH_WI:-5}" "${JMH_I:-10}" <<'PY'
import json, sys, statistics, subprocess, platform
res, out, lb, la, jdk, wi, it = sys.argv[1:]
rows = {}
for b in json.load(open(res)):
    name = b["benchmark"].rsplit(".", 1)[1]
    thr = b["params"]["threads"]
    raw = [x for it in b["primaryMetric"]["rawData"] for x in it]
    rows[(name, thr)] = statistics.median(raw)
model = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True).stdout.strip()
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
lines = ["# HVP vs gradient, MLP 784-1024-256-10 (1,068,810 parameters), 512 examples, float32", "",
         f"- machine: {model}, {platform.machine()}, load average before/after {lb} / {la}",
         f"- commit: {commit}{' (with uncommitted changes)' if dirty else ''}", f"- JDK: {jdk}",
         f"- command: `bench/hvp.sh` (JMH, medians of {it} measured 2 s iterations after {wi} warm-up ones)", "",
         "| threads | gradient (ms) | HVP (ms) | HVP / gradient | gradient+HVP shared (ms) | 8 HVPs in one pass (ms) | per HVP / gradient |",
         "|---|---|---|---|---|---|---|"]
for thr in sorted({t for _, t in rows}):
    g, h, gh, h8 = (rows[(n, thr)] for n in ("gradient", "hvp", "gradientAndHvp", "hvp8"))
    lines.append(f"| {thr} | {g:.2f} | {h:.2f} | **{h/g:.2f}x** | {gh:.2f} | {h8:.2f} | {h8/8/g:.2f}x |")
lines += ["", "Target (issue 2): one HVP <= 3x one gradient."]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
echo "== wrote $out"
