"""Self-check of the PyTorch references on a CPU (tiny sizes, float64): the torch.func and the
double-backward HVPs against the dense Hessian, the vmapped HVP against k single ones, and
Lanczos's lambda_max against the dense eigenvalues. Tolerances atol + rtol*|ref| next to each check. Exit 0 iff all hold.
    python3 check_torch.py
"""
import torch

import common


def main():
    torch.manual_seed(0)
    dt = torch.float64
    x, y, _, _ = common.synthetic(20, 1, 5, 3, 0)
    x, t = x.to(dt), torch.nn.functional.one_hot(y, 3).to(dt)
    model = common.mlp([5, 7, 3], "cpu", dt)
    f = common.loss_fn(model)
    params = {k: v.detach() for k, v in model.named_parameters()}
    flat = common.Flat(params)
    w = flat.flatten(params)
    H = torch.autograd.functional.hessian(lambda v: f(flat.unflatten(v), x, t), w)   # (d, d) dense
    hvp = common.hvp_fn(f, params, x, t, flat)
    V = torch.randn(4, flat.dim, dtype=dt)
    ok = True
    # HVP vs dense: float64, one pass of rounding each: atol 1e-10 + rtol 1e-8
    err = (hvp(V[0]) - H @ V[0]).abs().max().item()
    ok &= err <= 1e-10 + 1e-8 * (H @ V[0]).abs().max().item()
    print(f"hvp vs dense Hessian: max err {err:.2e}")
    # vmapped = stacked singles: atol 1e-12 + rtol 1e-10
    B = common.vmap(hvp)(V)
    errb = max((B[j] - hvp(V[j])).abs().max().item() for j in range(4))
    ok &= errb <= 1e-12 + 1e-10 * B.abs().max().item()
    print(f"vmap(hvp) vs single: max err {errb:.2e}")
    # double backward (the Python scripts' HVP) vs dense, singly and batched: the same tolerance
    hvp_ag = common.hvp_fn(f, params, x, t, flat, "autograd")
    Bag = common.batched_hvp_fn(hvp_ag, "autograd")(V)
    erra = max((Bag[j] - H @ V[j]).abs().max().item() for j in range(4))
    ok &= erra <= 1e-10 + 1e-8 * (V @ H).abs().max().item()   # H symmetric: rows of V H = H v_j
    print(f"autograd (double backward) hvp vs dense Hessian: max err {erra:.2e}")
    # Lanczos with d iterations is exact; 20 iterations on d=66 gets lambda_max to 1e-8 relative
    lam_ref = torch.linalg.eigvalsh(H)[-1].item()
    lam, _, m = common.lanczos_max(hvp, torch.randn(flat.dim, dtype=dt), 20)
    ok &= abs(lam - lam_ref) <= 1e-10 + 1e-6 * abs(lam_ref)
    print(f"lanczos lambda_max {lam:.10g} vs dense {lam_ref:.10g} ({m} iterations)")
    print("CHECK OK" if ok else "CHECK FAILED")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
