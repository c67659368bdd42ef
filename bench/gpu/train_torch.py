"""PyTorch eager reference of `eoslab train` for the branching baseline (bench/gpu/run-all.sh):
full-batch GD on an MLP with MSE, and lambda_max of the training-loss Hessian by Lanczos
(torch.func HVPs) every --log-every steps, with the train and test loss/accuracy, as eoslab logs.

Prints one JSON line: wall time of the loop, the part spent in measurements, HVP count, last metrics.
    python3 train_torch.py --device cuda --n 10000 --steps 10000 [--cifar DIR]
"""
import argparse
import json
import time

import torch

import common


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--dtype", default="f32")
    ap.add_argument("--cifar", default=None, help="CIFAR-10 binary folder; synthetic data of its shape when absent")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--n-test", type=int, default=1000)
    ap.add_argument("--dim", type=int, default=3072)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--hidden", default="512,512")
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--steps", type=int, default=10000)
    ap.add_argument("--log-every", type=int, default=32)
    ap.add_argument("--lanczos-iters", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hvp", default="functorch", choices=common.HVP_METHODS,
                    help="functorch: jvp of grad; autograd: double backward (Cohen et al.'s code)")
    a = ap.parse_args()

    dt = common.setup(a.device, a.dtype)
    torch.manual_seed(a.seed)
    if a.cifar:
        xtr, ytr, xte, yte = common.cifar10(a.cifar, a.n, a.n_test)
        a.dim, a.classes = 3072, 10
    else:
        xtr, ytr, xte, yte = common.synthetic(a.n, a.n_test, a.dim, a.classes, a.seed)
    dev = a.device
    xtr, xte = xtr.to(dev, dt), xte.to(dev, dt)
    ytr, yte = ytr.to(dev), yte.to(dev)
    ttr = torch.nn.functional.one_hot(ytr, a.classes).to(dt)
    tte = torch.nn.functional.one_hot(yte, a.classes).to(dt)
    sizes = [a.dim] + [int(h) for h in a.hidden.split(",")] + [a.classes]
    model = common.mlp(sizes, dev, dt)
    f = common.loss_fn(model)
    params = {k: v.detach() for k, v in model.named_parameters()}
    flat = common.Flat(params)
    v0 = torch.randn(flat.dim, device=dev, dtype=dt)

    def sync():
        if dev.startswith("cuda"):
            torch.cuda.synchronize()

    def loss_acc(p, x, y, t):
        with torch.no_grad():
            out = torch.func.functional_call(model, p, (x,)) if hasattr(torch, "func") else common.functional_call(model, p, (x,))
            return (0.5 * ((out - t) ** 2).sum() / x.shape[0]).item(), (out.argmax(1) == y).float().mean().item()

    grad_f = torch.func.grad(f) if hasattr(torch, "func") else common.grad(f)
    hvps, measure_s, last = 0, 0.0, {}
    sync()
    t0 = time.perf_counter()
    for t in range(a.steps + 1):
        if t % a.log_every == 0 or t == a.steps:
            m0 = time.perf_counter()
            trl, tra = loss_acc(params, xtr, ytr, ttr)
            tel, tea = loss_acc(params, xte, yte, tte)
            lam, v0, iters = common.lanczos_max(common.hvp_fn(f, params, xtr, ttr, flat, a.hvp), v0, a.lanczos_iters)
            hvps += iters
            sync()
            measure_s += time.perf_counter() - m0
            last = {"step": t, "train_loss": trl, "train_acc": tra, "test_loss": tel, "test_acc": tea, "lambda_max": lam}
            if trl != trl:
                break
        if t == a.steps:
            break
        g = grad_f(params, xtr, ttr)
        params = {k: params[k] - a.lr * g[k] for k in params}
    sync()
    wall = time.perf_counter() - t0
    print(json.dumps({"impl": "torch", "device": torch.cuda.get_device_name() if dev.startswith("cuda") else "cpu",
                      "torch": torch.__version__, "n": a.n, "d": flat.dim, "steps": a.steps, "loop_s": wall,
                      "measure_s": measure_s, "hvps": hvps, "hvp_method": a.hvp,
                      "threads": torch.get_num_threads(), "data": "cifar10" if a.cifar else "synthetic", **last}))


if __name__ == "__main__":
    main()
