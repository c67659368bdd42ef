package eoslab.nn;

import eoslab.backend.Act;
import eoslab.backend.Backend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A BN-free basic residual block (He et al. 2016, without batch norm, as in Kwag et al. App. A):
 * <pre>
 *   a = conv1(x)     h = relu(a)     z = conv2(h) + shortcut(x)     y = relu(z)
 *   x (n, inC, H, W)     a, h, z, y (n, outC, Ho, Wo)     Ho = ⌈H / stride⌉
 *   conv1: 3×3, stride s, pad 1     conv2: 3×3, stride 1, pad 1
 *   shortcut: identity when s = 1 and inC = outC, else a 1×1 conv with stride s (projection)
 * </pre>
 * Parameters: conv1's window, then conv2's, then the shortcut's, named {@code conv1.weight},
 * {@code conv1.bias}, {@code conv2.weight}, …, {@code shortcut.weight} like a PyTorch module
 * with those attributes.
 *
 * <p>Passes, chaining the sub-layers' own (see {@link Conv2d}):
 * <pre>
 *   Ra = conv1.R(Rx)   Rh = relu'(a) Ra   Ry = relu'(z) (conv2.R(Rh) + shortcut.R(Rx))
 *   dz = relu'(z) dy   dh = conv2ᵀ dz     da = relu'(a) dh    dx = conv1ᵀ da + shortcutᵀ dz
 *   R{dz} = relu'(z) R{dy}                R{da} = relu'(a) R{dh}   (relu'' = 0)
 * </pre>
 * relu'(z) = [z &gt; 0] = [y &gt; 0], so the mask of the output ReLU is read from y and z is never needed.
 *
 * <p>Layers are stateless (see {@link Layer}): the block is called with x and y only, so backward
 * and both R-passes recompute a = conv1(x) and h, and rBackward also recomputes Ra, Rh and
 * dh = conv2ᵀ dz. Per {@code lossGradHvp} call that is conv1's forward run 4 times instead of once,
 * its R-forward twice and conv2's backward-data twice: roughly +50% of the block's work, traded for
 * a contract with no hidden per-call state. The internal buffers live in a workspace grown on
 * demand and carry nothing between calls.
 */
public final class ResidualBlock implements Layer {
    private static final Act RELU = Act.RELU;

    private final Conv2d conv1, conv2, shortcut; // shortcut null: identity
    private final int inSize, outSize;
    private final long off2, offS;
    private final int numParams;
    private Workspace ws;

    /**
     * @param stride 1, or 2 to downsample (then the shortcut is a 1×1 projection)
     * @param bias   whether the convolutions have biases
     */
    public ResidualBlock(int inC, int outC, int height, int width, int stride, boolean bias) {
        conv1 = Conv2d.conv3x3(inC, outC, height, width, stride, bias);
        conv2 = Conv2d.conv3x3(outC, outC, conv1.outHeight(), conv1.outWidth(), 1, bias);
        shortcut = stride == 1 && inC == outC ? null : new Conv2d(inC, outC, height, width, 1, stride, 0, bias);
        if (shortcut != null && shortcut.outSize() != conv1.outSize()) {
            throw new IllegalStateException("shortcut gives " + shortcut.outSize() + " values, conv path " + conv1.outSize());
        }
        inSize = conv1.inSize();
        outSize = conv2.outSize();
        off2 = conv1.numParams();
        offS = off2 + conv2.numParams();
        numParams = (int) offS + (shortcut == null ? 0 : shortcut.numParams());
    }

    public boolean downsamples() {
        return shortcut != null;
    }

    @Override public int inSize() { return inSize; }

    @Override public int outSize() { return outSize; }

    @Override public int numParams() { return numParams; }

    @Override
    public List<ParamSpec> params() {
        List<ParamSpec> ps = new ArrayList<>();
        for (ParamSpec q : conv1.params()) ps.add(q.withPrefix("conv1.", 0));
        for (ParamSpec q : conv2.params()) ps.add(q.withPrefix("conv2.", off2));
        if (shortcut != null) for (ParamSpec q : shortcut.params()) ps.add(q.withPrefix("shortcut.", offS));
        return ps;
    }

    @Override
    public void init(double[] w, int offset, Init init) {
        conv1.init(w, offset, init);
        conv2.init(w, offset + (int) off2, init);
        if (shortcut != null) shortcut.init(w, offset + (int) offS, init);
    }

    // ---- windows of the block's parameter vector (or of k directions spaced by a stride) --------

    private Tensor w1(Tensor w) { return w.view(0, conv1.numParams()); }

    private Tensor w2(Tensor w) { return w.view(off2, conv2.numParams()); }

    private Tensor wS(Tensor w) { return w.view(offS, shortcut.numParams()); }

    /** Sub-window starting at {@code off}, spanning every direction that follows at the stride. */
    private static Tensor dirs(Tensor v, long off) {
        return v.view(off, v.size - off);
    }

    // ---- the four passes -------------------------------------------------------------------------

    @Override
    public void forward(Backend be, Tensor w, Tensor x, Tensor y, int n) {
        Workspace s = workspace(be, x.dtype, n, 0);
        long len = (long) n * outSize;
        Tensor a = s.a.view(0, len), h = s.h.view(0, len), z = y.view(0, len);
        conv1.forward(be, w1(w), x, a, n);
        be.activation(RELU, a, h);
        conv2.forward(be, w2(w), h, z, n);
        if (shortcut == null) {
            be.axpby(1, x.view(0, len), 1, z);
        } else {
            shortcut.forward(be, wS(w), x, s.sc.view(0, len), n);
            be.axpby(1, s.sc.view(0, len), 1, z);
        }
        be.activation(RELU, z, z); // elementwise, in place: y = relu(z)
    }

    @Override
    public void backward(Backend be, Tensor w, Tensor x, Tensor y, Tensor dy, Tensor dx, Tensor dw, int n) {
        Workspace s = workspace(be, x.dtype, n, 0);
        long len = (long) n * outSize, lenIn = (long) n * inSize;
        Tensor a = s.a.view(0, len), h = s.h.view(0, len), dz = s.dz.view(0, len), dh = s.dh.view(0, len), da = s.da.view(0, len);
        recompute(be, w, x, a, h, n);
        be.activationBackward(RELU, y.view(0, len), dy, dz, 1);                 // dz = relu'(z) dy
        conv2.backward(be, w2(w), h, null, dz, dh, dw == null ? null : w2(dw), n);
        be.activationBackward(RELU, a, dh, da, 1);                              // da = relu'(a) dh
        conv1.backward(be, w1(w), x, a, da, dx, dw == null ? null : w1(dw), n);
        if (shortcut == null) {
            if (dx != null) be.axpby(1, dz, 1, dx.view(0, lenIn));
        } else {
            Tensor dxs = dx == null ? null : s.dxs.view(0, lenIn);
            shortcut.backward(be, wS(w), x, null, dz, dxs, dw == null ? null : wS(dw), n);
            if (dx != null) be.axpby(1, dxs, 1, dx.view(0, lenIn));
        }
    }

    @Override
    public void rForward(Backend be, Tensor w, Tensor x, Tensor y, Tensor v, long stride, Tensor rx, Tensor ry, int n, int k) {
        Workspace s = workspace(be, x.dtype, n, k);
        long len = (long) n * outSize, rlen = k * len, rlenIn = (long) k * n * inSize;
        Tensor a = s.a.view(0, len), h = s.h.view(0, len), rh = s.rh.view(0, rlen), rz = ry.view(0, rlen);
        recompute(be, w, x, a, h, n);
        tangents(be, w, x, a, v, stride, rx, rh, n, k);                            // Rh
        conv2.rForward(be, w2(w), h, null, dirs(v, off2), stride, rh, rz, n, k);  // Rz = conv2.R(Rh) + …
        if (shortcut == null) {
            if (rx != null) be.axpby(1, rx.view(0, rlenIn), 1, rz);
        } else {
            Tensor rs = s.rs.view(0, rlen);
            shortcut.rForward(be, wS(w), x, null, dirs(v, offS), stride, rx, rs, n, k);
            be.axpby(1, rs, 1, rz);
        }
        be.activationBackward(RELU, y.view(0, len), rz, rz, k);                  // Ry = relu'(z) Rz, in place
    }

    @Override
    public void rBackward(Backend be, Tensor w, Tensor x, Tensor y, Tensor dy, Tensor v, long stride,
                          Tensor rx, Tensor rdy, Tensor rdx, Tensor rdw, int n, int k) {
        Workspace s = workspace(be, x.dtype, n, k);
        long len = (long) n * outSize, rlen = k * len, rlenIn = (long) k * n * inSize;
        Tensor a = s.a.view(0, len), h = s.h.view(0, len), dz = s.dz.view(0, len), dh = s.dh.view(0, len), da = s.da.view(0, len);
        Tensor ra = s.ra.view(0, rlen), rh = s.rh.view(0, rlen), rdz = s.rdz.view(0, rlen), rdh = s.rdh.view(0, rlen), rda = s.rda.view(0, rlen);
        // recompute the primal and tangent quantities the R-backward needs
        recompute(be, w, x, a, h, n);
        conv1.rForward(be, w1(w), x, a, dirs(v, 0), stride, rx, ra, n, k);
        be.activationBackward(RELU, a, ra, rh, k);
        be.activationBackward(RELU, y.view(0, len), dy, dz, 1);
        conv2.backward(be, w2(w), h, null, dz, dh, null, n);
        be.activationBackward(RELU, a, dh, da, 1);
        // R{dz} = relu'(z) R{dy} (+ relu''(z) Rz dy = 0)
        be.activationBackward(RELU, y.view(0, len), rdy, rdz, k);
        conv2.rBackward(be, w2(w), h, null, dz, dirs(v, off2), stride, rh, rdz, rdh, dirs(rdw, off2), n, k);
        be.activationRBackward(RELU, a, dh, ra, rdh, rda, k);                    // R{da}
        conv1.rBackward(be, w1(w), x, a, da, dirs(v, 0), stride, rx, rda, rdx, dirs(rdw, 0), n, k);
        if (shortcut == null) {
            if (rdx != null) be.axpby(1, rdz, 1, rdx.view(0, rlenIn));
        } else {
            Tensor rdxs = rdx == null ? null : s.rdxs.view(0, rlenIn);
            shortcut.rBackward(be, wS(w), x, null, dz, dirs(v, offS), stride, rx, rdz, rdxs, dirs(rdw, offS), n, k);
            if (rdx != null) be.axpby(1, rdxs, 1, rdx.view(0, rlenIn));
        }
    }

    /** a = conv1(x), h = relu(a). */
    private void recompute(Backend be, Tensor w, Tensor x, Tensor a, Tensor h, int n) {
        conv1.forward(be, w1(w), x, a, n);
        be.activation(RELU, a, h);
    }

    /** Rh = relu'(a) conv1.R(Rx), using the workspace's Ra. */
    private void tangents(Backend be, Tensor w, Tensor x, Tensor a, Tensor v, long stride, Tensor rx, Tensor rh, int n, int k) {
        Tensor ra = ws.ra.view(0, rh.size);
        conv1.rForward(be, w1(w), x, a, dirs(v, 0), stride, rx, ra, n, k);
        be.activationBackward(RELU, a, ra, rh, k);
    }

    private Workspace workspace(Backend be, DType dtype, int n, int k) {
        if (ws == null || ws.be != be || ws.dtype != dtype || ws.n < n || ws.k < k) {
            boolean same = ws != null && ws.be == be && ws.dtype == dtype;
            ws = new Workspace(be, dtype, same ? Math.max(n, ws.n) : n, same ? Math.max(k, ws.k) : k);
        }
        return ws;
    }

    /** Internal activations (n, outC·P), their tangents (k, n, outC·P) and the shortcut's dx. */
    private final class Workspace {
        final Backend be;
        final DType dtype;
        final int n, k;
        final Tensor a, h, sc, dz, dh, da, dxs;
        final Tensor ra, rh, rs, rdz, rdh, rda, rdxs;

        Workspace(Backend be, DType dtype, int n, int k) {
            this.be = be;
            this.dtype = dtype;
            this.n = n;
            this.k = k;
            long len = (long) n * outSize, rlen = (long) k * len;
            a = be.zeros(dtype, len);
            h = be.zeros(dtype, len);
            dz = be.zeros(dtype, len);
            dh = be.zeros(dtype, len);
            da = be.zeros(dtype, len);
            sc = shortcut == null ? null : be.zeros(dtype, len);
            dxs = shortcut == null ? null : be.zeros(dtype, (long) n * inSize);
            ra = k == 0 ? null : be.zeros(dtype, rlen);
            rh = k == 0 ? null : be.zeros(dtype, rlen);
            rdz = k == 0 ? null : be.zeros(dtype, rlen);
            rdh = k == 0 ? null : be.zeros(dtype, rlen);
            rda = k == 0 ? null : be.zeros(dtype, rlen);
            rs = k == 0 || shortcut == null ? null : be.zeros(dtype, rlen);
            rdxs = k == 0 || shortcut == null ? null : be.zeros(dtype, (long) k * n * inSize);
        }
    }

    @Override
    public String toString() {
        return "ResidualBlock(" + conv1.inChannels() + ", " + conv1.outChannels() + (shortcut == null ? "" : ", downsample") + ")";
    }
}
