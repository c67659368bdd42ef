package eoslab.nn;

import eoslab.backend.Backend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

import java.util.List;

/**
 * Max pooling over non-overlapping size×size windows, PyTorch's {@code nn.MaxPool2d(size)}
 * (stride = size, no padding, output size rounded down).
 * <pre>
 *   x (n, C, H, W)   y (n, C, H/size, W/size)   no parameters
 *   a(x) = the argmax of each window (an index into the example's C·H·W elements)
 *   y      = x[a]                 Ry    = Rx[a]
 *   dx     = scatter(dy → a)      R{dx} = scatter(R{dy} → a)
 * </pre>
 * The max is piecewise linear, so away from ties its second derivative is zero and the R-passes
 * are the same routing as the primal ones. The layer keeps no per-batch state (see {@link Layer}):
 * backward and the R-passes recompute a from x, into an I32 scratch buffer kept between calls.
 */
public final class MaxPool2d implements Layer {
    private final int channels, height, width, size, ho, wo;
    private Tensor argmax; // (n, C·Ho·Wo) I32 scratch
    private Backend argmaxBe;

    public MaxPool2d(int channels, int height, int width, int size) {
        if (channels < 1 || size < 1 || height < size || width < size) {
            throw new IllegalArgumentException("MaxPool2d(" + size + ") needs an input of at least " + size + "x" + size + " and channels >= 1, got "
                    + channels + "x" + height + "x" + width);
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.size = size;
        this.ho = height / size;
        this.wo = width / size;
    }

    public int outHeight() { return ho; }

    public int outWidth() { return wo; }

    @Override public int inSize() { return channels * height * width; }

    @Override public int outSize() { return channels * ho * wo; }

    @Override public int numParams() { return 0; }

    @Override public List<ParamSpec> params() { return List.of(); }

    @Override public void init(double[] w, int offset, Init init) { }

    @Override
    public void forward(Backend be, Tensor w, Tensor x, Tensor y, int n) {
        be.maxPool2d(x, n, channels, height, width, size, y, null);
    }

    @Override
    public void backward(Backend be, Tensor w, Tensor x, Tensor y, Tensor dy, Tensor dx, Tensor dw, int n) {
        if (dx == null) return;
        be.scatterIndexed(dy, argmax(be, x, n), n, outSize(), dx, inSize(), 1);
    }

    @Override
    public void rForward(Backend be, Tensor w, Tensor x, Tensor y, Tensor v, long stride, Tensor rx, Tensor ry, int n, int k) {
        if (rx == null) {
            be.fill(ry.view(0, (long) k * n * outSize()), 0);
            return;
        }
        be.gatherIndexed(rx, inSize(), argmax(be, x, n), n, outSize(), ry, k);
    }

    @Override
    public void rBackward(Backend be, Tensor w, Tensor x, Tensor y, Tensor dy, Tensor v, long stride,
                          Tensor rx, Tensor rdy, Tensor rdx, Tensor rdw, int n, int k) {
        if (rdx == null) return;
        be.scatterIndexed(rdy, argmax(be, x, n), n, outSize(), rdx, inSize(), k);
    }

    /** The window argmaxes of x (n, C·Ho·Wo), recomputed. */
    private Tensor argmax(Backend be, Tensor x, int n) {
        long need = (long) n * outSize();
        if (argmax == null || argmaxBe != be || argmax.size < need) {
            argmax = be.zeros(DType.I32, need);
            argmaxBe = be;
        }
        Tensor a = argmax.view(0, need);
        be.maxPool2d(x, n, channels, height, width, size, null, a);
        return a;
    }

    @Override
    public String toString() {
        return "MaxPool2d(kernel_size=" + size + ", stride=" + size + ")";
    }
}
