"""PyTorch reference of `eoslab bench gpt2` (issue #6, bench/gpu/run-all.sh parts d, e, f).

The model is GPT-2 written from scratch as in karpathy/nanoGPT's model.py and eoslab.gpt.Gpt2:
token + position embeddings, pre-LayerNorm blocks (eps 1e-5), causal self-attention with scale
1/sqrt(C/H), MLP with tanh-approximated GELU, final LayerNorm, LM head tied to wte (logits = x wte^T),
mean next-token cross-entropy. Init: weights N(0, 0.02^2), the residual projections attn.c_proj and
mlp.c_proj N(0, (0.02/sqrt(2L))^2), biases 0, LayerNorm gains 1 (GPT-2 paper section 2.3).

Parts (one JSON line per measurement, medians of synchronized timings after warm-up):
  d  training step: zero_grad, forward, backward, AdamW step (lr 6e-4, betas (0.9, 0.95), wd 0.1) -> tokens/s
  e  gradient vs Hessian-vector products: HVP = jvp of grad (forward-over-reverse, torch.func), vmapped
     over k directions; ratio = HVP time / (k x gradient time)
  f  a Lyapunov tracker step on plain SGD: gradient + k HVPs (vmap), tangent update V <- V - lr HV,
     thin QR of the (d, k) tangents (torch.linalg.qr), parameter update; each phase timed
On PyTorch 1.13 (CPU checks of the scripts) torch.func is absent: functorch is used if present,
otherwise double-backward HVPs (torch.autograd.grad of <grad, v>); the JSON says which ("hvp_method").
    python3 gpt2_torch.py --device cuda --model gpt2-124M --batch 8 --seq-len 1024 --parts d,e
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

try:  # PyTorch >= 2.0
    from torch.func import functional_call, grad as fgrad, jvp, vmap
    HVP_METHOD = "torch.func (vmap of jvp of grad)"
except ImportError:
    try:  # PyTorch 1.13 with functorch
        from functorch import grad as fgrad, jvp, vmap
        from torch.nn.utils.stateless import functional_call
        HVP_METHOD = "functorch (vmap of jvp of grad)"
    except ImportError:
        fgrad = jvp = vmap = None
        from torch.nn.utils.stateless import functional_call
        HVP_METHOD = "double backward (autograd.grad of <grad, v>, a loop over k)"

PRESETS = {"tiny": dict(vocab=256, max_t=16, layers=2, heads=2, channels=32),
           "gpt2-124m": dict(vocab=50257, max_t=1024, layers=12, heads=12, channels=768),
           "gpt2": dict(vocab=50257, max_t=1024, layers=12, heads=12, channels=768)}


class CausalSelfAttention(nn.Module):
    def __init__(self, c, h, impl):
        super().__init__()
        self.n_head, self.impl = h, impl
        self.c_attn = nn.Linear(c, 3 * c)        # (3C, C)
        self.c_proj = nn.Linear(c, c)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.n_head, c // self.n_head).transpose(1, 2) for z in (q, k, v))  # (B, H, T, hs)
        if self.impl == "sdpa":
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # materialized P, as eoslab does; twice differentiable on every version
            s = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.shape[-1]))
            mask = torch.ones(t, t, dtype=torch.bool, device=x.device).tril()
            y = torch.softmax(s.masked_fill(~mask, float("-inf")), dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).reshape(b, t, c))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = nn.Linear(c, 4 * c)
        self.c_proj = nn.Linear(4 * c, c)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, c, h, attn):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c, eps=1e-5)
        self.attn = CausalSelfAttention(c, h, attn)
        self.ln_2 = nn.LayerNorm(c, eps=1e-5)
        self.mlp = MLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab, max_t, layers, heads, channels, attn="manual"):
        super().__init__()
        self.wte = nn.Embedding(vocab, channels)
        self.wpe = nn.Embedding(max_t, channels)
        self.h = nn.ModuleList([Block(channels, heads, attn) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(channels, eps=1e-5)
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif ".ln_" in name or name.startswith("ln_"):
                nn.init.ones_(p)
            elif name.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * layers))   # residual projections (GPT-2 paper 2.3)
            else:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, idx):
        b, t = idx.shape
        x = self.wte(idx) + self.wpe(torch.arange(t, device=idx.device))
        for blk in self.h:
            x = blk(x)
        return F.linear(self.ln_f(x), self.wte.weight)   # tied LM head: logits (B, T, V)


CE = {"form": "F.cross_entropy"}


def loss_of(logits, y):
    """Mean next-token cross-entropy. The 'logsumexp-gather' form is the same value for the HVP paths of
    PyTorch versions without forward-mode AD of nll_loss_backward (which jvp of grad needs)."""
    z, t = logits.reshape(-1, logits.shape[-1]), y.reshape(-1)
    if CE["form"] == "F.cross_entropy":
        return F.cross_entropy(z, t)
    return (torch.logsumexp(z, dim=-1) - z.gather(1, t.unsqueeze(1)).squeeze(1)).mean()


def read_safetensors(path):
    """{name: tensor} and the metadata of a safetensors file (header: u64 length, JSON; then raw little-endian data)."""
    import numpy as np
    with open(path, "rb") as fh:
        raw = fh.read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    kinds = {"F32": np.float32, "F64": np.float64, "I32": np.int32}
    out = {}
    for name, e in header.items():
        lo, hi = e["data_offsets"]
        arr = np.frombuffer(raw[8 + n + lo:8 + n + hi], dtype=kinds[e["dtype"]]).reshape(e["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out, meta


def check(path):
    """Same model as eoslab: load the weights and batch `eoslab bench gpt2 --write-check` wrote, compute the loss,
    gradient g and H g (double backward) in float64, compare with eoslab's. Exit 0 iff all agree."""
    t, meta = read_safetensors(path)
    cfg = dict(vocab=int(meta["vocab"]), max_t=int(meta["maxT"]), layers=int(meta["layers"]),
               heads=int(meta["heads"]), channels=int(meta["channels"]))
    model = GPT(**cfg, attn="manual").double()
    order = meta["order"].split(",")
    own = dict(model.named_parameters())
    assert sorted(own) == sorted(order), f"parameter names differ: {sorted(set(own) ^ set(order))}"
    # same init scale: per tensor, the standard deviation of this script's init against eoslab's; tensors of
    # >= 1000 entries (sampling error of a std below 5%): within 10%; constant ones (LayerNorm, biases) exactly
    init_ok = True
    for n in order:
        a, b = own[n].detach().double(), t[n].double()
        if b.numel() > 1 and b.std().item() == 0:      # constant: LayerNorm gains 1, biases 0
            init_ok &= torch.equal(a, b)
        elif a.numel() >= 1000:
            init_ok &= abs(a.std().item() - b.std().item()) <= 0.1 * b.std().item()
    with torch.no_grad():
        for n in order:
            own[n].copy_(t[n].double())
    ps = [own[n] for n in order]
    x, y = t["check.x"].long(), t["check.y"].long()
    loss = loss_of(model(x), y)
    g = torch.autograd.grad(loss, ps, create_graph=True)
    gflat = torch.cat([z.reshape(-1) for z in g])
    hg = torch.cat([z.reshape(-1) for z in torch.autograd.grad(gflat, ps, grad_outputs=gflat.detach())])
    ok = init_ok
    res = {"check": path, "params": gflat.numel(), "init_std_agrees": bool(init_ok)}
    # float64 on both sides, different summation orders: atol 1e-12 + rtol 1e-9 (loss), 1e-11 + 1e-8 * max|ref| (vectors)
    for name, mine, ref, atol, rtol in (("loss", loss.detach().reshape(1), t["check.loss"], 1e-12, 1e-9),
                                        ("grad", gflat.detach(), t["check.grad"], 1e-11, 1e-8),
                                        ("hg", hg.detach(), t["check.hg"], 1e-11, 1e-8)):
        err = (mine - ref).abs().max().item()
        scale = ref.abs().max().item()
        good = err <= atol + rtol * scale
        ok &= good
        res[name + "_max_abs_err"] = err
        res[name + "_max_abs_ref"] = scale
    res["ok"] = bool(ok)
    print(json.dumps(res))
    print("CHECK OK: the PyTorch model is eoslab's (init scale; loss, gradient and Hg in float64)" if ok else "CHECK FAILED")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--model", default="gpt2-124M")
    for n in ("layers", "heads", "channels", "vocab", "max-t"):
        ap.add_argument("--" + n, type=int)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq-len", type=int)
    ap.add_argument("--parts", default="d,e")
    ap.add_argument("--k", default="1,8", help="HVP directions for (e)")
    ap.add_argument("--lyap-k", default="8,32", help="tangents for (f)")
    ap.add_argument("--lyap-lr", type=float, default=6e-4)
    ap.add_argument("--bf16", action="store_true", help="torch.autocast(bfloat16) for (d); (e), (f) stay fp32")
    ap.add_argument("--precision", choices=["fp32", "bf16"], help="the same as --bf16 when bf16")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model for (d)")
    ap.add_argument("--attn", choices=["auto", "sdpa", "manual"], default="auto",
                    help="attention for (d): sdpa (flash) when available under auto; (e), (f) use manual (twice differentiable)")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--check", metavar="FILE", help="only compare with `eoslab bench gpt2 --write-check FILE` (float64, CPU) and exit")
    a = ap.parse_args()
    if a.check:
        raise SystemExit(check(a.check))
    bf16 = a.bf16 or a.precision == "bf16"

    dev = a.device
    if dev.startswith("cuda"):  # IEEE fp32 GEMMs (eoslab's cuBLAS calls use no TF32)
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    cfg = dict(PRESETS[a.model.lower()])
    for key, n in (("layers", a.layers), ("heads", a.heads), ("channels", a.channels), ("vocab", a.vocab), ("max_t", a.max_t)):
        if n is not None:
            cfg[key] = n
    T = a.seq_len or cfg["max_t"]
    B = a.batch
    assert 1 <= T <= cfg["max_t"], "--seq-len outside [1, maxT]"
    torch.manual_seed(a.seed)
    have_sdpa = hasattr(F, "scaled_dot_product_attention")
    train_attn = ("sdpa" if have_sdpa else "manual") if a.attn == "auto" else a.attn

    def sync():
        if dev.startswith("cuda"):
            torch.cuda.synchronize()

    def timed(fn, warmup=a.warmup, repeats=a.repeats):
        """Median and samples of `repeats` synchronized calls fn(i) after `warmup` untimed ones."""
        s = []
        for i in range(warmup + repeats):
            sync()
            t0 = time.perf_counter()
            fn(i)
            sync()
            if i >= warmup:
                s.append(time.perf_counter() - t0)
        return statistics.median(s)

    # random tokens, a fresh batch each call (the values do not change the cost)
    g = torch.Generator().manual_seed(a.seed)
    nb = 4
    xs = torch.randint(0, cfg["vocab"], (nb, B, T + 1), generator=g).to(dev)
    batch = lambda i: (xs[i % nb, :, :T], xs[i % nb, :, 1:])

    base = {"bench": "gpt2", "impl": "torch", "torch": torch.__version__,
            "device": torch.cuda.get_device_name() if dev.startswith("cuda") else "cpu",
            "model": a.model, "V": cfg["vocab"], "L": cfg["layers"], "H": cfg["heads"], "C": cfg["channels"],
            "B": B, "T": T, "warmup": a.warmup, "repeats": a.repeats}
    parts = a.parts.split(",")

    def emit(d):
        out = dict(base)
        out.update(d)
        print(json.dumps(out), flush=True)

    def guarded(part, fn, **extra):
        try:
            fn()
        except RuntimeError as e:  # torch.cuda.OutOfMemoryError is a RuntimeError
            if dev.startswith("cuda"):
                torch.cuda.empty_cache()
            emit(dict(part=part, error=str(e).splitlines()[0][:200], **extra))

    if "d" in parts:
        def part_d():
            model = GPT(**cfg, attn=train_attn).to(dev)
            base["params"] = sum(p.numel() for p in model.parameters())
            opt = torch.optim.AdamW(model.parameters(), lr=6e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
            fwd = torch.compile(model) if a.compile else model

            def step(i):
                x, y = batch(i)
                opt.zero_grad(set_to_none=True)
                with torch.autocast(device_type="cuda" if dev.startswith("cuda") else "cpu", dtype=torch.bfloat16, enabled=bf16):
                    loss = loss_of(fwd(x), y)
                loss.backward()
                opt.step()

            def fwd_bwd(i):
                x, y = batch(i)
                opt.zero_grad(set_to_none=True)
                with torch.autocast(device_type="cuda" if dev.startswith("cuda") else "cpu", dtype=torch.bfloat16, enabled=bf16):
                    loss = loss_of(fwd(x), y)
                loss.backward()

            st = timed(step, warmup=a.warmup + (2 if a.compile else 0))
            fb = timed(fwd_bwd)
            emit(dict(part="d", precision="bf16" if bf16 else "fp32", compile=a.compile, attn=train_attn,
                      step_s=st, fwd_bwd_s=fb, update_s=st - fb, tokens_per_s=B * T / st))
            del model, opt
        guarded("d", part_d, precision="bf16" if bf16 else "fp32", compile=a.compile)

    if "e" in parts or "f" in parts:
        model = GPT(**cfg, attn="manual").to(dev)
        base["params"] = sum(p.numel() for p in model.parameters())
        params = {n: p.detach() for n, p in model.named_parameters()}
        names = list(params)
        shapes = [params[n].shape for n in names]
        sizes = [params[n].numel() for n in names]
        dim = sum(sizes)

        def unflat(v):
            return {n: p.view(s) for n, p, s in zip(names, torch.split(v, sizes), shapes)}

        def flat(d):
            return torch.cat([d[n].reshape(-1) for n in names])

        def f(p, x, y):
            return loss_of(functional_call(model, p, (x,)), y)

        def grad_fn_func(p, x, y):
            return flat(fgrad(f)(p, x, y))

        def grad_hvp_func(p, x, y, V):
            """(grad (d,), H V (k, d)) by forward-over-reverse, vmapped over the k rows of V (k, d)."""
            gf = fgrad(f)

            def one(v):
                g, hv = jvp(lambda q: gf(q, x, y), (p,), (unflat(v),))
                return flat(g), flat(hv)
            if V.shape[0] == 1:
                g, hv = one(V[0])
                return g, hv.unsqueeze(0)
            g, hv = vmap(one)(V)   # g (k, d): k equal rows
            return g[0], hv

        def grad_fn_ad(p, x, y):
            ps = [p[n].detach().requires_grad_(True) for n in names]
            return torch.cat([z.reshape(-1) for z in torch.autograd.grad(f(dict(zip(names, ps)), x, y), ps)])

        def grad_hvp_ad(p, x, y, V):
            """Reverse-over-reverse: H v_j = d<grad, v_j>/dw, one backward of the gradient graph per direction."""
            ps = [p[n].detach().requires_grad_(True) for n in names]
            gs = torch.autograd.grad(f(dict(zip(names, ps)), x, y), ps, create_graph=True)
            gflat = torch.cat([z.reshape(-1) for z in gs])
            hv = [torch.cat([z.reshape(-1) for z in torch.autograd.grad(gflat, ps, grad_outputs=V[j], retain_graph=True)])
                  for j in range(V.shape[0])]
            return gflat.detach(), torch.stack(hv)

        method = HVP_METHOD
        grad_fn, grad_hvp = (grad_fn_func, grad_hvp_func) if fgrad is not None else (grad_fn_ad, grad_hvp_ad)
        if fgrad is not None:
            # probe forward-over-reverse once on a tiny slice, first with F.cross_entropy, then with the
            # logsumexp-gather form; fall back to double backward if neither works (PyTorch 1.13 also
            # lacks forward AD of native_layer_norm_backward), and say why
            why = []
            for form in ("F.cross_entropy", "logsumexp-gather"):
                CE["form"] = form
                try:
                    grad_hvp(params, *(z[:1, :2] for z in batch(0)), torch.zeros(2, dim, device=dev))
                    break
                except Exception as e:
                    why.append(form + ": " + str(e).splitlines()[0].split(" that ")[0][:120])
            else:
                CE["form"] = "F.cross_entropy"
                grad_fn, grad_hvp = grad_fn_ad, grad_hvp_ad
                method = "double backward (autograd.grad of <grad, v>, a loop over k); forward-over-reverse failed: " + "; ".join(why)
        base["ce_form"] = CE["form"]
        base["hvp_method"] = method

        if "e" in parts:
            def part_e():
                t_grad = timed(lambda i: grad_fn(params, *batch(i)))
                for k in [int(s) for s in a.k.split(",")]:
                    def one_k():
                        V = torch.rand(k, dim, device=dev) * 2 - 1
                        t_h = timed(lambda i: grad_hvp(params, *batch(i), V))
                        emit(dict(part="e", k=k, grad_s=t_grad, hvp_s=t_h,
                                  hvp_per_direction_s=t_h / k, hvp_over_grad=t_h / (k * t_grad)))
                    guarded("e", one_k, k=k)
            guarded("e", part_e)

        if "f" in parts:
            for k in [int(s) for s in a.lyap_k.split(",")]:
                def one_f():
                    w = flat(params).clone()
                    Q = torch.linalg.qr(torch.rand(dim, k, device=dev) * 2 - 1)[0].T.contiguous()  # (k, d)
                    ph = {"hvp": [], "update": [], "qr": [], "step": []}
                    lsum = torch.zeros(k, dtype=torch.float64)
                    for i in range(a.warmup + a.repeats):
                        sync(); t0 = time.perf_counter()
                        gvec, HV = grad_hvp(unflat(w), *batch(i), Q)
                        sync(); t1 = time.perf_counter()
                        Q.add_(HV, alpha=-a.lyap_lr)                # delta w' = delta w - lr H delta w (in place: (k, d) is large)
                        w.add_(gvec, alpha=-a.lyap_lr)              # w' = w - lr grad
                        del HV, gvec
                        sync(); t2 = time.perf_counter()
                        q, r = torch.linalg.qr(Q.T)                 # (d, k) = Q R
                        Q = q.T.contiguous()
                        lsum += torch.log(torch.abs(torch.diagonal(r))).double().cpu()
                        sync(); t3 = time.perf_counter()
                        if i >= a.warmup:
                            for key, v in (("hvp", t1 - t0), ("update", t2 - t1), ("qr", t3 - t2), ("step", t3 - t0)):
                                ph[key].append(v)
                    t_grad = timed(lambda i: grad_fn(unflat(w), *batch(i)), warmup=min(1, a.warmup), repeats=max(1, min(3, a.repeats)))
                    med = {key: statistics.median(v) for key, v in ph.items()}
                    emit(dict(part="f", map="sgd", lr=a.lyap_lr, k=k, step_s=med["step"], hvp_s=med["hvp"],
                              update_s=med["update"], qr_s=med["qr"], rest_s=0.0, grad_s=t_grad,
                              lambda1=float(lsum[0]) / (a.warmup + a.repeats)))
                guarded("f", one_f, k=k, map="sgd")


if __name__ == "__main__":
    main()
