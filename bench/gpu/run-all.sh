#!/usr/bin/env bash
# The GPU benchmarks of the CUDA issue, in one command, on a GPU node with the eoslab image and
# PyTorch (no Java install, no Maven):   bin/eoslab-bench-gpu [options]
#   (a) branching baseline: MLP 2x512 ReLU, n = 10,000 inputs of dim 3072, full-batch GD on MSE,
#       10,000 steps, lambda_max (Lanczos, 20 iterations) every 32 steps:
#       `eoslab train --device cuda` vs train_torch.py (PyTorch eager, torch.func HVPs); wall times, ratio.
#   (b) batched HVP throughput, k = 1, 8, 32: `eoslab bench hvp` vs hvp_torch.py (vmap of jvp of grad).
#   (c) QR of d x k, k = 32, d = 1e6, 1e7, 1e8: `eoslab bench qr` (cuSOLVER, CholeskyQR2) vs HBM bandwidth.
# GPT-2 (issue #6, "Performance"), `eoslab bench gpt2` vs gpt2_torch.py (nanoGPT-style, same init, fp32):
#   (d) training step (forward, backward, AdamW) on GPT-2 124M, B = 8, T = 1024 -> tokens/s; PyTorch fp32
#       eager, plus bf16 eager and bf16 torch.compile for scale; llm.c's published ~470k tokens/s as reference.
#   (e) gradient vs k HVPs (forward-over-reverse): B = 8 at k = 1 and B = 2 at k = 1, 8 (k = 8 at B = 8 does
#       not fit 80 GB: the k tangents of the logits and attention maps) -> HVP cost in gradients.
#   (f) Lyapunov tracker step, B = 2, T = 256: SGD map at k = 8, 32 (both sides), AdamW map at k = 8 (eoslab;
#       its 3d-dimensional tangents at k = 32 do not fit) -> grad+HVPs, update, QR, rest.
# Each writes results-<a|b|c|d|e|f>.md (device, commit, medians) and its raw logs into --out.
# Options: --out DIR (default bench-gpu-results-DATE)  --cifar DIR (CIFAR-10 binary folder; without
#          it both sides use synthetic data of CIFAR's shape)  --python PY (default python3)
#          --quick (n = 1000, 200 steps, d = 1e6; GPT-2 parts with fewer repeats)  --only any of abcdef
#          --repeats N (default 3, for (a))
#          --hvp-methods LIST  PyTorch HVPs for (a) and (b): functorch (default: vmap of jvp of grad) and/or
#          autograd (double backward, a fresh graph per product, as Cohen et al.'s code does it), e.g. functorch,autograd
#          --smoke --device cpu (tiny sizes on the CPU, GPT-2 'tiny' preset: checks the scripts' plumbing, not a benchmark)
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(cd "$here/../.." && pwd)"
eoslab="${EOSLAB:-$root/bin/eoslab}"
py=python3 out="" cifar="" quick=0 only="abcdef" repeats=3 device=cuda hvp_methods=functorch
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --cifar) cifar="$2"; shift 2 ;;
    --python) py="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    --smoke) quick=2; repeats=1; shift ;;
    --device) device="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --hvp-methods) hvp_methods="$2"; shift 2 ;;
    *) echo "run-all.sh: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
out="${out:-bench-gpu-results-$(date -u +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

[[ -x "$eoslab" ]] || { echo "run-all.sh: no $eoslab (run from the eoslab image, or set EOSLAB)" >&2; exit 1; }
if [[ $device == cuda ]]; then
  "$py" -c 'import torch; assert torch.cuda.is_available(), "torch sees no GPU"' || { echo "run-all.sh: $py needs PyTorch with CUDA" >&2; exit 1; }
fi
# `eoslab bench` once Main lists BenchCommand; until then the class's own main (same options).
if "$eoslab" --help 2>/dev/null | grep -q '^ *bench '; then bench=("$eoslab" bench)
else bench=("$root/runtime/bin/java" ${EOSLAB_JAVA_OPTS:-} --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$root/lib/eoslab.jar" eoslab.cli.BenchCommand)
fi

case $quick in
  0) N=10000 NT=1000 STEPS=10000 DS=1000000,10000000,100000000 HREP=20 ;;
  1) N=1000 NT=200 STEPS=200 DS=1000000 HREP=5 ;;
  *) N=64 NT=16 STEPS=40 DS=20000 HREP=2 ;;
esac
# GPT-2 parts: model, (d) B/T, (e) two (B, k-list) settings at T, (f) B/T, warm-up/repeats
case $quick in
  0) GM=gpt2-124M GB=8 GT=1024 GE="8:1 2:1,8" GFB=2 GFT=256 GW=2 GR=5 GFW=1 GFR=3 ;;
  1) GM=gpt2-124M GB=8 GT=1024 GE="8:1 2:1,8" GFB=2 GFT=256 GW=1 GR=3 GFW=1 GFR=2 ;;
  *) GM=tiny GB=4 GT=16 GE="4:1 2:1,8" GFB=2 GFT=16 GW=3 GR=5 GFW=2 GFR=3 ;;
esac
# Device time of the parts asked for, on one H100, before any of it ran: rough estimates (FLOP counts), not
# measurements; the first GPU run should replace them.
est=0
for p in a:6 b:1 c:1 d:4 e:2 f:4; do [[ $only == *${p%%:*}* ]] && est=$((est + ${p##*:})); done
[[ $quick == 0 ]] || est=$(( (est + 1) / 2 ))
[[ $device == cuda ]] && echo "run-all.sh: parts '$only', estimated device time about $est min (a ~6, b ~1, c ~1, d ~4, e ~2, f ~4; --quick about half)"
[[ $device == cuda ]] || echo "run-all.sh: parts '$only' on $device ($( ((quick == 2)) && echo 'smoke sizes: a few minutes at most' || echo 'n = '$N', '$STEPS' steps'))"
methods=cholqr2,cusolver   # the headline first: a cuSOLVER failure cannot cost it
[[ $device == cuda ]] || methods=cholqr2
commit="$(cat "$root/COMMIT" 2>/dev/null || git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
gpu="$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1 || echo unknown)"
[[ $device == cuda ]] || gpu="$device: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
torchv="$("$py" -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda)')"
header() {  # title
  printf '# %s\n\n- date: %s\n- device: %s\n- eoslab: %s\n- torch: %s\n- host: %s, %s CPUs\n\n' "$1" "$(date -u +%FT%TZ)" "$gpu" "$commit" "$torchv" "$(hostname)" "$(nproc)"
}
now() { date +%s.%N; }
hvp_what() {  # methods -> words
  local w=() m
  for m in ${1//,/ }; do
    case $m in functorch) w+=("torch.func (vmap of jvp of grad)") ;; autograd) w+=("double backward (autograd.grad twice, a loop over k)") ;; esac
  done
  local IFS=';'; echo "${w[*]}" | sed 's/;/ and /g'
}
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
# (EOSLAB_SKIP_DOCTOR=1: the caller ran it, e.g. bench/gpu/session.sh)
if [[ -z "${EOSLAB_SKIP_DOCTOR:-}" ]]; then
  "$eoslab" doctor > "$out/doctor.txt" 2>&1 || { [[ $device != cuda ]] || { echo "run-all.sh: eoslab doctor failed (see $out/doctor.txt)" >&2; exit 1; }; }
fi

if [[ $only == *a* ]]; then
  echo "== (a) branching baseline: n=$N, $STEPS steps, lambda_max every 32 (x$repeats each side)"
  if [[ -n "$cifar" ]]; then data="cifar10:$cifar" norm=(--normalization center) tdata=(--cifar "$cifar") what="CIFAR-10 (first $N train images, centered)"
  else data="gaussian:k=10,dim=3072" norm=() tdata=() what="synthetic, CIFAR-10 shape (no CIFAR-10 given: eoslab gaussian:k=10,dim=3072, torch Gaussian clusters; the values do not change the cost)"
  fi
  : > "$out/a-eoslab.times"
  for m in ${hvp_methods//,/ }; do : > "$out/a-torch-$m.times"; done
  for r in $(seq 1 "$repeats"); do
    t0=$(now)
    "$eoslab" train --device "$device" --data "$data" "${norm[@]}" --n "$N" --n-test "$NT" --hidden 512,512 --activation relu \
      --loss mse --optimizer gd --lr 0.01 --steps "$STEPS" --log-every 32 --top-k 1 --lanczos-steps 20 --lanczos-tol 1e-4 \
      --dtype f32 --chunk "$N" --out "$out/a-eoslab-run$r" --force --no-progress > "$out/a-eoslab-$r.log" 2>&1
    echo "$(now) $t0" | awk '{print $1 - $2}' >> "$out/a-eoslab.times"
    for m in ${hvp_methods//,/ }; do
      t0=$(now)
      "$py" "$here/train_torch.py" --device "$device" --n "$N" --n-test "$NT" --steps "$STEPS" --log-every 32 --lanczos-iters 20 \
        --lr 0.01 --hvp "$m" "${tdata[@]}" > "$out/a-torch-$m-$r.json"
      echo "$(now) $t0" | awk '{print $1 - $2}' >> "$out/a-torch-$m.times"
    done
  done
  te=$(median < "$out/a-eoslab.times")
  iters=$(grep -o '"lanczos_iters":[0-9]*' "$out/a-eoslab-run1/metrics.jsonl" | cut -d: -f2 | awk '{s += $1} END {printf "%.1f", s / NR}')
  last=$(tail -1 "$out/a-eoslab-run1/metrics.jsonl")
  {
    header "(a) Branching baseline: eoslab train --device $device vs PyTorch eager"
    echo "MLP 3072-512-512-10 ReLU, MSE, full-batch GD (lr 0.01), n = $N, $STEPS steps, f32 (no TF32 on either side),"
    echo "lambda_max every 32 steps: eoslab Lanczos (basis 20, tol 1e-4, warm start), torch Lanczos 20 iterations (warm start)"
    echo "on HVPs by $(hvp_what "$hvp_methods")."
    echo "Data: $what. Wall time of the whole process (JVM / Python start and data loading included), median of $repeats."
    echo
    echo "| | wall time (s) | HVPs per lambda_max | torch / eoslab |"
    echo "|---|---|---|---|"
    echo "| eoslab | $te | $iters (mean of lanczos_iters) | |"
    for m in ${hvp_methods//,/ }; do
      tt=$(median < "$out/a-torch-$m.times")
      echo "| PyTorch eager, $m HVPs | $tt | 20 | $(awk -v a="$tt" -v b="$te" 'BEGIN {printf "%.2f", a / b}') |"
    done
    echo
    for m in ${hvp_methods//,/ }; do
      echo "PyTorch ($m) loop only (no start-up), per run: $(for f in "$out"/a-torch-$m-*.json; do "$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.1f s (measurements %.1f s)" % (d["loop_s"], d["measure_s"]))' "$f"; done | paste -sd';' -)"
      echo
    done
    echo "Last metrics: eoslab \`$last\`"
    echo
    for m in ${hvp_methods//,/ }; do echo "torch ($m) \`$(cat "$out/a-torch-$m-1.json")\`"; echo; done
  } > "$out/results-a.md"
  cat "$out/results-a.md"
fi

if [[ $only == *b* ]]; then
  echo "== (b) batched HVP throughput"
  "${bench[@]}" hvp --device "$device" --n "$N" --dim 3072 --hidden 512,512 --k 1,8,32 --repeats "$HREP" > "$out/b-eoslab.log" 2>&1
  for m in ${hvp_methods//,/ }; do
    "$py" "$here/hvp_torch.py" --device "$device" --n "$N" --k 1,8,32 --repeats "$HREP" --hvp "$m" > "$out/b-torch-$m.jsonl"
  done
  {
    header "(b) Batched Hessian-vector products: eoslab vs PyTorch ($(hvp_what "$hvp_methods"))"
    echo "MLP 3072-512-512-10 ReLU, full-batch MSE over n = $N synthetic inputs, f32; median of $HREP timed calls after 3 warm-up."
    echo
    printf '| k | eoslab ms/call | eoslab HVP/s |'; for m in ${hvp_methods//,/ }; do printf ' torch %s ms/call | torch %s HVP/s | eoslab speed-up |' "$m" "$m"; done; echo
    printf '|---|---|---|'; for m in ${hvp_methods//,/ }; do printf -- '---|---|---|'; done; echo
    for k in 1 8 32; do
      e=$(grep "RESULT bench=hvp .* k=$k " "$out/b-eoslab.log" | sed 's/.*median_s=\([^ ]*\).*/\1/')
      awk -v k="$k" -v e="$e" 'BEGIN {printf "| %d | %.3f | %.1f |", k, e * 1e3, k / e}'
      for m in ${hvp_methods//,/ }; do
        t=$("$py" -c 'import json,sys; print([json.loads(l)["median_s"] for l in open(sys.argv[1]) if json.loads(l)["k"] == int(sys.argv[2])][0])' "$out/b-torch-$m.jsonl" "$k")
        awk -v k="$k" -v e="$e" -v t="$t" 'BEGIN {printf " %.3f | %.1f | %.2fx |", t * 1e3, k / t, t / e}'
      done
      echo
    done
  } > "$out/results-b.md"
  cat "$out/results-b.md"
fi

if [[ $only == *c* ]]; then
  echo "== (c) tall QR vs HBM bandwidth"
  "${bench[@]}" qr --device "$device" --d "$DS" --k 32 --methods "$methods" > "$out/c-eoslab.log" 2>&1
  {
    header "(c) Thin QR of d x 32 on the device as a fraction of HBM bandwidth"
    echo "Effective bandwidth = 2·d·k·4 bytes (read V, write Q: the least any QR moves) / median time of 10 (2 warm-up);"
    echo "peak = 2 x memory clock x bus width from the driver; 'copy' = a device copy of V (cuMemcpyDtoD) for scale."
    echo
    echo "cholqr2 = CholeskyQR (a second pass only when the first fails its check); its own traffic is (1 + 2 per pass)·d·k·4 B"
    echo "(the Gram, then V ← V R⁻¹ read and written with the check's Gram fused in), and 'own % of peak' is that traffic's rate."
    echo
    echo "| d | method | ms | GB/s | % of peak | QR / copy time | path | own traffic | own % of peak |"
    echo "|---|---|---|---|---|---|---|---|---|"
    grep '^RESULT bench=qr' "$out/c-eoslab.log" | while read -r line; do
      get() { echo "$line" | grep -o " $1=[^ ]*" | head -1 | cut -d= -f2; }
      awk -v d="$(get d)" -v m="$(get method)" -v s="$(get median_s)" -v g="$(get gbps)" -v f="$(get frac_peak)" -v c="$(get copy_s)" \
        -v p="$(get path)" -v o="$(get own_dk)" -v of="$(get own_frac_peak)" \
        'BEGIN {printf "| %.0e | %s | %.2f | %.0f | %.1f | %.2f | %s | %s | %s |\n", d, m, s * 1e3, g, 100 * f, s / c,
                p == "" ? "-" : p, o == "" ? "-" : o "·dk·4B", of == "" ? "-" : sprintf("%.1f", 100 * of)}'
    done
  } > "$out/results-c.md"
  cat "$out/results-c.md"
fi
# GPT-2 parts: if the eoslab side fails, the PyTorch side still runs and the report says what eoslab printed last.
gpt2() {  # log-file, eoslab bench gpt2 options...
  local log="$1"; shift
  # GPT-2 124M: the tracker's seeded start vectors and checkpoint-sized host arrays need a large heap
  EOSLAB_JAVA_OPTS="${EOSLAB_JAVA_OPTS:--Xmx64g}" "${bench[@]}" gpt2 --device "$device" --model "$GM" --warmup "$GW" --repeats "$GR" "$@" >> "$log" 2>&1 \
    || echo "eoslab bench gpt2 $* failed (exit $?)" >> "$log"
}
torch_gpt2() {  # jsonl-file, gpt2_torch.py options...
  local f="$1"; shift
  "$py" "$here/gpt2_torch.py" --device "$device" --model "$GM" --warmup "$GW" --repeats "$GR" "$@" >> "$f" 2>> "$f.stderr" \
    || echo "{\"impl\": \"torch\", \"error\": \"gpt2_torch.py $* failed\", \"part\": \"${*: -1}\"}" >> "$f"
}

if [[ $only == *d* ]]; then
  echo "== (d) GPT-2 training step: $GM, B=$GB, T=$GT"
  : > "$out/d-eoslab.log"; : > "$out/d-torch.jsonl"
  # same model on both sides: weights + a batch from eoslab, loss / gradient / Hg compared in float64 (tiny, CPU)
  { "${bench[@]}" gpt2 --model tiny --batch 2 --write-check "$out/gpt2-check.safetensors" \
      && "$py" "$here/gpt2_torch.py" --check "$out/gpt2-check.safetensors"; } > "$out/d-check.log" 2>&1 || true
  same="$(grep -E '^CHECK' "$out/d-check.log" || echo "check failed to run (see d-check.log)")"
  gpt2 "$out/d-eoslab.log" --parts d --batch "$GB" --seq-len "$GT"
  gpt2 "$out/d-eoslab.log" --parts d --batch "$GB" --seq-len "$GT" --precision bf16
  if [[ $device == cuda ]]; then
    # does cuBLASLt's bias epilogue pay (issue #5: "cuBLASLt where it pays")? the same two runs with it on
    EOSLAB_JAVA_OPTS="${EOSLAB_JAVA_OPTS:--Xmx64g} -Deoslab.cuda.lt=true" gpt2 "$out/d-eoslab.log" --parts d --batch "$GB" --seq-len "$GT"
    EOSLAB_JAVA_OPTS="${EOSLAB_JAVA_OPTS:--Xmx64g} -Deoslab.cuda.lt=true" gpt2 "$out/d-eoslab.log" --parts d --batch "$GB" --seq-len "$GT" --precision bf16
  fi
  torch_gpt2 "$out/d-torch.jsonl" --batch "$GB" --seq-len "$GT" --parts d
  if [[ $device == cuda ]]; then
    # like for like with eoslab, which materializes the (T, T) attention maps
    torch_gpt2 "$out/d-torch.jsonl" --batch "$GB" --seq-len "$GT" --attn manual --parts d
    torch_gpt2 "$out/d-torch.jsonl" --batch "$GB" --seq-len "$GT" --bf16 --parts d
    [[ $quick == 0 ]] && torch_gpt2 "$out/d-torch.jsonl" --batch "$GB" --seq-len "$GT" --bf16 --compile --parts d
  fi
  { header "(d) GPT-2 training tokens/s: eoslab bench gpt2 vs PyTorch (same model, B, T, fp32)"
    "$py" "$here/gpt2_report.py" d --eoslab "$out/d-eoslab.log" --torch "$out/d-torch.jsonl"
    printf '\nSame model (gpt2_torch.py --check on eoslab'"'"'s tiny-model weights and batch, float64, CPU): %s\n' "$same"; } > "$out/results-d.md"
  cat "$out/results-d.md"
fi

if [[ $only == *e* ]]; then
  echo "== (e) GPT-2 gradient vs HVP: $GM, T=$GT, (B:k) $GE"
  : > "$out/e-eoslab.log"; : > "$out/e-torch.jsonl"
  for bk in $GE; do
    gpt2 "$out/e-eoslab.log" --parts e --batch "${bk%%:*}" --seq-len "$GT" --k "${bk##*:}"
    torch_gpt2 "$out/e-torch.jsonl" --batch "${bk%%:*}" --seq-len "$GT" --k "${bk##*:}" --parts e
  done
  { header "(e) GPT-2 HVP cost in gradients: eoslab vs PyTorch (fp32)"
    "$py" "$here/gpt2_report.py" e --eoslab "$out/e-eoslab.log" --torch "$out/e-torch.jsonl"; } > "$out/results-e.md"
  cat "$out/results-e.md"
fi

if [[ $only == *f* ]]; then
  echo "== (f) Lyapunov tracker step: $GM, B=$GFB, T=$GFT"
  : > "$out/f-eoslab.log"; : > "$out/f-torch.jsonl"
  GW=$GFW GR=$GFR gpt2 "$out/f-eoslab.log" --parts f --batch "$GFB" --seq-len "$GFT" --lyap-map sgd --lyap-k 8,32
  GW=$GFW GR=$GFR gpt2 "$out/f-eoslab.log" --parts f --batch "$GFB" --seq-len "$GFT" --lyap-map adamw --lyap-k 8
  GW=$GFW GR=$GFR torch_gpt2 "$out/f-torch.jsonl" --batch "$GFB" --seq-len "$GFT" --lyap-k 8,32 --parts f
  { header "(f) Lyapunov tracker per-step cost at k = 8, 32, broken down (fp32)"
    "$py" "$here/gpt2_report.py" f --eoslab "$out/f-eoslab.log" --torch "$out/f-torch.jsonl"; } > "$out/results-f.md"
  cat "$out/results-f.md"
fi
echo "results in $out"
