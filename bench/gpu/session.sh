#!/usr/bin/env bash
# One GPU session, from the eoslab image (bin/eoslab-gpu-session), in priority order and inside a budget:
#   env     nvidia-smi -q, the commit, where libcuda / libcublas.so.13 / libcusolver.so.12 were found
#   doctor  bin/eoslab doctor (driver, GPU, libraries, kernels, the full parity table)
#   test    bin/eoslab-test (every GPU parity test), JUnit XML + the tree output
#   a b c d e f   bench/gpu/run-all.sh --only <part>: (a) the paper-sized baseline vs PyTorch, (b) batched
#           HVPs, (c) tall QR vs HBM bandwidth, (d) GPT-2 training tokens/s, (e) GPT-2 HVP cost, (f) the
#           GPT-2 Lyapunov step
# Each step has its own timeout (its estimate x 2, capped by what is left of the budget), so one hang
# cannot eat the session; a step whose estimate no longer fits is skipped and says so.
#
#   bin/eoslab-gpu-session --out DIR [--budget MIN] [--steps env,doctor,test,a,b,c,d,e,f] [--quick]
#                          [--repeats N] [--python PY] [--cifar DIR] [--work DIR]
#   bin/eoslab-gpu-session --out DIR --smoke --device cpu      (tiny sizes on the CPU: checks the plumbing)
#
# DIR receives three files only (the device tool brings back at most 8 files, 2 folders deep):
#   summary.md      the plan, each step's status and time, the results-*.md tables, the test counts
#   session.log     everything printed
#   session.tar.gz  every log, results-*.md, doctor.txt, nvidia-smi.txt, junit/*.xml, test-tree.txt, runs' metrics
# The work happens in --work (default /tmp/eoslab-session-<date>), which is packed at the end.
# Budget: default 25 min; one device-tool command may run 10 min, so a session on that tool is several
# calls with --budget 9 and a --steps list each (docs/gpu.md, "A session with the device tool").
set -uo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="" work="" budget=25 steps="env,doctor,test,a,b,c,d,e,f" device=cuda mode=full repeats="" py=python3 cifar=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --budget) budget="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --device) device="$2"; shift 2 ;;
    --smoke) mode=smoke; shift ;;
    --quick) mode=quick; shift ;;
    --repeats) repeats="$2"; shift 2 ;;
    --python) py="$2"; shift 2 ;;
    --cifar) cifar="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "session.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -n "$out" ]] || { echo "session.sh: --out DIR is required" >&2; exit 2; }
[[ "$budget" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "session.sh: --budget $budget: minutes expected" >&2; exit 2; }
[[ $mode != smoke || $device != cuda ]] || { echo "session.sh: --smoke runs on --device cpu (say so)" >&2; exit 2; }
mkdir -p "$out" && out="$(cd "$out" && pwd)"
work="${work:-/tmp/eoslab-session-$(date -u +%Y%m%d-%H%M%S)}"
mkdir -p "$work" && work="$(cd "$work" && pwd)"
# the image's launchers, or a source checkout's (./eoslab, with the test jar built by mvn -Pdist)
eoslab="$root/bin/eoslab"; [[ -x "$eoslab" ]] || eoslab="$root/eoslab"
etest="$root/bin/eoslab-test"
[[ -x "$eoslab" ]] || { echo "session.sh: no bin/eoslab under $root (run from the image)" >&2; exit 1; }
exec > >(tee -a "$out/session.log") 2>&1

t_start=$(date +%s)
left() { awk -v b="$budget" -v e="$(( $(date +%s) - t_start ))" 'BEGIN {printf "%d", b * 60 - e}'; }   # seconds left
summary="$work/summary.md"

# estimates (minutes) per step on one H100, before the first measured session: full sizes / --quick.
# (a) at full size is 3 repeats x (eoslab + PyTorch) of 10,000 GD steps with Lanczos every 32.
declare -A est_full=([env]=0.2 [doctor]=1 [test]=3 [a]=6 [b]=1 [c]=1 [d]=5 [e]=2 [f]=4)
declare -A est_quick=([env]=0.2 [doctor]=1 [test]=3 [a]=1 [b]=0.5 [c]=0.5 [d]=3 [e]=1 [f]=2)
declare -A est_smoke=([env]=0.1 [doctor]=0.3 [test]=1 [a]=1 [b]=1.5 [c]=0.3 [d]=0.5 [e]=0.5 [f]=0.5)   # measured on 2 CPUs: 55, 62, 4, 9, 13, 14 s
est() {
  case $mode in
    full) if [[ $1 == a ]]; then echo $(( 2 * ${repeats:-3} )); else echo "${est_full[$1]}"; fi ;;   # (a): ~2 min per repeat
    quick) echo "${est_quick[$1]}" ;;
    *) echo "${est_smoke[$1]}" ;;
  esac
}
sec() { awk -v m="$1" 'BEGIN {printf "%d", m * 60}'; }

IFS=, read -r -a plan <<< "$steps"
for s in "${plan[@]}"; do [[ -n "${est_full[$s]:-}" ]] || { echo "session.sh: unknown step '$s' (env,doctor,test,a,b,c,d,e,f)" >&2; exit 2; }; done
{
  echo "# eoslab GPU session"
  echo
  echo "- started: $(date -u +%FT%TZ), budget $budget min, mode $mode, device $device, host $(hostname), $(nproc) CPUs"
  echo "- image: $(cat "$root/COMMIT" 2>/dev/null || git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
  echo
  echo "## Plan (estimated minutes; timeout = 2 x estimate + 1, capped by what is left)"
  echo
  echo "| step | what | estimate | timeout |"
  echo "|---|---|---|---|"
} > "$summary"
declare -A what=([env]="nvidia-smi -q, commit, CUDA libraries" [doctor]="bin/eoslab doctor (parity table)" [test]="bin/eoslab-test (GPU parity tests)"
  [a]="(a) branching baseline vs PyTorch" [b]="(b) batched HVP" [c]="(c) tall QR bandwidth" [d]="(d) GPT-2 training tokens/s"
  [e]="(e) GPT-2 gradient vs HVP" [f]="(f) GPT-2 Lyapunov step")
total=0
for s in "${plan[@]}"; do
  e=$(est "$s"); total=$(awk -v a="$total" -v b="$e" 'BEGIN {print a + b}')
  echo "| $s | ${what[$s]} | $e | $(awk -v m="$e" 'BEGIN {printf "%.1f", 2 * m + 1}') |" >> "$summary"
done
echo >> "$summary"
echo "Estimated total: $total min of a $budget min budget." >> "$summary"
cat "$summary"

# CUDA libraries: libcuda from the driver; cuBLAS 13 / cuSOLVER 12 from the loader path, a CUDA toolkit,
# or the nvidia-* wheels of the PyTorch install (site-packages/nvidia/cu13/lib or nvidia/<lib>/lib).
find_libs() {
  local dirs=() d
  for lib in libcublas.so.13 libcusolver.so.12; do
    ldconfig -p 2>/dev/null | grep -q "$lib" && continue
    for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do [[ -e "$d/$lib" ]] && { dirs+=("$d"); continue 2; }; done
    local site; site="$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' 2>/dev/null)"
    [[ -n "$site" && -d "$site/nvidia" ]] && d="$(find "$site/nvidia" -name "$lib" 2>/dev/null | head -1)" && [[ -n "$d" ]] && dirs+=("$(dirname "$d")")
  done
  printf '%s\n' "${dirs[@]}" | sort -u | paste -sd: -
}
if [[ $device == cuda ]]; then
  extra="$(find_libs)"
  [[ -z "$extra" ]] || export LD_LIBRARY_PATH="$extra${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

declare -A status took
run_step() {  # step, command...: runs under timeout; records status and seconds
  local s="$1"; shift
  local e t l; e=$(est "$s"); t=$(sec "$(awk -v m="$e" 'BEGIN {print 2 * m + 1}')"); l=$(left)
  if (( l < $(sec "$e") )); then status[$s]="skipped: $((l / 60)) min left, estimate $e min"; took[$s]=0; echo "== $s: ${status[$s]}"; return; fi
  (( t > l )) && t=$l
  echo "== $s: ${what[$s]} (timeout ${t}s, $((l / 60)) min left) $(date -u +%T)"
  local t0=$(date +%s) rc
  # a child bash runs the step (timeout cannot run shell functions); timeout signals its whole process group
  timeout --kill-after=20 "$t" bash -c '"$@"' step "$@"; rc=$?
  took[$s]=$(( $(date +%s) - t0 ))
  case $rc in 0) status[$s]=ok ;; 124|137) status[$s]="TIMEOUT after ${t}s" ;; *) status[$s]="FAILED (exit $rc)" ;; esac
  echo "== $s: ${status[$s]} in ${took[$s]}s"
}

step_env() {
  { echo "date: $(date -u +%FT%TZ)"; echo "commit: $(cat "$root/COMMIT" 2>/dev/null || echo unknown)"; uname -a; nproc; free -g 2>/dev/null
    echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
    for lib in libcuda.so.1 libcublas.so.13 libcusolver.so.12; do
      echo "$lib: $(ldconfig -p 2>/dev/null | grep -m1 "$lib" | sed 's/.*=> //' || true) $(for d in ${LD_LIBRARY_PATH//:/ }; do [[ -e $d/$lib ]] && echo "$d/$lib"; done)"
    done
    "$py" -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, "GPU", torch.cuda.is_available() and torch.cuda.get_device_name(0))' 2>&1 || true
  } > "$work/env.txt" 2>&1
  cat "$work/env.txt"
  if command -v nvidia-smi >/dev/null; then nvidia-smi -q > "$work/nvidia-smi.txt" 2>&1; nvidia-smi; else echo "no nvidia-smi" | tee "$work/nvidia-smi.txt"; fi
  return 0
}
step_doctor() { "$eoslab" doctor > "$work/doctor.txt" 2>&1; local rc=$?; tail -25 "$work/doctor.txt"; return $rc; }
step_test() {
  [[ -x "$etest" ]] || { echo "no $etest (a source checkout: run mvn test instead)"; return 1; }
  "$etest" --disable-ansi-colors --reports-dir "$work/junit" > "$work/test-tree.txt" 2>&1; local rc=$?
  grep -E "tests (successful|failed|skipped|aborted|found)|MISMATCH|FAIL" "$work/test-tree.txt" | head -40
  # on a GPU none of the default selection may skip: a skip there means CUDA was not usable (see env.txt, doctor.txt)
  local skipped; skipped=$(sed -n 's/^\[ *\([0-9]*\) tests aborted.*/\1/p' "$work/test-tree.txt" | head -1)
  if [[ $rc == 0 && $device == cuda && ${skipped:-0} -gt 0 ]]; then echo "test: $skipped GPU tests skipped: CUDA (or cuSOLVER) was not usable, see env.txt and doctor.txt"; return 3; fi
  return $rc
}
step_part() {
  local p="$1"
  local args=(--out "$work/bench" --only "$p" --python "$py" --device "$device")
  [[ $mode == quick ]] && args+=(--quick)
  [[ $mode == smoke ]] && args+=(--smoke)
  [[ -n "$repeats" ]] && args+=(--repeats "$repeats")
  [[ -n "$cifar" ]] && args+=(--cifar "$cifar")
  # the doctor already ran as its own step: run-all.sh need not rerun the parity table for every part
  EOSLAB_SKIP_DOCTOR=1 EOSLAB="$eoslab" "$here/run-all.sh" "${args[@]}" > "$work/part-$p.log" 2>&1; local rc=$?
  tail -30 "$work/part-$p.log"; return $rc
}

export -f step_env step_doctor step_test step_part
export work eoslab etest py device mode repeats cifar here root
for s in "${plan[@]}"; do
  case $s in
    env) run_step env step_env ;;
    doctor) run_step doctor step_doctor ;;
    test) run_step test step_test ;;
    *) run_step "$s" step_part "$s" ;;
  esac
done

{
  echo
  echo "## Steps"
  echo
  echo "| step | status | seconds |"
  echo "|---|---|---|"
  for s in "${plan[@]}"; do echo "| $s | ${status[$s]} | ${took[$s]} |"; done
  echo
  echo "Total $(( $(date +%s) - t_start )) s of $budget min."
  if [[ -f "$work/doctor.txt" ]]; then echo; echo "## doctor"; echo; echo '```'; grep -E "^(GPU|driver|CUDA|cuBLAS|cuSOLVER|kernels|parity)|FAIL" "$work/doctor.txt" | head -40; echo '```'; fi
  if [[ -f "$work/test-tree.txt" ]]; then echo; echo "## eoslab-test"; echo; echo '```'; grep -E "tests (found|successful|skipped|aborted|failed)|✘" "$work/test-tree.txt" | head -60; echo '```'; fi
  for f in "$work"/bench/results-*.md; do [[ -f "$f" ]] && { echo; cat "$f"; }; done
} >> "$summary"
cp "$summary" "$out/summary.md"
# everything else, packed (metrics of the benchmark runs, not their checkpoints)
tar -C "$work" --exclude='*.safetensors' --exclude='*.png' -czf "$out/session.tar.gz" . 2>/dev/null || true
echo "session: $out/summary.md, $out/session.log, $out/session.tar.gz ($(du -h "$out/session.tar.gz" | cut -f1))"
bad=0; for s in "${plan[@]}"; do [[ ${status[$s]} == ok || ${status[$s]} == skipped* ]] || bad=1; done
exit $bad
