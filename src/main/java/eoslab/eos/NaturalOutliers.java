package eoslab.eos;

import eoslab.backend.Backend;
import eoslab.data.Dataset;
import eoslab.nn.Batch;
import eoslab.nn.Layer;
import eoslab.nn.Linear;
import eoslab.nn.Loss;
import eoslab.nn.Model;
import eoslab.nn.Objective;
import eoslab.nn.Sequential;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

import java.util.Arrays;

/**
 * Natural outliers (Kwag et al. 2026, §4.3, Fig. 8 and App. E, Fig. 20): does a purely distributional
 * quantity, the centroid distance ‖x_i − μ_{y_i}‖ computed before training, predict which training
 * examples align with the top Hessian eigenvector v_1? At each checkpoint, for every training example,
 * <pre>
 *   cos²θ_i = (∇ℓ_i · v_1)² / (‖∇ℓ_i‖² ‖v_1‖²)        ∇ℓ_i = ∂ℓ_i/∂w, per example, no 1/n
 * </pre>
 * and Spearman's ρ between centroid distance and cos²θ_i over all examples (the paper reports
 * ρ ≈ −0.11 during progressive sharpening and ρ ≈ 0.39 at EoS on CIFAR-10 automobile/truck).
 *
 * <p>Two ways to the per-example gradients: for MLPs (the paper's setting) a batched pass that costs
 * about one full-batch gradient ({@link #perExampleMlp}); for any model one forward and backward pass
 * per example ({@link #perExampleByRows}, the reference, about 30× slower on an MLP:
 * bench/src/main/java/eoslab/bench/AlignmentTiming.java). {@link #perExample} picks.
 */
public final class NaturalOutliers {
    private NaturalOutliers() {
    }

    /**
     * Per-example quantities at one set of weights, each (n):
     *
     * @param projection  ∇ℓ_i · v̂_1 with v̂_1 = v_1/‖v_1‖; its square is the curvature influence of §3
     * @param gradNormSq  ‖∇ℓ_i‖²
     * @param cos2        projection² / gradNormSq, in [0, 1]; 0 where ∇ℓ_i = 0 (a zero gradient
     *                    points nowhere, so it has no alignment)
     */
    public record Alignment(double[] projection, double[] gradNormSq, double[] cos2) {
    }

    /** cos²(∇ℓ_i, v_1) for every training example i of {@code f}, (n). */
    public static double[] alignment(Objective f, Tensor w, Tensor v1) {
        return perExample(f, w, v1).cos2();
    }

    /**
     * Projection, squared gradient norm and cos² of every example's gradient on v_1: the batched
     * {@link #perExampleMlp} when the model is an MLP, else {@link #perExampleByRows}.
     */
    public static Alignment perExample(Objective f, Tensor w, Tensor v1) {
        return isMlp(f.model()) ? perExampleMlp(f, w, v1, CHUNK) : perExampleByRows(f, w, v1);
    }

    /** Rows per batched pass of {@link #perExampleMlp}. */
    static final int CHUNK = 1024;

    /** True when every layer with parameters is {@link Linear}, so {@link #perExampleMlp} applies. */
    public static boolean isMlp(Model m) {
        if (!(m instanceof Sequential s)) return false;
        for (Layer l : s.layers()) if (l.numParams() > 0 && !(l instanceof Linear)) return false;
        return true;
    }

    /** ‖v_1‖, after checking v_1 fits the model. */
    private static double norm(Objective f, Tensor v1) {
        if (v1.size != f.dim()) throw new IllegalArgumentException("v_1 has " + v1.size + " entries, the model has " + f.dim() + " parameters");
        double vv = f.backend().dot(v1, v1);
        if (!(vv > 0) || !Double.isFinite(vv)) throw new IllegalArgumentException("v_1 must be a finite nonzero vector, got ‖v_1‖² = " + vv);
        return Math.sqrt(vv);
    }

    /**
     * Per-example gradients of an MLP without a per-example backward pass. With scale 1 the backward
     * pass's output gradient dy_i of a Linear layer is ∂ℓ_i/∂y_i, and that layer's part of ∇ℓ_i is the
     * rank-one dy_i a_iᵀ (and dy_i for the bias), a_i its input (Goodfellow 2015, "Efficient
     * per-example gradient computations"). So, summed over the Linear layers,
     * <pre>
     *   ‖∇ℓ_i‖²   = Σ_l ‖dy_i‖² (‖a_i‖² + [bias])
     *   ∇ℓ_i · v  = Σ_l dy_i · (V_W a_i + V_b)          (V_W, V_b: v's window of the layer)
     * </pre>
     * Cost per chunk of rows: one forward, one backward without dW, and one GEMM a V_Wᵀ per layer, about
     * one full-batch gradient in all; the activations and output gradients go to the host once.
     */
    public static Alignment perExampleMlp(Objective f, Tensor w, Tensor v1, int chunk) {
        if (!isMlp(f.model())) throw new IllegalArgumentException("batched per-example gradients need an MLP (Linear layers only), got " + f.model().describe());
        if (chunk < 1) throw new IllegalArgumentException("chunk must be >= 1, got " + chunk);
        double vNorm = norm(f, v1);
        Sequential model = (Sequential) f.model();
        Backend be = f.backend();
        Dataset data = f.data();
        int n = f.n(), feat = data.features(), c = model.outputSize();
        float[] targets = f.loss() == Loss.MSE ? data.mseTargets() : null;
        double[] proj = new double[n], norm2 = new double[n], cos2 = new double[n];
        for (int r0 = 0; r0 < n; r0 += chunk) {
            int m = Math.min(chunk, n - r0), start = r0;
            Batch b = new Batch(upload(be, f.dtype(), Arrays.copyOfRange(data.x(), r0 * feat, (r0 + m) * feat)),
                    be.fromInts(Arrays.copyOfRange(data.y(), r0, r0 + m)),
                    targets == null ? null : upload(be, f.dtype(), Arrays.copyOfRange(targets, r0 * c, (r0 + m) * c)), m);
            model.backwardPerLayer(be, w, b, f.loss(), 1.0, (i, x, dy) -> {
                if (!(model.layers().get(i) instanceof Linear lin)) return;
                int in = lin.inSize(), out = lin.outSize();
                long off = model.offset(i);
                Tensor p = be.zeros(w.dtype, (long) m * out); // (m, out) = a V_Wᵀ
                be.gemm(false, true, m, out, in, 1, x, in, v1.view(off, (long) out * in), in, 0, p, out);
                double[] a = be.toDoubles(x), g = be.toDoubles(dy), pa = be.toDoubles(p);
                double[] vb = lin.hasBias() ? be.toDoubles(v1.view(off + (long) out * in, out)) : null;
                for (int r = 0; r < m; r++) {
                    double aa = lin.hasBias() ? 1 : 0, gg = 0, gv = 0;
                    for (int q = 0; q < in; q++) aa += a[r * in + q] * a[r * in + q];
                    for (int o = 0; o < out; o++) {
                        double dyo = g[r * out + o];
                        gg += dyo * dyo;
                        gv += dyo * (pa[r * out + o] + (vb == null ? 0 : vb[o]));
                    }
                    norm2[start + r] += gg * aa;
                    proj[start + r] += gv;
                }
            });
        }
        for (int i = 0; i < n; i++) {
            proj[i] /= vNorm;
            cos2[i] = norm2[i] > 0 ? Math.min(1.0, proj[i] * proj[i] / norm2[i]) : 0.0;
        }
        return new Alignment(proj, norm2, cos2);
    }

    /**
     * The reference for any model: one {@link Objective#evaluate} per row (forward and backward on a
     * batch of one), with the dot products on the backend.
     */
    public static Alignment perExampleByRows(Objective f, Tensor w, Tensor v1) {
        double vNorm = norm(f, v1);
        long d = f.dim();
        Backend be = f.backend();
        int n = f.n();
        double[] proj = new double[n], norm2 = new double[n], cos2 = new double[n];
        Tensor g = be.zeros(f.dtype(), d);
        int[] row = new int[1];
        for (int i = 0; i < n; i++) {
            row[0] = i;
            f.evaluate(w, row, g, null, 0, null, null); // g = ∇ℓ_i (mean over a batch of one)
            double gv = be.dot(g, v1) / vNorm, gg = be.dot(g, g);
            proj[i] = gv;
            norm2[i] = gg;
            // Cauchy–Schwarz holds exactly only in exact arithmetic: clip rounding above 1
            cos2[i] = gg > 0 ? Math.min(1.0, gv * gv / gg) : 0.0;
        }
        return new Alignment(proj, norm2, cos2);
    }

    private static Tensor upload(Backend be, DType dt, float[] a) {
        if (dt == DType.F32) return be.fromFloats(a);
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return be.fromDoubles(dt, d);
    }

    /**
     * One checkpoint of Fig. 20: Spearman ρ between centroid distance and cos², with the per-example
     * values for the scatter plot of Fig. 8.
     *
     * @param step     the training step of the checkpoint (carried for the caller's log)
     * @param distance (n) ‖x_i − μ_{y_i}‖ in the order of f's rows, e.g. {@link Centroids#centroidDistances}
     *                 of the training set
     */
    public record Correlation(long step, double spearman, double[] distance, Alignment alignment) {
    }

    /** Alignment of every example at w and its Spearman correlation with the centroid distance. */
    public static Correlation correlate(long step, Objective f, Tensor w, Tensor v1, double[] distance) {
        if (distance.length != f.n()) throw new IllegalArgumentException(distance.length + " centroid distances for " + f.n() + " training examples");
        Alignment a = perExample(f, w, v1);
        return new Correlation(step, Stats.spearman(distance, a.cos2()), distance.clone(), a);
    }
}
