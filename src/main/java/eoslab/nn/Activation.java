package eoslab.nn;

import eoslab.backend.Act;
import eoslab.backend.Backend;
import eoslab.tensor.Tensor;

import java.util.List;

/**
 * Pointwise activation y = σ(x) (ReLU, Tanh, GELU; the scalar math is in {@link Act}).
 * <pre>
 *   x, y (n, c)          no parameters
 *   Ry     = σ'(x) ⊙ Rx
 *   dx     = σ'(x) ⊙ dy
 *   R{dx}  = σ''(x) ⊙ Rx ⊙ dy + σ'(x) ⊙ R{dy}
 * </pre>
 */
public final class Activation implements Layer {
    private final Act act;
    private final int size;

    public Activation(Act act, int size) {
        this.act = act;
        this.size = size;
    }

    public Act act() {
        return act;
    }

    @Override public int inSize() { return size; }

    @Override public int outSize() { return size; }

    @Override public int numParams() { return 0; }

    @Override public List<ParamSpec> params() { return List.of(); }

    @Override public void init(double[] w, int offset, Init init) { }

    @Override
    public void forward(Backend be, Tensor w, Tensor x, Tensor y, int n) {
        be.activation(act, x.view(0, (long) n * size), y.view(0, (long) n * size));
    }

    @Override
    public void backward(Backend be, Tensor w, Tensor x, Tensor y, Tensor dy, Tensor dx, Tensor dw, int n) {
        if (dx != null) be.activationBackward(act, x.view(0, (long) n * size), dy, dx, 1);
    }

    @Override
    public void rForward(Backend be, Tensor w, Tensor x, Tensor y, Tensor v, long stride, Tensor rx, Tensor ry, int n, int k) {
        if (rx == null) {
            be.fill(ry.view(0, (long) k * n * size), 0);
            return;
        }
        be.activationBackward(act, x.view(0, (long) n * size), rx, ry, k);
    }

    @Override
    public void rBackward(Backend be, Tensor w, Tensor x, Tensor y, Tensor dy, Tensor v, long stride,
                          Tensor rx, Tensor rdy, Tensor rdx, Tensor rdw, int n, int k) {
        if (rdx == null) return;
        Tensor xs = x.view(0, (long) n * size);
        if (rx == null) be.activationBackward(act, xs, rdy, rdx, k);
        else be.activationRBackward(act, xs, dy, rx, rdy, rdx, k);
    }

    @Override
    public String toString() {
        return act.name().charAt(0) + act.name().substring(1).toLowerCase() + "()";
    }
}
