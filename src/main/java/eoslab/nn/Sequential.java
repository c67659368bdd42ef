package eoslab.nn;

import eoslab.backend.Backend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A stack of layers, named like PyTorch's {@code nn.Sequential} stored as {@code layers}: the i-th
 * module's parameters are {@code layers.i.weight}, {@code layers.i.bias}, so a PyTorch model built
 * from the same modules loads an eoslab checkpoint directly.
 *
 * <p>Buffers for activations and their tangents are kept between calls and grown when a larger
 * batch or more directions arrive, so the hot path allocates nothing.
 */
public class Sequential implements Model {
    private final List<Layer> layers;
    private final long[] offsets;
    private final int numParams;
    private final String description;
    private Workspace ws;

    public Sequential(List<Layer> layers, String description) {
        if (layers.isEmpty()) throw new IllegalArgumentException("a model needs at least one layer");
        this.layers = List.copyOf(layers);
        this.offsets = new long[layers.size()];
        long off = 0;
        for (int i = 0; i < layers.size(); i++) {
            if (i > 0 && layers.get(i).inSize() != layers.get(i - 1).outSize()) {
                throw new IllegalArgumentException("layer " + i + " takes " + layers.get(i).inSize() + " inputs but layer " + (i - 1) + " gives " + layers.get(i - 1).outSize());
            }
            offsets[i] = off;
            off += layers.get(i).numParams();
        }
        if (off > Integer.MAX_VALUE) throw new IllegalArgumentException("model too large: " + off + " parameters");
        this.numParams = (int) off;
        this.description = description;
    }

    public List<Layer> layers() {
        return layers;
    }

    public long offset(int layer) {
        return offsets[layer];
    }

    @Override public int numParams() { return numParams; }

    @Override public int inputSize() { return layers.getFirst().inSize(); }

    @Override public int outputSize() { return layers.getLast().outSize(); }

    @Override public String describe() { return description; }

    @Override
    public List<ParamSpec> params() {
        List<ParamSpec> out = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            for (ParamSpec p : layers.get(i).params()) out.add(p.withPrefix("layers." + i + ".", offsets[i]));
        }
        return out;
    }

    @Override
    public double[] init(long seed, double scale) {
        double[] w = new double[numParams];
        Init init = new Init(seed, scale);
        for (int i = 0; i < layers.size(); i++) layers.get(i).init(w, (int) offsets[i], init);
        return w;
    }

    @Override
    public void forward(Backend be, Tensor w, Tensor x, int n, Tensor out) {
        Workspace s = workspace(be, w.dtype, n, 0);
        Tensor cur = x;
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            Tensor y = i == layers.size() - 1 ? out : s.act[i + 1];
            l.forward(be, params(w, i), cur, y, n);
            cur = y;
        }
    }

    @Override
    public double lossGradHvp(Backend be, Tensor w, Batch batch, Loss loss, double scale,
                              Tensor grad, Tensor v, int k, Tensor hv, Tensor rowLoss, Tensor logits) {
        int n = batch.n(), L = layers.size(), c = outputSize();
        Workspace s = workspace(be, w.dtype, n, k);
        // forward: act[0] = x, act[i+1] = layer i's output
        s.act[0] = batch.x();
        for (int i = 0; i < L; i++) layers.get(i).forward(be, params(w, i), s.act[i], s.act[i + 1], n);
        Tensor out = s.act[L];
        if (logits != null) be.copy(out.view(0, (long) n * c), logits.view(0, (long) n * c));
        double value = loss.forwardBackward(be, out, batch, n, c, scale, s.grad[L], s.cache, rowLoss);
        if (grad == null && k == 0) return value;

        // backward: grad[i] = ∂(scale·Σℓ)/∂act[i]
        for (int i = L - 1; i >= 0; i--) {
            layers.get(i).backward(be, params(w, i), s.act[i], s.act[i + 1], s.grad[i + 1],
                    i == 0 ? null : s.grad[i], grad == null ? null : params(grad, i), n);
        }
        if (k == 0) return value;
        rPasses(be, w, s, loss, scale, v, k, hv, n, c);
        return value;
    }

    /**
     * The Gauss-Newton part of the Hessian, G = Jᵀ H_ℓ J (J = ∂f/∂w, H_ℓ the loss's Hessian in the outputs):
     * gv_j += scale·Σ_i J_iᵀ H_ℓ,i J_i v_j. The same passes as the HVP with every primal output gradient
     * set to zero: the terms the backward R-pass adds beyond Jᵀ R{dy} all multiply those gradients (they
     * are Σ_c ∂ℓ/∂f_c ∇²f_c, the residual part of the Hessian), so what remains is the loss's R-op H_ℓ·Jv
     * carried back by Jᵀ (Schraudolph 2002; Martens 2010). Positive semi-definite for MSE and CE.
     */
    @Override
    public double ggnProduct(Backend be, Tensor w, Batch batch, Loss loss, double scale, Tensor v, int k, Tensor gv) {
        int n = batch.n(), L = layers.size(), c = outputSize();
        Workspace s = workspace(be, w.dtype, n, k);
        s.act[0] = batch.x();
        for (int i = 0; i < L; i++) layers.get(i).forward(be, params(w, i), s.act[i], s.act[i + 1], n);
        double value = loss.forwardBackward(be, s.act[L], batch, n, c, scale, s.grad[L], s.cache, null);   // the cache H_ℓ needs
        for (int i = 1; i <= L; i++) be.fill(s.grad[i], 0);
        rPasses(be, w, s, loss, scale, v, k, gv, n, c);
        return value;
    }

    /** The forward R-pass, the loss's R-op, then the backward R-pass into out (k, d), given the primal pass in s. */
    private void rPasses(Backend be, Tensor w, Workspace s, Loss loss, double scale, Tensor v, int k, Tensor out, int n, int c) {
        int L = layers.size();
        // forward R-pass: ract[i+1] = tangent of layer i's output along each v_j; the input has none
        long d = numParams;
        for (int i = 0; i < L; i++) {
            layers.get(i).rForward(be, params(w, i), s.act[i], s.act[i + 1], dirs(v, i, k), d,
                    i == 0 ? null : s.ract[i], s.ract[i + 1], n, k);
        }
        // R-op of the loss gradient, then the backward R-pass, ping-ponging two R{dy} buffers
        Tensor rdy = s.rgradA, rdx = s.rgradB;
        loss.rBackward(be, s.cache, s.ract[L], n, c, k, scale, rdy);
        for (int i = L - 1; i >= 0; i--) {
            layers.get(i).rBackward(be, params(w, i), s.act[i], s.act[i + 1], s.grad[i + 1], dirs(v, i, k), d,
                    i == 0 ? null : s.ract[i], rdy, i == 0 ? null : rdx, dirs(out, i, k), n, k);
            Tensor t = rdy;
            rdy = rdx;
            rdx = t;
        }
    }

    /** Forward, loss, then the backward pass down to the first layer's input (no parameter gradients). */
    @Override
    public double lossAndInputGradient(Backend be, Tensor w, Batch batch, Loss loss, double scale, Tensor dx) {
        int n = batch.n(), L = layers.size(), c = outputSize();
        if (dx.size < (long) n * inputSize()) {
            throw new IllegalArgumentException("input gradient buffer holds " + dx.size + " values, need n*inputs = " + (long) n * inputSize());
        }
        Workspace s = workspace(be, w.dtype, n, 0);
        s.act[0] = batch.x();
        for (int i = 0; i < L; i++) layers.get(i).forward(be, params(w, i), s.act[i], s.act[i + 1], n);
        double value = loss.forwardBackward(be, s.act[L], batch, n, c, scale, s.grad[L], s.cache, null);
        for (int i = L - 1; i >= 0; i--) {
            layers.get(i).backward(be, params(w, i), s.act[i], s.act[i + 1], s.grad[i + 1],
                    i == 0 ? dx.view(0, (long) n * inputSize()) : s.grad[i], null, n);
        }
        return value;
    }

    /** Sees one layer after a {@link #backwardPerLayer} pass. */
    @FunctionalInterface
    public interface LayerVisitor {
        /**
         * @param layer the layer's index
         * @param x     its input (n, in)
         * @param dy    scale·∂(Σ ℓ_i)/∂y of its output (n, out); with scale 1, row i is ∂ℓ_i/∂y_i
         */
        void visit(int layer, Tensor x, Tensor dy);
    }

    /**
     * Forward, loss and backward (input gradients only, no parameter gradients), then shows every
     * layer its input and output gradient, in layer order. Per-example parameter gradients of layers
     * whose gradient is a product of the two (a Linear layer: ∇_W ℓ_i = dy_i x_iᵀ, Goodfellow 2015)
     * follow without a per-example backward pass. The tensors are this model's buffers: valid only
     * inside the visitor. Returns scale·Σ ℓ_i.
     */
    public double backwardPerLayer(Backend be, Tensor w, Batch batch, Loss loss, double scale, LayerVisitor visitor) {
        int n = batch.n(), L = layers.size(), c = outputSize();
        Workspace s = workspace(be, w.dtype, n, 0);
        s.act[0] = batch.x();
        for (int i = 0; i < L; i++) layers.get(i).forward(be, params(w, i), s.act[i], s.act[i + 1], n);
        double value = loss.forwardBackward(be, s.act[L], batch, n, c, scale, s.grad[L], s.cache, null);
        for (int i = L - 1; i > 0; i--) {
            layers.get(i).backward(be, params(w, i), s.act[i], s.act[i + 1], s.grad[i + 1], s.grad[i], null, n);
        }
        for (int i = 0; i < L; i++) {
            Layer l = layers.get(i);
            visitor.visit(i, s.act[i].view(0, (long) n * l.inSize()), s.grad[i + 1].view(0, (long) n * l.outSize()));
        }
        return value;
    }

    /** Layer i's window of the flat vector w. */
    private Tensor params(Tensor w, int i) {
        return w.view(offsets[i], layers.get(i).numParams());
    }

    /** Layer i's window in direction 0 of k directions stored back to back, spanning all k. */
    private Tensor dirs(Tensor v, int i, int k) {
        return v.view(offsets[i], (long) (k - 1) * numParams + layers.get(i).numParams());
    }

    private Workspace workspace(Backend be, DType dtype, int n, int k) {
        if (ws == null || ws.be != be || ws.dtype != dtype || ws.n < n || ws.k < k) {
            ws = new Workspace(be, dtype, ws == null ? n : Math.max(n, ws.n), ws == null ? k : Math.max(k, ws.k));
        }
        return ws;
    }

    /** Per-call buffers: activations, their gradients and tangents, sized for n rows and k directions. */
    private final class Workspace {
        final Backend be;
        final DType dtype;
        final int n, k;
        final Tensor[] act, grad, ract;
        final Tensor cache, rgradA, rgradB;

        Workspace(Backend be, DType dtype, int n, int k) {
            this.be = be;
            this.dtype = dtype;
            this.n = n;
            this.k = k;
            int L = layers.size();
            act = new Tensor[L + 1];
            grad = new Tensor[L + 1];
            ract = new Tensor[L + 1];
            int widest = inputSize();
            for (int i = 0; i < L; i++) {
                int sz = layers.get(i).outSize();
                widest = Math.max(widest, sz);
                act[i + 1] = be.zeros(dtype, (long) n * sz);
                grad[i + 1] = be.zeros(dtype, (long) n * sz);
                if (k > 0) ract[i + 1] = be.zeros(dtype, (long) k * n * sz);
            }
            grad[0] = null;
            cache = be.zeros(dtype, (long) n * outputSize());
            rgradA = k > 0 ? be.zeros(dtype, (long) k * n * widest) : null;
            rgradB = k > 0 ? be.zeros(dtype, (long) k * n * widest) : null;
        }
    }
}
