"""PyTorch reference of `eoslab bench hvp`: k Hessian-vector products of the full-batch MSE loss of
an MLP, vmapped over the k directions (torch.func: vmap of jvp of grad). Prints one JSON line per k
with the median seconds per batched call (warm-up first, synchronized timing).
    python3 hvp_torch.py --device cuda --n 10000 --k 1,8,32
"""
import argparse
import json
import statistics
import time

import torch

import common


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--dtype", default="f32")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--dim", type=int, default=3072)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--hidden", default="512,512")
    ap.add_argument("--k", default="1,8,32")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hvp", default="functorch", choices=common.HVP_METHODS,
                    help="functorch: vmap of jvp of grad; autograd: double backward, k of them in a loop")
    a = ap.parse_args()

    dt = common.setup(a.device, a.dtype)
    torch.manual_seed(a.seed)
    dev = a.device
    x, y, _, _ = common.synthetic(a.n, 1, a.dim, a.classes, a.seed)
    x, t = x.to(dev, dt), torch.nn.functional.one_hot(y, a.classes).to(dev, dt)
    sizes = [a.dim] + [int(h) for h in a.hidden.split(",")] + [a.classes]
    model = common.mlp(sizes, dev, dt)
    f = common.loss_fn(model)
    params = {k: v.detach() for k, v in model.named_parameters()}
    flat = common.Flat(params)
    hvp = common.hvp_fn(f, params, x, t, flat, a.hvp)
    batched = common.batched_hvp_fn(hvp, a.hvp)

    def sync():
        if dev.startswith("cuda"):
            torch.cuda.synchronize()

    for k in [int(s) for s in a.k.split(",")]:
        V = torch.rand(k, flat.dim, device=dev, dtype=dt) * 2 - 1
        call = (lambda: hvp(V[0]).unsqueeze(0)) if k == 1 else (lambda: batched(V))
        for _ in range(a.warmup):
            call()
        s = []
        for _ in range(a.repeats):
            sync()
            t0 = time.perf_counter()
            call()
            sync()
            s.append(time.perf_counter() - t0)
        med = statistics.median(s)
        print(json.dumps({"impl": "torch", "bench": "hvp", "k": k, "n": a.n, "d": flat.dim, "median_s": med,
                          "hvps_per_s": k / med, "hvp_method": a.hvp, "threads": torch.get_num_threads(), "torch": torch.__version__,
                          "device": torch.cuda.get_device_name() if dev.startswith("cuda") else "cpu"}))


if __name__ == "__main__":
    main()
