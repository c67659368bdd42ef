package eoslab.nn;

import eoslab.backend.Backend;
import eoslab.tensor.Tensor;

import java.util.List;

/**
 * PyTorch's {@code nn.Flatten()}: (n, C, H, W) → (n, C·H·W). Activations are already flat in NCHW
 * order, so every pass is a copy; the layer exists so that module indices, and thus the
 * checkpoint names {@code layers.i.weight}, match a PyTorch {@code nn.Sequential} of the same model.
 */
public final class Flatten implements Layer {
    private final int size;

    public Flatten(int size) {
        if (size < 1) throw new IllegalArgumentException("Flatten needs a positive size, got " + size);
        this.size = size;
    }

    @Override public int inSize() { return size; }

    @Override public int outSize() { return size; }

    @Override public int numParams() { return 0; }

    @Override public List<ParamSpec> params() { return List.of(); }

    @Override public void init(double[] w, int offset, Init init) { }

    @Override
    public void forward(Backend be, Tensor w, Tensor x, Tensor y, int n) {
        be.copy(x.view(0, (long) n * size), y.view(0, (long) n * size));
    }

    @Override
    public void backward(Backend be, Tensor w, Tensor x, Tensor y, Tensor dy, Tensor dx, Tensor dw, int n) {
        if (dx != null) be.copy(dy.view(0, (long) n * size), dx.view(0, (long) n * size));
    }

    @Override
    public void rForward(Backend be, Tensor w, Tensor x, Tensor y, Tensor v, long stride, Tensor rx, Tensor ry, int n, int k) {
        long len = (long) k * n * size;
        if (rx == null) be.fill(ry.view(0, len), 0);
        else be.copy(rx.view(0, len), ry.view(0, len));
    }

    @Override
    public void rBackward(Backend be, Tensor w, Tensor x, Tensor y, Tensor dy, Tensor v, long stride,
                          Tensor rx, Tensor rdy, Tensor rdx, Tensor rdw, int n, int k) {
        long len = (long) k * n * size;
        if (rdx != null) be.copy(rdy.view(0, len), rdx.view(0, len));
    }

    @Override
    public String toString() {
        return "Flatten()";
    }
}
