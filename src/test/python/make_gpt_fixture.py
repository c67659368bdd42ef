#!/usr/bin/env python3
"""Reference values for eoslab's GPT-2 from an independent PyTorch implementation (llm.c style).

eoslab writes the tiny model's initial weights, a probe direction and ten batches of byte tokens
(GptFixtureTest with -Deoslab.gpt.exportFixture=DIR writes DIR/tiny_fixture_input.safetensors);
this script builds the same GPT-2 in PyTorch (nanoGPT's model, written out below, float64), and
records what eoslab must reproduce:

  - logits of the first two positions, the loss, and the L2 norm of every parameter gradient;
  - the Hessian-vector product along the probe (double backward): v.Hv and the norm of Hv per tensor;
  - the losses of 10 SGD steps (lr 0.5) and of 10 torch.optim.AdamW steps, one batch per step.

Usage (Debian: apt-get install -y python3-torch liblapack3; CPU PyTorch 1.13):
  mvn -o test -Dtest=GptFixtureTest -Deoslab.gpt.exportFixture=/tmp/gptfx
  python3 src/test/python/make_gpt_fixture.py /tmp/gptfx/tiny_fixture_input.safetensors \
      src/test/resources/gpt/tiny_loss_curve.json
"""
import json
import math
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

DT = {"F64": np.float64, "F32": np.float32, "I32": np.int32}


def read_safetensors(path):
    """The format is 8 bytes of header length, a JSON header, raw little-endian data."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(data[b:end], dtype=DT[e["dtype"]]).reshape(e["shape"]).copy()
    return out, meta


def main(inp, outp):
    t, meta = read_safetensors(inp)
    V, maxT, L, H, C = (int(meta[k]) for k in ("vocab", "maxT", "layers", "heads", "channels"))
    names = json.loads(meta["param_names"])  # checkpoint order
    params = [torch.tensor(t[n], dtype=torch.float64, requires_grad=True) for n in names]
    P = dict(zip(names, params))
    probe = [torch.tensor(t["probe." + n], dtype=torch.float64) for n in names]
    xs, ys = torch.tensor(t["x"]).long(), torch.tensor(t["y"]).long()  # (steps, B, T)
    hs = C // H

    def forward(P, idx):
        B, T = idx.shape
        x = P["wte.weight"][idx] + P["wpe.weight"][:T]
        mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
        for l in range(L):
            p = lambda s: P[f"h.{l}.{s}"]
            h = F.layer_norm(x, (C,), p("ln_1.weight"), p("ln_1.bias"), eps=1e-5)
            qkv = h @ p("attn.c_attn.weight").T + p("attn.c_attn.bias")  # nn.Linear layout (3C, C)
            q, k, v = qkv.split(C, dim=2)
            q, k, v = (z.view(B, T, H, hs).transpose(1, 2) for z in (q, k, v))
            att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
            att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
            y = (att @ v).transpose(1, 2).reshape(B, T, C)
            x = x + y @ p("attn.c_proj.weight").T + p("attn.c_proj.bias")
            h = F.layer_norm(x, (C,), p("ln_2.weight"), p("ln_2.bias"), eps=1e-5)
            h = F.gelu(h @ p("mlp.c_fc.weight").T + p("mlp.c_fc.bias"), approximate="tanh")
            x = x + h @ p("mlp.c_proj.weight").T + p("mlp.c_proj.bias")
        x = F.layer_norm(x, (C,), P["ln_f.weight"], P["ln_f.bias"], eps=1e-5)
        return x @ P["wte.weight"].T  # tied LM head

    def loss_of(P, s):
        logits = forward(P, xs[s])
        return F.cross_entropy(logits.reshape(-1, V), ys[s].reshape(-1)), logits

    loss, logits = loss_of(P, 0)
    grads = torch.autograd.grad(loss, params, create_graph=True)
    gv = sum((g * v).sum() for g, v in zip(grads, probe))
    hv = torch.autograd.grad(gv, params)
    vhv = sum((h * v).sum() for h, v in zip(hv, probe)).item()

    def train(make_opt, steps=10):
        ps = [p.detach().clone().requires_grad_(True) for p in params]
        opt = make_opt(ps)
        losses = []
        for s in range(steps):
            opt.zero_grad()
            l, _ = loss_of(dict(zip(names, ps)), s)
            l.backward()
            losses.append(l.item())
            opt.step()
        return losses

    sgd = dict(lr=0.5)
    adamw = dict(lr=1e-2, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    fixture = {
        "what": "GPT-2 tiny reference values computed by PyTorch (float64) from eoslab's exported weights; "
                "written by src/test/python/make_gpt_fixture.py, checked by GptFixtureTest",
        "torch": torch.__version__,
        "config": dict(vocab=V, maxT=maxT, layers=L, heads=H, channels=C),
        "init_seed": int(meta["init_seed"]), "probe_seed": int(meta["probe_seed"]),
        "batch": xs.shape[1], "seq_len": xs.shape[2],
        "x": xs.tolist(), "y": ys.tolist(),
        "loss": loss.item(),
        "logits_first_two_positions": logits[0, :2].reshape(-1).tolist(),
        "grad_norms": {n: g.norm().item() for n, g in zip(names, grads)},
        "vHv": vhv,
        "hv_norms": {n: h.norm().item() for n, h in zip(names, hv)},
        "sgd": dict(sgd, losses=train(lambda ps: torch.optim.SGD(ps, **sgd))),
        "adamw": dict(adamw, betas=list(adamw["betas"]), losses=train(lambda ps: torch.optim.AdamW(ps, **adamw))),
    }
    with open(outp, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print("loss", fixture["loss"], "sgd", fixture["sgd"]["losses"][-1], "adamw", fixture["adamw"]["losses"][-1])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
