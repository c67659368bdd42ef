"""Shared pieces of the PyTorch references (bench/gpu): the MLP, the data, HVPs with torch.func.

The model and loss mirror eoslab's `train` (eoslab.nn.Mlp, Loss.MSE): Linear layers with PyTorch's
default init, ReLU, loss = (1/n) sum_i 1/2 |f(x_i) - onehot(y_i)|^2 over the full batch.
"""
import os
import numpy as np
import torch

try:  # PyTorch >= 2.0
    from torch.func import functional_call, grad, jvp, vmap
except ImportError:  # PyTorch 1.13 (only for checking these scripts on a CPU box)
    from functorch import grad, jvp, vmap
    from torch.nn.utils.stateless import functional_call


def setup(device, dtype):
    """IEEE float32 matmuls (eoslab's cuBLAS GEMMs use no TF32): the same arithmetic on both sides."""
    if device.startswith("cuda"):
        try:
            torch.backends.cuda.matmul.fp32_precision = "ieee"
            torch.backends.cudnn.conv.fp32_precision = "ieee"
        except AttributeError:
            pass
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    return {"f32": torch.float32, "f64": torch.float64}[dtype]


def mlp(sizes, device, dtype):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers).to(device=device, dtype=dtype)


def cifar10(folder, n, n_test):
    """CIFAR-10 binary version (as eoslab's cifar10:DIR): the first n train / n_test test records,
    pixels / 255 minus the train mean image (eoslab --normalization center)."""
    rec = 3073
    if os.path.isdir(os.path.join(folder, "cifar-10-batches-bin")):
        folder = os.path.join(folder, "cifar-10-batches-bin")
    train = np.concatenate([np.fromfile(os.path.join(folder, f"data_batch_{i}.bin"), np.uint8).reshape(-1, rec) for i in range(1, 6)])
    test = np.fromfile(os.path.join(folder, "test_batch.bin"), np.uint8).reshape(-1, rec)
    train, test = train[:n], test[:n_test]
    xtr, xte = train[:, 1:].astype(np.float32) / 255, test[:, 1:].astype(np.float32) / 255
    mean = xtr.mean(axis=0, keepdims=True)
    return (torch.from_numpy(xtr - mean), torch.from_numpy(train[:, 0].astype(np.int64)),
            torch.from_numpy(xte - mean), torch.from_numpy(test[:, 0].astype(np.int64)))


def synthetic(n, n_test, dim, classes, seed):
    """Data of CIFAR-10's shape when CIFAR-10 is absent: Gaussian clusters (the values do not
    change the cost of a pass; eoslab's side uses its own gaussian:k=10,dim=3072)."""
    g = torch.Generator().manual_seed(seed)
    centers = 4 / 2 ** 0.5 * torch.linalg.qr(torch.randn(dim, classes, generator=g))[0].T
    def draw(m):
        y = torch.randint(0, classes, (m,), generator=g)
        return centers[y] + torch.randn(m, dim, generator=g), y
    xtr, ytr = draw(n)
    xte, yte = draw(n_test)
    return xtr, ytr, xte, yte


def loss_fn(model):
    """(params, x, t) -> (1/n) sum_i 1/2 |f(x_i) - t_i|^2, a pure function for torch.func."""
    def f(params, x, t):
        out = functional_call(model, params, (x,))
        return 0.5 * ((out - t) ** 2).sum() / x.shape[0]
    return f


class Flat:
    """A parameter dict <-> one flat vector (Lanczos works on flat vectors)."""
    def __init__(self, params):
        self.names = list(params)
        self.shapes = [params[k].shape for k in self.names]
        self.sizes = [params[k].numel() for k in self.names]
        self.dim = sum(self.sizes)

    def unflatten(self, v):
        return {k: p.view(s) for k, p, s in zip(self.names, torch.split(v, self.sizes), self.shapes)}

    def flatten(self, d):
        return torch.cat([d[k].reshape(-1) for k in self.names])


HVP_METHODS = ("functorch", "autograd")


def hvp_fn(f, params, x, t, flat, method="functorch"):
    """v (dim,) -> H v.
    functorch: forward-over-reverse, jvp of grad (torch.func's recommended HVP);
    autograd: reverse-over-reverse, grad of <grad, v> with create_graph=True, the double backward the
    Python EoS scripts use (Cohen et al.'s edge-of-stability code), one graph per product (PyHessian keeps
    the gradient graph of one batch and reuses it, which this does not model)."""
    if method == "autograd":
        ps = [params[k].detach().requires_grad_(True) for k in flat.names]
        def hvp(v):
            loss = f(dict(zip(flat.names, ps)), x, t)
            g = torch.autograd.grad(loss, ps, create_graph=True)
            dot = sum((gi * vi).sum() for gi, vi in zip(g, flat.unflatten(v).values()))
            return torch.cat([h.reshape(-1) for h in torch.autograd.grad(dot, ps)])
        return hvp
    if method != "functorch":
        raise ValueError("unknown HVP method %r (one of %s)" % (method, ", ".join(HVP_METHODS)))
    g = grad(f)
    def hvp(v):
        return flat.flatten(jvp(lambda p: g(p, x, t), (params,), (flat.unflatten(v),))[1])
    return hvp


def batched_hvp_fn(hvp, method):
    """V (k, dim) -> (k, dim): vmapped for functorch, a loop of k double backwards for autograd
    (as the Python scripts do it)."""
    if method == "autograd":
        return lambda V: torch.stack([hvp(v) for v in V])
    return vmap(hvp)


def lanczos_max(hvp, v0, iters):
    """Largest eigenvalue by `iters` Lanczos steps from v0 (full reorthogonalization, float64
    tridiagonal eigensolve): exactly `iters` HVPs. Returns (lambda_max, its Ritz vector)."""
    dim = v0.numel()
    Q = torch.zeros(iters, dim, dtype=v0.dtype, device=v0.device)
    alpha, beta = [], []
    q = v0 / v0.norm()
    for j in range(iters):
        Q[j] = q
        w = hvp(q)
        a = torch.dot(w, q)
        w = w - Q[: j + 1].T @ (Q[: j + 1] @ w)      # full reorthogonalization (includes -a q - b q_prev)
        alpha.append(a.item())
        b = w.norm().item()
        if j + 1 == iters or b < 1e-12:
            break
        beta.append(b)
        q = w / b
    m = len(alpha)
    T = torch.diag(torch.tensor(alpha, dtype=torch.float64))
    if m > 1:
        off = torch.tensor(beta[: m - 1], dtype=torch.float64)
        T += torch.diag(off, 1) + torch.diag(off, -1)
    evals, evecs = torch.linalg.eigh(T)
    ritz = (Q[:m].T @ evecs[:, -1].to(v0.dtype).to(v0.device))
    return evals[-1].item(), ritz, m
