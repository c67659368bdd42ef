package eoslab.nn;

import eoslab.backend.Backend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

import java.util.List;

/**
 * Global average pooling, PyTorch's {@code nn.AdaptiveAvgPool2d(1)}: the mean of each channel.
 * <pre>
 *   x (n, C, H, W)   y (n, C)   S = H·W   no parameters
 *   y = x·1/S        Ry = Rx·1/S        dx = dy 1ᵀ/S        R{dx} = R{dy} 1ᵀ/S
 * </pre>
 * Linear, so each pass is one GEMM against a vector of ones (S), kept per backend and dtype.
 */
public final class GlobalAvgPool implements Layer {
    private final int channels, height, width, s;
    private Tensor ones; // (S)

    public GlobalAvgPool(int channels, int height, int width) {
        if (channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("GlobalAvgPool needs positive sizes, got " + channels + "x" + height + "x" + width);
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.s = height * width;
    }

    @Override public int inSize() { return channels * s; }

    @Override public int outSize() { return channels; }

    @Override public int numParams() { return 0; }

    @Override public List<ParamSpec> params() { return List.of(); }

    @Override public void init(double[] w, int offset, Init init) { }

    @Override
    public void forward(Backend be, Tensor w, Tensor x, Tensor y, int n) {
        mean(be, x, y, n);
    }

    @Override
    public void backward(Backend be, Tensor w, Tensor x, Tensor y, Tensor dy, Tensor dx, Tensor dw, int n) {
        if (dx != null) spread(be, dy, dx, n);
    }

    @Override
    public void rForward(Backend be, Tensor w, Tensor x, Tensor y, Tensor v, long stride, Tensor rx, Tensor ry, int n, int k) {
        if (rx == null) be.fill(ry.view(0, (long) k * n * channels), 0);
        else mean(be, rx, ry, k * n);
    }

    @Override
    public void rBackward(Backend be, Tensor w, Tensor x, Tensor y, Tensor dy, Tensor v, long stride,
                          Tensor rx, Tensor rdy, Tensor rdx, Tensor rdw, int n, int k) {
        if (rdx != null) spread(be, rdy, rdx, k * n);
    }

    /** y (rows·C, 1) = x (rows·C, S) 1 / S. */
    private void mean(Backend be, Tensor x, Tensor y, int rows) {
        be.gemm(false, false, rows * channels, 1, s, 1.0 / s, x, s, ones(be, x.dtype), 1, 0, y, 1);
    }

    /** dx (rows·C, S) = dy (rows·C, 1) 1ᵀ / S. */
    private void spread(Backend be, Tensor dy, Tensor dx, int rows) {
        be.gemm(false, false, rows * channels, s, 1, 1.0 / s, dy, 1, ones(be, dy.dtype), s, 0, dx, s);
    }

    private Tensor ones(Backend be, DType dtype) {
        if (ones == null || ones.backend != be || ones.dtype != dtype) {
            ones = be.zeros(dtype, s);
            be.fill(ones, 1);
        }
        return ones;
    }

    @Override
    public String toString() {
        return "AdaptiveAvgPool2d(output_size=1)";
    }
}
