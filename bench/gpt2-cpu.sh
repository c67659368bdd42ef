#!/usr/bin/env bash
# GPT-2 on the CPU: one AdamW training step, and one HVP vs one gradient (k = 1 and 8 directions per
# pass), on GPT-2 124M's shape with LAYERS of its 12 blocks (default 2, so it runs in ~2 min on 2 cores).
# Runs `eoslab bench gpt2` (src/main/java/eoslab/bench/Gpt2Bench.java) and writes
# bench/results/gpt2-cpu-<UTC date>.md with the machine, commit, JDK, command and output.
#   bench/gpt2-cpu.sh            knobs (environment): LAYERS=2 B=2 T=128 KS=1,8 REPEATS=3 WARMUP=1
set -euo pipefail
cd "$(dirname "$0")/.."
LAYERS="${LAYERS:-2}" B="${B:-2}" T="${T:-128}" KS="${KS:-1,8}" REPEATS="${REPEATS:-3}" WARMUP="${WARMUP:-1}"
cmd=(./eoslab bench gpt2 --model gpt2-124M --layers "$LAYERS" --batch "$B" --seq-len "$T" --parts d,e --k "$KS"
     --repeats "$REPEATS" --warmup "$WARMUP")
commit="$(git rev-parse --short HEAD)$([[ -z "$(git status --porcelain --untracked-files=no)" ]] || echo ' (with uncommitted changes)')"
load0="$(cut -d' ' -f1-3 /proc/loadavg)"
out="$("${cmd[@]}" 2>&1 | grep -v '^WARNING')"
load1="$(cut -d' ' -f1-3 /proc/loadavg)"
report="bench/results/gpt2-cpu-$(date -u +%Y-%m-%d).md"
jdk="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
{
  echo "# GPT-2-shaped model on the CPU: training step and HVP cost (eoslab bench gpt2)"
  echo
  echo "- date (UTC): $(date -u '+%Y-%m-%d %H:%M'); machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs"
  echo "- load average (1/5/15 min) before: $load0, after: $load1"
  echo "- commit: $commit"
  echo "- JDK: $("$jdk/bin/java" -version 2>&1 | sed -n 2p)"
  echo "- command: \`${cmd[*]}\` (bench/gpt2-cpu.sh)"
  echo "- model: GPT-2 124M's shape (V = 50257, C = 768, H = 12) with $LAYERS of its 12 blocks; random tokens; float32; medians"
  echo
  echo '```'
  echo "$out"
  echo '```'
  echo
  echo "Reading: per linear map, the HVP pass runs 8 GEMMs (forward, R-forward 2, the backward's dX, R-backward 4)"
  echo "against the gradient's 3 (forward, dX, dW), so one HVP costs at least about 2.7 gradients when GEMMs dominate;"
  echo "batched directions share the primal forward and backward."
} > "$report"
echo "written $report"
