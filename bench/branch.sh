#!/usr/bin/env bash
# CPU wall time per 1,000 steps of the paper-sized branching run (Kwag et al. 2026, §3.1; eoslab branch
# --preset paper): n = 10,000 × 3072 features (CIFAR shape; synthetic Gaussian clusters, because CIFAR-10
# cannot be downloaded here: same arithmetic), MLP 3072-512-512-2 ReLU, full-batch GD, MSE, and the full
# grid diagnostics (λ_1 by warm-started Lanczos, ∇S, per-group gradients) every 32 steps.
# bench/src/main/java/eoslab/bench/BranchBench.java times every step and every grid measurement after a
# warm-up and extrapolates: per 1000 steps = 1000·median(step) + ⌈1000/32⌉·median(measurement).
# Writes bench/results/branch-<UTC date>.md.
#
#   bench/branch.sh                  # build target/benchmarks.jar, run, write the report
#   SKIP_BUILD=1 bench/branch.sh     # reuse target/benchmarks.jar
#
# Knobs (environment): STEPS=96 (timed steps; a few hundred is better on an idle machine, each step is
# seconds), EVERY=32, WARMUP=2, N=10000, FEATURES=3072, HIDDEN=512, THREADS (default: all cores).
set -euo pipefail

cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
STEPS="${STEPS:-96}"
EVERY="${EVERY:-32}"
WARMUP="${WARMUP:-2}"
N="${N:-10000}"
FEATURES="${FEATURES:-3072}"
HIDDEN="${HIDDEN:-512}"

"$JAVA" -version 2>&1 | grep -q 'version "2[5-9]' || { echo "branch.sh: need JDK 25+ at JAVA_HOME=$JAVA_HOME" >&2; exit 2; }
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  echo "== building target/benchmarks.jar (mvn -Pbench)"
  mvn -B -q -Pbench -DskipTests package
fi
[[ -f target/benchmarks.jar ]] || { echo "branch.sh: target/benchmarks.jar missing (run without SKIP_BUILD=1)" >&2; exit 2; }

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
threads_prop=()
[[ -n "${THREADS:-}" ]] && threads_prop=(-Deoslab.threads="$THREADS")
echo "== BranchBench n=$N features=$FEATURES hidden=$HIDDEN steps=$STEPS every=$EVERY warmup=$WARMUP"
start=$(date +%s)
json="$("$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED "${threads_prop[@]}" -Djava.awt.headless=true \
  -cp target/benchmarks.jar eoslab.bench.BranchBench "$N" "$FEATURES" "$HIDDEN" "$STEPS" "$EVERY" "$WARMUP" 2>/dev/null | tail -1)"
end=$(date +%s)
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "$json"

field() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$json" "$1"; }
date_utc="$(date -u +%Y-%m-%d)"
out="bench/results/branch-$date_utc.md"
mkdir -p bench/results
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo '+dirty')"
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
per1000="$(field seconds_per_1000_steps)"
{
  echo "# Branching experiment, paper size, CPU: wall time per 1,000 steps"
  echo
  echo "- date (UTC): $(date -u '+%Y-%m-%d %H:%M')"
  echo "- commit: $commit"
  echo "- JDK: $("$JAVA" -version 2>&1 | head -1)"
  echo "- machine: $cpu, $(nproc) cores visible, $(free -g | awk '/Mem:/{print $2}') GiB RAM"
  echo "- load average before / after: $load_before / $load_after (this machine is shared with other jobs: timings are upper bounds of what an idle machine gives)"
  echo "- data: $N × $FEATURES synthetic Gaussian clusters (CIFAR-10 shape; CIFAR-10 is not available here)"
  echo "- model: $(field model), $(field parameters) parameters; full-batch GD η = 0.01, MSE, init 0.2; $(field threads) threads"
  echo "- timed: $(field timed_steps) steps and $(field timed_grid_measurements) grid measurements after $(field warmup_steps) warm-up steps; wall time of the whole script $((end - start)) s"
  echo
  echo "| quantity | value |"
  echo "|---|---:|"
  echo "| median GD step (s) | $(printf '%.3f' "$(field median_step_seconds)") |"
  echo "| fastest GD step (s) | $(printf '%.3f' "$(field min_step_seconds)") |"
  echo "| median grid measurement: λ_1 + ∇S + 4 group gradients (s) | $(printf '%.3f' "$(field median_measure_seconds)") |"
  echo "| mean Lanczos iterations per measurement | $(printf '%.1f' "$(field mean_lanczos_iterations)") |"
  echo "| **per 1,000 steps, λ_1 every $EVERY (s)** | **$(printf '%.0f' "$per1000")** |"
  echo "| per 1,000 steps, training only (s) | $(printf '%.0f' "$(field seconds_per_1000_steps_training_only)") |"
  echo "| one branch of 10,000 steps, extrapolated (h) | $(/usr/bin/python3 -c "print(f'{10*$per1000/3600:.1f}')") |"
  echo "| prototype taxonomy build, n = $N (s, once per experiment) | $(printf '%.1f' "$(field taxonomy_seconds)") |"
  echo
  echo "The paper preset runs a baseline and an exit branch of up to 10,000 steps for 5 seeds; on this CPU that is the"
  echo "per-branch time above times about 10 (the exit branch starts at t*). It is meant for a GPU (--device cuda)."
} > "$out"
echo "== wrote $out"
