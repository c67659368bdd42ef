#!/usr/bin/env bash
# Fused vs materialized attention core on the CPU (issue #6), one process: the core alone (forward +
# backward) and Gpt2 with one block (V = 256) at a tiny shape and GPT-2 124M's block shape (T = 1024,
# H = 12, C = 768), loss+grad and loss+grad+1 HVP. Writes bench/results/attention-<UTC date>.md.
#   bench/attention.sh               # build target/benchmarks.jar (mvn -Pbench), run, write the report
#   SKIP_BUILD=1 bench/attention.sh  # reuse target/benchmarks.jar
#   THREADS=2 (Parallel threads)
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  echo "== building target/benchmarks.jar (mvn -Pbench)"
  mvn -B -q -Pbench -DskipTests package
fi
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
result="$("$JAVA" --add-modules jdk.incubator.vector -Xmx8g -cp target/benchmarks.jar eoslab.bench.AttentionPathBench "${THREADS:-2}" 2>/dev/null)"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
mkdir -p bench/results
out="bench/results/attention-$(date -u +%Y-%m-%d).md"
{
  echo "# Attention core: fused (CpuAttention) vs materialized (GEMMs + causal softmax), CPU"
  echo
  echo "- machine: $(lscpu | sed -n 's/^Model name: *//p'), load average before/after $load_before / $load_after"
  echo "- commit: $(git rev-parse --short HEAD)$([[ -n "$(git status --porcelain --untracked-files=no)" ]] && echo ' (with uncommitted changes)')"
  echo "- command: \`bench/attention.sh\` (medians; ratio = fused / materialized, below 1 means fused is faster)"
  echo
  echo '```'
  echo "$result"
  echo '```'
} > "$out"
cat "$out"
