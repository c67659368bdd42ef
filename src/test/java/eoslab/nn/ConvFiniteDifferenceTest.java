package eoslab.nn;

import eoslab.backend.Act;
import eoslab.backend.Backend;
import eoslab.data.Dataset;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static eoslab.nn.FiniteDifferenceTest.checkF32VsF64;
import static eoslab.nn.FiniteDifferenceTest.checkGradient;
import static eoslab.nn.FiniteDifferenceTest.checkHvp;
import static eoslab.nn.FiniteDifferenceTest.checkSymmetry;
import static eoslab.nn.FiniteDifferenceTest.data;
import static eoslab.nn.FiniteDifferenceTest.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Convolution, pooling and residual layers, and the CNN / ResNet builders, against central finite
 * differences in float64, with the tolerances of {@link FiniteDifferenceTest} (|a − b| ≤ 1e-6 +
 * 1e-5·|b|, h = 1e-5), plus the backend's im2col/col2im, pooling and channel-bias kernels against
 * direct nested loops. Shapes are tiny (2–4 channels, 4×4 to 6×6) so the file runs in seconds.
 *
 * <p>Each layer is tested between a 3×3 conv + tanh in front (so its Rx and R{dx} paths are
 * exercised and tanh'' ≠ 0 couples the tangents) and tanh + Linear behind it; "first" cases put it
 * first, where Rx is null.
 */
class ConvFiniteDifferenceTest {
    static final Backend BE = FiniteDifferenceTest.BE;
    static final int CLASSES = 3;

    /**
     * {@code salt} shifts the seeds of the HVP test's data, weights and directions. ReLU and max-pool
     * are piecewise linear: when w ± h·v straddles a kink, the finite difference of gradients
     * measures the jump, not the Hessian of the piece the exact HVP differentiates (seen on the
     * ReLU CNN at salts 0 and 1: at salt 0 the backward one-sided difference matched the HVP to 1e-6
     * while the forward one jumped, and at h = 1e-7 both salts match within the tolerance). Such cases use a salt whose
     * draw stays clear of kinks at h = 1e-5; the tolerance is unchanged.
     */
    record Case(String name, Model model, Loss loss, int salt) {
        Case(String name, Model model, Loss loss) {
            this(name, model, loss, 0);
        }

        @Override public String toString() { return name; }
    }

    /** pre-conv → tanh → layer → tanh → Linear(·, 3). */
    static Sequential around(Layer l, int inC, int h, int w) {
        Conv2d pre = new Conv2d(inC, inC, h, w, 3, 1, 1, true);
        return new Sequential(List.of(pre, new Activation(Act.TANH, pre.outSize()), l,
                new Activation(Act.TANH, l.outSize()), new Linear(l.outSize(), CLASSES, true)), l.toString());
    }

    /** layer → tanh → Linear(·, 3): the layer gets no input tangent. */
    static Sequential first(Layer l) {
        return new Sequential(List.of(l, new Activation(Act.TANH, l.outSize()), new Linear(l.outSize(), CLASSES, true)), l.toString());
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                new Case("conv3x3 s1 bias", around(new Conv2d(2, 3, 5, 5, 3, 1, 1, true), 2, 5, 5), Loss.CE),
                new Case("conv3x3 s2 bias MSE", around(new Conv2d(2, 3, 5, 5, 3, 2, 1, true), 2, 5, 5), Loss.MSE),
                new Case("conv3x3 s2 nobias 6x6", around(new Conv2d(2, 2, 6, 6, 3, 2, 1, false), 2, 6, 6), Loss.CE),
                new Case("conv3x3 s1 nobias first", first(new Conv2d(2, 3, 4, 4, 3, 1, 1, false)), Loss.CE),
                new Case("conv3x3 s1 chunks of 2", around(new Conv2d(2, 3, 5, 5, 3, 1, 1, true, 1000), 2, 5, 5), Loss.CE),
                new Case("conv1x1 s2 chunks of 1", around(new Conv2d(2, 3, 5, 5, 1, 2, 0, true, 20), 2, 5, 5), Loss.MSE),
                new Case("maxpool 5x5", around(new MaxPool2d(2, 5, 5, 2), 2, 5, 5), Loss.CE),
                new Case("maxpool first MSE", first(new MaxPool2d(2, 4, 4, 2)), Loss.MSE),
                new Case("global avg pool", around(new GlobalAvgPool(2, 5, 5), 2, 5, 5), Loss.CE),
                new Case("residual identity", around(new ResidualBlock(2, 2, 5, 5, 1, true), 2, 5, 5), Loss.CE),
                new Case("residual downsample MSE", around(new ResidualBlock(2, 3, 5, 5, 2, true), 2, 5, 5), Loss.MSE),
                new Case("residual nobias first", first(new ResidualBlock(2, 2, 4, 4, 1, false)), Loss.CE),
                new Case("tiny CNN 4x6x6", Cnn.of(4, 6, 6, CLASSES, 3, 3, 4, 5, Act.RELU, true), Loss.CE, 2),
                new Case("tiny tanh CNN 4x6x6 MSE", Cnn.of(4, 6, 6, CLASSES, 3, 3, 4, 5, Act.TANH, true), Loss.MSE),
                new Case("tiny ResNet 4x6x6", ResNet.of(4, 6, 6, CLASSES, new int[]{2, 3, 4}, new int[]{2, 2, 1}, true), Loss.CE)
        ).map(Arguments::of);
    }

    static Dataset dataFor(Case c, int n, long seed) {
        return data(n, c.model.inputSize(), CLASSES, seed);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientMatchesCentralDifferences(Case c) {
        Objective f = new Objective(BE, DType.F64, c.model, c.loss, dataFor(c, 11, 1), 4); // chunks 4, 4, 3
        checkGradient(f, c.model.init(7, 1.0), c.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void batchedHvpMatchesFiniteDifferencesOfGradients(Case c) {
        Objective f = new Objective(BE, DType.F64, c.model, c.loss, dataFor(c, 11, 2 + 100L * c.salt), 4);
        int k = 3;
        checkHvp(f, c.model.init(11 + c.salt, 1.0), gaussian(k * c.model.numParams(), new Random(3 + c.salt)), k, c.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void hessianIsSymmetric(Case c) {
        Objective f = new Objective(BE, DType.F64, c.model, c.loss, dataFor(c, 9, 4), 9);
        checkSymmetry(f, c.model.init(3, 1.0), gaussian(2 * c.model.numParams(), new Random(5)), c.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void float32AgreesWithFloat64(Case c) {
        int k = 2;
        checkF32VsF64(c.model, c.loss, dataFor(c, 10, 6), 3, c.model.init(13, 1.0),
                gaussian(k * c.model.numParams(), new Random(8)), k, c.toString());
    }

    // ---- kernels against direct loops ---------------------------------------------------------------

    /** y[b, o, oh, ow] = bias[o] + Σ_{c,i,j} W[o, c, i, j] x[b, c, oh·s − pad + i, ow·s − pad + j]. */
    static double[] directConv(double[] x, double[] w, double[] bias, int n, int inC, int outC, int h, int wd, int kk, int s, int pad) {
        int ho = (h + 2 * pad - kk) / s + 1, wo = (wd + 2 * pad - kk) / s + 1;
        double[] y = new double[n * outC * ho * wo];
        for (int b = 0; b < n; b++)
            for (int o = 0; o < outC; o++)
                for (int oh = 0; oh < ho; oh++)
                    for (int ow = 0; ow < wo; ow++) {
                        double acc = bias == null ? 0 : bias[o];
                        for (int c = 0; c < inC; c++)
                            for (int i = 0; i < kk; i++)
                                for (int j = 0; j < kk; j++) {
                                    int ih = oh * s - pad + i, iw = ow * s - pad + j;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                                    acc += w[((o * inC + c) * kk + i) * kk + j] * x[((b * inC + c) * h + ih) * wd + iw];
                                }
                        y[((b * outC + o) * ho + oh) * wo + ow] = acc;
                    }
        return y;
    }

    static Stream<Arguments> geometries() {
        // inC, outC, H, W, kernel, stride, pad, bias
        return Stream.of(
                Arguments.of(3, 4, 5, 5, 3, 1, 1, true),
                Arguments.of(2, 3, 6, 5, 3, 2, 1, true),
                Arguments.of(2, 3, 7, 7, 3, 2, 1, false),
                Arguments.of(3, 2, 5, 6, 1, 2, 0, false),
                Arguments.of(1, 2, 4, 4, 3, 1, 0, true));
    }

    @ParameterizedTest(name = "{0}->{1} {2}x{3} k{4} s{5} p{6} bias={7}")
    @MethodSource("geometries")
    void im2colConvolutionMatchesDirectLoops(int inC, int outC, int h, int wd, int kk, int s, int pad, boolean bias) {
        int n = 3;
        // a small budget forces one example per chunk in the second layer: same result
        for (Conv2d conv : new Conv2d[]{new Conv2d(inC, outC, h, wd, kk, s, pad, bias), new Conv2d(inC, outC, h, wd, kk, s, pad, bias, 1)}) {
            Random r = new Random(17);
            double[] x = gaussian(n * conv.inSize(), r), w = gaussian(conv.numParams(), r);
            double[] bv = bias ? Arrays.copyOfRange(w, outC * inC * kk * kk, w.length) : null;
            double[] ref = directConv(x, w, bv, n, inC, outC, h, wd, kk, s, pad);
            assertEquals(ref.length, n * conv.outSize());
            for (DType t : new DType[]{DType.F64, DType.F32}) {
                Tensor y = BE.zeros(t, ref.length);
                conv.forward(BE, BE.fromDoubles(t, w), BE.fromDoubles(t, x), y, n);
                double[] got = y.toDoubles();
                // f64: exact up to summation order; f32: ~1e-7 relative per term, ≤ 27 terms of O(1)
                double atol = t == DType.F64 ? 1e-12 : 1e-5, rtol = t == DType.F64 ? 1e-12 : 1e-5;
                for (int i = 0; i < ref.length; i++) {
                    assertTrue(Math.abs(got[i] - ref[i]) <= atol + rtol * Math.abs(ref[i]), t + " y[" + i + "] = " + got[i] + ", direct " + ref[i]);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}->{1} {2}x{3} k{4} s{5} p{6}")
    @MethodSource("geometries")
    void col2imIsTheAdjointOfIm2col(int inC, int outC, int h, int wd, int kk, int s, int pad, boolean bias) {
        int n = 2, ho = (h + 2 * pad - kk) / s + 1, wo = (wd + 2 * pad - kk) / s + 1;
        int colsLen = n * inC * kk * kk * ho * wo;
        Random r = new Random(23);
        double[] x = gaussian(n * inC * h * wd, r), c = gaussian(colsLen, r);
        Tensor cx = BE.zeros(DType.F64, colsLen), xc = BE.fromDoubles(DType.F64, new double[x.length]);
        Arrays.fill((double[]) xc.storage, 99); // col2im overwrites
        BE.im2col(BE.fromDoubles(DType.F64, x), n, inC, h, wd, kk, kk, s, pad, cx);
        BE.col2im(BE.fromDoubles(DType.F64, c), n, inC, h, wd, kk, kk, s, pad, xc);
        double lhs = dot(cx.toDoubles(), c), rhs = dot(x, xc.toDoubles());
        // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩: the same products summed in another order
        assertEquals(lhs, rhs, 1e-12 * (1 + Math.abs(lhs)));
        // and im2col entries are the pixels they claim to be (zero in the padding)
        double[] cols = cx.toDoubles();
        int ck = inC * kk * kk;
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < inC; ch++)
                for (int i = 0; i < kk; i++)
                    for (int j = 0; j < kk; j++)
                        for (int oh = 0; oh < ho; oh++)
                            for (int ow = 0; ow < wo; ow++) {
                                int ih = oh * s - pad + i, iw = ow * s - pad + j;
                                double want = ih < 0 || ih >= h || iw < 0 || iw >= wd ? 0 : x[((b * inC + ch) * h + ih) * wd + iw];
                                assertEquals(want, cols[((b * ck + (ch * kk + i) * kk + j) * ho + oh) * wo + ow], 0);
                            }
    }

    @Test
    void maxPoolMatchesDirectLoopsAndRoutesToTheFirstMaximum() {
        int n = 2, c = 3, h = 5, wd = 4, ho = 2, wo = 2;
        Random r = new Random(29);
        double[] x = gaussian(n * c * h * wd, r);
        x[0] = x[1] = 5; // a tie in the first window: the first (row-major) wins, as in PyTorch
        Tensor y = BE.zeros(DType.F64, n * c * ho * wo), am = BE.zeros(DType.I32, n * c * ho * wo);
        BE.maxPool2d(BE.fromDoubles(DType.F64, x), n, c, h, wd, 2, y, am);
        double[] got = y.toDoubles(), arg = am.toDoubles();
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int oh = 0; oh < ho; oh++)
                    for (int ow = 0; ow < wo; ow++) {
                        double best = Double.NEGATIVE_INFINITY;
                        int bi = -1;
                        for (int i = 0; i < 2; i++)
                            for (int j = 0; j < 2; j++) {
                                int q = (ch * h + oh * 2 + i) * wd + ow * 2 + j;
                                if (x[b * c * h * wd + q] > best) { best = x[b * c * h * wd + q]; bi = q; }
                            }
                        int o = ((b * c + ch) * ho + oh) * wo + ow;
                        assertEquals(best, got[o], 0);
                        assertEquals(bi, (int) arg[o]);
                    }
        assertEquals(0, (int) arg[0]);
        // gather and scatter with these indices are adjoint: ⟨gather(u), g⟩ = ⟨u, scatter(g)⟩, k = 2 blocks
        int in = c * h * wd, out = c * ho * wo, k = 2;
        double[] u = gaussian(k * n * in, r), g = gaussian(k * n * out, r);
        Tensor gu = BE.zeros(DType.F64, k * n * out), sg = BE.zeros(DType.F64, k * n * in);
        BE.gatherIndexed(BE.fromDoubles(DType.F64, u), in, am, n, out, gu, k);
        BE.scatterIndexed(BE.fromDoubles(DType.F64, g), am, n, out, sg, in, k);
        double lhs = dot(gu.toDoubles(), g), rhs = dot(u, sg.toDoubles());
        assertEquals(lhs, rhs, 1e-12 * (1 + Math.abs(lhs)));
        assertEquals(u[(int) arg[0]], gu.toDoubles()[0], 0);
        assertEquals(u[n * in + (int) arg[0]], gu.toDoubles()[n * out], 0, "block 1 reads block 1 of src");
    }

    @Test
    void channelBiasAndChannelSumsMatchDirectLoops() {
        int n = 3, c = 4, s = 5, k = 2;
        long biasStride = 7;
        Random r = new Random(31);
        double[] y0 = gaussian(k * n * c * s, r), bias = gaussian((int) biasStride * k, r);
        Tensor y = BE.fromDoubles(DType.F64, y0);
        BE.addChannelBias(BE.fromDoubles(DType.F64, bias), biasStride, y, n, c, s, k);
        double[] got = y.toDoubles();
        for (int b = 0; b < k; b++)
            for (int i = 0; i < n; i++)
                for (int ch = 0; ch < c; ch++)
                    for (int q = 0; q < s; q++) {
                        int at = ((b * n + i) * c + ch) * s + q;
                        assertEquals(y0[at] + bias[(int) (b * biasStride) + ch], got[at], 0);
                    }
        double[] out0 = gaussian((int) biasStride * k, r);
        Tensor out = BE.fromDoubles(DType.F64, out0);
        BE.sumChannels(BE.fromDoubles(DType.F64, y0), n, c, s, k, 0.5, out, biasStride);
        double[] sums = out.toDoubles();
        for (int b = 0; b < k; b++)
            for (int ch = 0; ch < c; ch++) {
                double acc = 0;
                for (int i = 0; i < n; i++) for (int q = 0; q < s; q++) acc += y0[((b * n + i) * c + ch) * s + q];
                int at = (int) (b * biasStride) + ch;
                assertEquals(acc + 0.5 * out0[at], sums[at], 1e-12 * (1 + Math.abs(acc)));
            }
        // entries between the strided windows are untouched
        for (int b = 0; b < k; b++) for (int j = c; j < biasStride; j++) assertEquals(out0[(int) (b * biasStride) + j], sums[(int) (b * biasStride) + j], 0);
    }

    // ---- builders ------------------------------------------------------------------------------

    @Test
    void cnnHasThePapersShapesAndPyTorchNames() {
        Sequential m = Cnn.of(3, 32, 32, 10);
        assertEquals(3 * 32 * 32, m.inputSize());
        assertEquals(10, m.outputSize());
        assertLayout(m, List.of(
                "layers.0.weight [64, 3, 3, 3]", "layers.0.bias [64]",
                "layers.2.weight [64, 64, 3, 3]", "layers.2.bias [64]",
                "layers.5.weight [128, 64, 3, 3]", "layers.5.bias [128]",
                "layers.9.weight [512, 8192]", "layers.9.bias [512]",
                "layers.11.weight [10, 512]", "layers.11.bias [10]"));
        // 1792 + 36928 + 73856 + 4194816 + 5130, counted by hand
        assertEquals(4_312_522, m.numParams());
    }

    @Test
    void resnet14HasThePapersShapesAndPyTorchNames() {
        Sequential m = ResNet.resnet14(3, 32, 32, 10);
        assertEquals(10, m.outputSize());
        List<String> want = new ArrayList<>(List.of("layers.0.weight [16, 3, 3, 3]", "layers.0.bias [16]"));
        int[][] blocks = {{16, 16}, {16, 16}, {16, 32}, {32, 32}, {32, 64}, {64, 64}};
        for (int b = 0; b < 6; b++) {
            int in = blocks[b][0], out = blocks[b][1], i = b + 2;
            want.add("layers." + i + ".conv1.weight [" + out + ", " + in + ", 3, 3]");
            want.add("layers." + i + ".conv1.bias [" + out + "]");
            want.add("layers." + i + ".conv2.weight [" + out + ", " + out + ", 3, 3]");
            want.add("layers." + i + ".conv2.bias [" + out + "]");
            if (in != out) {
                want.add("layers." + i + ".shortcut.weight [" + out + ", " + in + ", 1, 1]");
                want.add("layers." + i + ".shortcut.bias [" + out + "]");
            }
        }
        want.add("layers.10.weight [10, 64]");
        want.add("layers.10.bias [10]");
        assertLayout(m, want);
        // stem 448 + stage 1: 4·2320 + stage 2: 4640 + 9248 + 544 + 2·9248 + stage 3: 18496 + 36928 + 2112 + 2·36928 + fc 650
        assertEquals(174_698, m.numParams());
        int convs = 0;
        for (String s : want) if (s.contains("conv") && s.contains("weight")) convs++;
        assertEquals(14, 1 + convs + 1, "depth 14: stem, 12 block convs, classifier");
    }

    /** Names and shapes in order, and the windows tile [0, numParams) without gaps or overlaps. */
    static void assertLayout(Model m, List<String> want) {
        List<String> got = new ArrayList<>();
        long next = 0;
        for (ParamSpec p : m.params()) {
            got.add(p.name() + " " + Arrays.toString(p.shape()));
            assertEquals(next, p.offset(), p.name() + " starts where the previous one ends");
            next += p.size();
        }
        assertArrayEquals(want.toArray(), got.toArray());
        assertEquals(m.numParams(), next);
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
