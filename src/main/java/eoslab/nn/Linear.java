package eoslab.nn;

import eoslab.backend.Act;
import eoslab.backend.Backend;
import eoslab.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Fully connected layer y = x Wᵀ + b, PyTorch's {@code nn.Linear}.
 * <pre>
 *   x  (n, in)      W  (out, in)   at offset 0
 *   y  (n, out)     b  (out)       at offset out*in, when bias is on
 * </pre>
 * Tangents along a direction V = (V_W, V_b) of the parameters:
 * <pre>
 *   Ry     = Rx Wᵀ + x V_Wᵀ + V_b
 *   dx     = dy W                 R{dx} = R{dy} W + dy V_W
 *   dW    += dyᵀ x                R{dW} += R{dy}ᵀ x + dyᵀ Rx
 *   db    += Σ_rows dy            R{db} += Σ_rows R{dy}
 * </pre>
 */
public final class Linear implements Layer {
    private final int in, out;
    private final boolean bias;

    public Linear(int in, int out, boolean bias) {
        if (in < 1 || out < 1) throw new IllegalArgumentException("Linear needs positive sizes, got " + in + " -> " + out);
        this.in = in;
        this.out = out;
        this.bias = bias;
    }

    @Override public int inSize() { return in; }

    @Override public int outSize() { return out; }

    @Override
    public int numParams() {
        return out * in + (bias ? out : 0);
    }

    public boolean hasBias() {
        return bias;
    }

    @Override
    public List<ParamSpec> params() {
        List<ParamSpec> ps = new ArrayList<>();
        ps.add(new ParamSpec("weight", new int[]{out, in}, 0));
        if (bias) ps.add(new ParamSpec("bias", new int[]{out}, (long) out * in));
        return ps;
    }

    /** PyTorch's default: kaiming_uniform(a=√5) for W and U(±1/√in) for b, i.e. both U(±1/√in). */
    @Override
    public void init(double[] w, int offset, Init init) {
        double bound = 1.0 / Math.sqrt(in);
        for (int i = 0; i < numParams(); i++) w[offset + i] = init.uniform(offset, i, bound);
    }

    private Tensor weight(Tensor w) {
        return w.view(0, (long) out * in);
    }

    @Override
    public void forward(Backend be, Tensor w, Tensor x, Tensor y, int n) {
        if (bias) be.linearForward(x, weight(w), w.view((long) out * in, out), y, n, in, out);
        else be.gemm(false, true, n, out, in, 1, x, in, weight(w), in, 0, y, out);
    }

    /**
     * {@link #forward} into {@code pre}, then {@code y = act(pre)}: one {@link Backend#linearForwardAct}
     * (which a backend may fuse) when the map has a bias.
     */
    public void forwardAct(Backend be, Tensor w, Tensor x, Tensor pre, Act act, Tensor y, int n) {
        if (bias) {
            be.linearForwardAct(x, weight(w), w.view((long) out * in, out), pre, act, y, n, in, out);
        } else {
            forward(be, w, x, pre, n);
            be.activation(act, pre.view(0, (long) n * out), y.view(0, (long) n * out));
        }
    }

    @Override
    public void backward(Backend be, Tensor w, Tensor x, Tensor y, Tensor dy, Tensor dx, Tensor dw, int n) {
        if (dw != null) {
            be.gemm(true, false, out, in, n, 1, dy, out, x, in, 1, dw, in);            // dW += dyᵀ x
            if (bias) be.sumRows(dy, n, out, 1, 1, dw.view((long) out * in, out), 0);  // db += Σ dy
        }
        if (dx != null) be.gemm(false, false, n, in, out, 1, dy, out, weight(w), in, 0, dx, in); // dx = dy W
    }

    @Override
    public void rForward(Backend be, Tensor w, Tensor x, Tensor y, Tensor v, long stride, Tensor rx, Tensor ry, int n, int k) {
        double beta = 0;
        if (rx != null) {
            // all k tangent blocks at once: (k n, in) × Wᵀ
            be.gemm(false, true, k * n, out, in, 1, rx, in, weight(w), in, 0, ry, out);
            beta = 1;
        }
        // Ry_j += x V_Wjᵀ, x shared (stride 0)
        be.gemm(false, true, n, out, in, 1, x, in, 0, v, in, stride, beta, ry, out, (long) n * out, k);
        if (bias) be.addBias(v.view((long) out * in, v.size - (long) out * in), stride, ry, n, out, k);
    }

    @Override
    public void rBackward(Backend be, Tensor w, Tensor x, Tensor y, Tensor dy, Tensor v, long stride,
                          Tensor rx, Tensor rdy, Tensor rdx, Tensor rdw, int n, int k) {
        long nOut = (long) n * out, nIn = (long) n * in;
        // R{dW}_j += R{dy}_jᵀ x  (+ dyᵀ Rx_j)
        be.gemm(true, false, out, in, n, 1, rdy, out, nOut, x, in, 0, 1, rdw, in, stride, k);
        if (rx != null) be.gemm(true, false, out, in, n, 1, dy, out, 0, rx, in, nIn, 1, rdw, in, stride, k);
        if (bias) be.sumRows(rdy, n, out, k, 1, rdw.view((long) out * in, rdw.size - (long) out * in), stride);
        if (rdx != null) {
            // R{dx}_j = R{dy}_j W + dy V_Wj
            be.gemm(false, false, k * n, in, out, 1, rdy, out, weight(w), in, 0, rdx, in);
            be.gemm(false, false, n, in, out, 1, dy, out, 0, v, in, stride, 1, rdx, in, nIn, k);
        }
    }

    @Override
    public String toString() {
        return "Linear(" + in + ", " + out + (bias ? "" : ", bias=False") + ")";
    }
}
