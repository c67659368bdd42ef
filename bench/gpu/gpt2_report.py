"""Markdown tables of run-all.sh parts d, e, f from the JSON lines of `eoslab bench gpt2` (its log:
human lines and JSON lines) and of gpt2_torch.py. Prints to stdout; run-all.sh writes the header.
    python3 gpt2_report.py d --eoslab d-eoslab.log --torch d-torch-fp32.jsonl d-torch-bf16.jsonl
"""
import argparse
import json
import sys

LLMC = ("Reference line (a published figure, not measured here): karpathy/llm.c trains GPT-2 124M at about "
        "470k tokens/s per H100 (its bf16 mixed-precision CUDA trainer), the figure issue #6 cites as the target.")


def rows(paths):
    out = []
    for p in paths:
        try:
            with open(p) as fh:
                for line in fh:
                    line = line.strip()
                    if line.startswith("{"):
                        out.append(json.loads(line))
        except FileNotFoundError:
            pass
    return out


def tail(paths, n=3):
    lines = []
    for p in paths:
        try:
            with open(p) as fh:
                lines += [l.rstrip() for l in fh if l.strip() and not l.startswith("{")]
        except FileNotFoundError:
            lines.append(f"(no {p})")
    return "; ".join(lines[-n:])


def ms(x):
    return "n/a" if x is None else f"{1e3 * x:.2f}"


def ratio(a, b, fmt="{:.2f}"):
    return fmt.format(a / b) if a and b else "n/a"


def setting(r):
    return f"V={r['V']} L={r['L']} H={r['H']} C={r['C']} ({r.get('params', '?')} parameters), B={r['B']}, T={r['T']}"


def part_d(e, t, elog):
    print("(d) One AdamW training step (forward + backward + update) on random tokens; median of the timed steps after warm-up,")
    print("synchronized. 'update' = step − forward+backward. The ratio is eoslab's (fp32) tokens/s over that row's.")
    print()
    ed = [r for r in e if r.get("part") == "d"]
    if ed:
        print(f"Setting: {setting(ed[0])}, {ed[0]['warmup']} warm-up + {ed[0]['repeats']} timed steps.")
    print()
    print("| implementation | precision | step ms | forward+backward ms | update ms | tokens/s | eoslab / this |")
    print("|---|---|---|---|---|---|---|")
    etok = ed[0]["tokens_per_s"] if ed else None
    for r in ed:  # the first row (fp32 GEMMs) is the one the ratios use; a --precision bf16 row follows when run
        prec = r["dtype"] + ("" if r.get("precision", "f32") == "f32" else f", {r['precision']} GEMMs")
        name = "eoslab" + (", cuBLASLt bias epilogue" if r.get("lt") else "")
        print(f"| {name} | {prec} | {ms(r['step_s'])} | {ms(r['fwd_bwd_s'])} | {ms(r['update_s'])} | {r['tokens_per_s']:.0f} | "
              f"{ratio(etok, r['tokens_per_s'])} |")
    if not ed:
        print(f"| eoslab | | failed: {tail(elog)} | | | | |")
    for r in (x for x in t if x.get("part") == "d"):
        name = "PyTorch " + ("torch.compile" if r.get("compile") else "eager") + (f", attn {r['attn']}" if "attn" in r else "")
        if "error" in r:
            print(f"| {name} | {r.get('precision')} | failed: {r['error']} | | | | |")
            continue
        print(f"| {name} | {r['precision']} | {ms(r['step_s'])} | {ms(r['fwd_bwd_s'])} | {ms(r['update_s'])} | "
              f"{r['tokens_per_s']:.0f} | {ratio(etok, r['tokens_per_s'])} |")
    print()
    print(LLMC)


def part_e(e, t, elog):
    print("(e) Gradient pass vs k Hessian-vector products in one forward-over-reverse pass (eoslab: its R-op sweep without")
    print("gradient output; PyTorch: jvp of grad, vmapped over k, or the fallback named below). 'HVP / grad' = HVP time /")
    print("(k x gradient time): the cost of one HVP in gradients (issue #6 target: at most 3). Medians, synchronized.")
    print()
    print("| B | T | k | eoslab grad ms | eoslab HVP ms | eoslab HVP/grad | torch grad ms | torch HVP ms | torch HVP/grad | torch / eoslab HVP time |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    te = {(r["B"], r["T"], r["k"]): r for r in t if r.get("part") == "e"}
    seen = set()
    for r in (x for x in e if x.get("part") == "e"):
        key = (r["B"], r["T"], r["k"])
        seen.add(key)
        o = te.get(key, {})
        tg = ms(o.get("grad_s")) if "error" not in o else "failed: " + o["error"]
        print(f"| {r['B']} | {r['T']} | {r['k']} | {ms(r['grad_s'])} | {ms(r['hvp_s'])} | {r['hvp_over_grad']:.2f} | {tg} | "
              f"{ms(o.get('hvp_s'))} | {ratio(o.get('hvp_s'), o.get('grad_s') and o['grad_s'] * r['k'])} | {ratio(o.get('hvp_s'), r['hvp_s'])} |")
    for key, o in te.items():
        if key not in seen:
            tg = ms(o.get("grad_s")) if "error" not in o else "failed: " + o["error"]
            print(f"| {key[0]} | {key[1]} | {key[2]} | eoslab failed | | | {tg} | {ms(o.get('hvp_s'))} | "
                  f"{ratio(o.get('hvp_s'), o.get('grad_s') and o['grad_s'] * key[2])} | |")
    if not [x for x in e if x.get("part") == "e"]:
        print(f"\neoslab: {tail(elog)}")
    methods = {r.get("hvp_method") for r in t if r.get("hvp_method")}
    if methods:
        print("\nPyTorch HVP method: " + "; ".join(sorted(methods)) + ".")


def part_f(e, t, elog):
    print("(f) One Lyapunov tracker step (QR every step) on GPT-2's minibatch loss, broken down, median ms per step:")
    print("'grad+k HVPs' = the map's loss evaluation (primal pass, gradient and the k tangents' HVPs); 'update' = the rest of")
    print("the map step (the optimizer's update of the state and of its k tangents); 'QR' = thin QR of the (state dim, k)")
    print("tangents (eoslab CholeskyQR, a second pass only when needed; PyTorch torch.linalg.qr); 'rest' = ln R_ii bookkeeping. 'gradient' = a gradient")
    print("pass alone, for scale. PyTorch runs plain SGD only (w' = w − η∇L, V' = V − η H V); eoslab also AdamW (state 3d).")
    print()
    print("| impl | map | k | state dim | step ms | grad+k HVPs ms | update ms | QR ms | rest ms | gradient ms | HVP share | torch / eoslab step |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    tf = {(r.get("map"), r["k"]): r for r in t if r.get("part") == "f"}
    for r in (x for x in e if x.get("part") == "f"):
        o = tf.get((r["map"], r["k"]), {})
        print(f"| eoslab | {r['map']} | {r['k']} | {r['state_dim']} | {ms(r['step_s'])} | {ms(r['hvp_s'])} | {ms(r['update_s'])} | "
              f"{ms(r['qr_s'])} | {ms(r['rest_s'])} | {ms(r['grad_s'])} | {ratio(r['hvp_s'], r['step_s'], '{:.0%}')} | "
              f"{ratio(o.get('step_s'), r['step_s'])} |")
    for (m, k), o in tf.items():
        if "error" in o:
            print(f"| torch | {m} | {k} | | failed: {o['error']} | | | | | | | |")
        else:
            print(f"| torch | {m} | {k} | {o.get('params', '')} | {ms(o['step_s'])} | {ms(o['hvp_s'])} | {ms(o['update_s'])} | "
                  f"{ms(o['qr_s'])} | {ms(o['rest_s'])} | {ms(o['grad_s'])} | {ratio(o['hvp_s'], o['step_s'], '{:.0%}')} | |")
    if not [x for x in e if x.get("part") == "f"]:
        print(f"\neoslab: {tail(elog)}")
    ef = [x for x in e if x.get("part") == "f"]
    if ef:
        print(f"\nSetting: {setting(ef[0])}, {ef[0]['warmup']} warm-up + {ef[0]['repeats']} timed steps per k.")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("part", choices=["d", "e", "f"])
    ap.add_argument("--eoslab", nargs="*", default=[])
    ap.add_argument("--torch", nargs="*", default=[])
    a = ap.parse_args()
    e, t = rows(a.eoslab), rows(a.torch)
    need = {"d": ("part",), "e": ("part", "B", "T", "k"), "f": ("part", "k")}[a.part]
    broken = [r for r in t if any(x not in r for x in need)]
    t = [r for r in t if r not in broken]
    {"d": part_d, "e": part_e, "f": part_f}[a.part](e, t, a.eoslab)
    for r in broken:
        print(f"\nPyTorch: {r.get('error', r)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
