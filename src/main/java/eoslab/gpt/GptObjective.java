package eoslab.gpt;

import eoslab.backend.Backend;
import eoslab.curvature.LinearOperator;
import eoslab.nn.Batch;
import eoslab.nn.Loss;
import eoslab.optim.StepLoss;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * The mean next-token cross-entropy of a {@link Gpt2} on step t's windows of a token stream
 * ({@link TextBatches}): L_{B_t}(w) = (1/(B·T)) Σ_{b,t} CE, with gradient and exact HVPs. The
 * {@link StepLoss} the optimizers ({@link eoslab.optim.AdamW}, {@link eoslab.optim.Sgd},
 * {@link eoslab.optim.Momentum}) step on.
 *
 * <p><b>Gradient accumulation.</b> With {@code accum} = A &gt; 1 step t's B windows are evaluated as A
 * micro-batches of B/A consecutive windows ({@link TextBatches#microBatch}), each with per-sequence
 * weight 1/B, and the values, gradients and HVPs are summed. Since L_B = Σ_parts (1/B) Σ_{b ∈ part} ℓ_b,
 * the result is the one-shot batch's up to the order of floating-point additions; only the activation
 * memory shrinks (by A). This is nanoGPT's {@code gradient_accumulation_steps}, and it leaves the
 * noise ω (which windows step t reads) unchanged.
 */
public final class GptObjective implements StepLoss {
    private final Backend be;
    private final DType dtype;
    private final Gpt2 model;
    private final TextBatches batches;
    private final int accum;

    /** One micro-batch per step (no accumulation). */
    public GptObjective(Backend be, DType dtype, Gpt2 model, TextBatches batches) {
        this(be, dtype, model, batches, 1);
    }

    /** @param accum micro-batches per step; the batch size must be a multiple of it */
    public GptObjective(Backend be, DType dtype, Gpt2 model, TextBatches batches, int accum) {
        if (batches.seqLen() > model.config().maxT()) {
            throw new IllegalArgumentException("sequence length " + batches.seqLen() + " exceeds the model's context maxT = " + model.config().maxT());
        }
        if (accum < 1) throw new IllegalArgumentException("gradient accumulation steps must be >= 1, got " + accum);
        if (batches.batchSize() % accum != 0) {
            throw new IllegalArgumentException("batch size " + batches.batchSize() + " is not divisible by the " + accum
                    + " gradient accumulation steps (each micro-batch must hold the same number of sequences)");
        }
        this.be = be;
        this.dtype = dtype;
        this.model = model;
        this.batches = batches;
        this.accum = accum;
    }

    public Gpt2 model() { return model; }

    public TextBatches batches() { return batches; }

    public int accum() { return accum; }

    @Override public long dim() { return model.numParams(); }

    @Override public Backend backend() { return be; }

    @Override public DType dtype() { return dtype; }

    @Override
    public double evaluate(long t, Tensor w, Tensor grad, Tensor v, int k, Tensor hv) {
        if (grad != null) be.fill(grad, 0);
        if (k > 0) be.fill(hv.view(0, k * dim()), 0);
        return overMicroBatches(t, (b, scale) -> model.lossGradHvp(be, w, b, Loss.CE, scale, grad, v, k, hv, null, null));
    }

    /** gv_j = G v_j (overwritten), the Gauss-Newton matrix of step t's minibatch loss at w; micro-batched like {@link #evaluate}. */
    public double ggn(long t, Tensor w, Tensor v, int k, Tensor gv) {
        be.fill(gv.view(0, k * dim()), 0);
        return overMicroBatches(t, (b, scale) -> model.ggnProduct(be, w, b, Loss.CE, scale, v, k, gv));
    }

    /** One pass per micro-batch of step t's batch (all of it when accum = 1), weighted per sequence; the sum of their losses. */
    private double overMicroBatches(long t, java.util.function.ToDoubleBiFunction<eoslab.nn.Batch, Double> pass) {
        double scale = 1.0 / batches.batchSize(); // per sequence: the parts sum to the mean over all B
        if (accum == 1) return pass.applyAsDouble(batches.batch(be, t), scale);
        int[][] host = batches.hostBatch(t);
        double loss = 0;
        for (int p = 0; p < accum; p++) loss += pass.applyAsDouble(batches.microBatch(be, host, p, accum), scale);
        return loss;
    }

    /** The Gauss-Newton matrix of step t's minibatch loss at w as a symmetric PSD operator. */
    public LinearOperator ggnOperator(Tensor w, long t) {
        return operator((v, out, k) -> ggn(t, w, v, k, out));
    }

    /** The Hessian of step t's minibatch loss at w, ∇²L_{B_t}(w), as a symmetric operator (exact HVPs). */
    public LinearOperator hessian(Tensor w, long t) {
        return operator((v, out, k) -> evaluate(t, w, null, v, k, out));
    }

    /** out_j = A v_j for the k directions v: what an operator of this objective does. */
    private interface Products {
        void apply(Tensor v, Tensor out, int k);
    }

    private LinearOperator operator(Products products) {
        return new LinearOperator() {
            @Override public long dim() { return GptObjective.this.dim(); }

            @Override public Backend backend() { return be; }

            @Override public DType dtype() { return dtype; }

            @Override
            public void apply(Tensor v, Tensor out, int k) {
                products.apply(v, out, k);
            }
        };
    }

    /**
     * Minibatch gradients and Hessian-gradient products at fixed w, batch i being step i's windows
     * of this objective's stream: what batch sharpness E_B[g_Bᵀ H_B g_B / ‖g_B‖²] needs.
     */
    public eoslab.curvature.MinibatchCurvature minibatchCurvature(Tensor w) {
        return new eoslab.curvature.MinibatchCurvature() {
            @Override public long dim() { return GptObjective.this.dim(); }

            @Override public Backend backend() { return be; }

            @Override public DType dtype() { return dtype; }

            @Override
            public void gradAndHvp(long i, Tensor g, Tensor hg) {
                evaluate(i, w, g, null, 0, null);
                hessian(w, i).apply(g, hg, 1);
            }
        };
    }

    /**
     * Mean token loss and next-token accuracy (argmax of the logits) over steps 0 … count−1 of this
     * objective's batches (no gradient); micro-batched like {@link #evaluate}, and one sequence at a
     * time when the accuracy is wanted, since its (T, V) logits are read back to the host.
     */
    public double[] meanLossAndAccuracy(Tensor w, int count, boolean accuracy) {
        double loss = 0;
        long hits = 0, tokens = 0;
        int parts = accuracy ? batches.batchSize() : accum, mb = batches.batchSize() / parts, T = batches.seqLen(), V = model.config().vocab();
        Tensor logits = accuracy ? be.zeros(dtype, (long) mb * T * V) : null; // (mb·T, V)
        for (int t = 0; t < count; t++) {
            int[][] host = batches.hostBatch(t);
            for (int p = 0; p < parts; p++) {
                Batch b = batches.microBatch(be, host, p, parts);
                loss += model.lossGradHvp(be, w, b, Loss.CE, 1.0 / batches.batchSize(), null, null, 0, null, null, logits);
                if (!accuracy) continue;
                double[] z = be.toDoubles(logits);
                for (int r = 0; r < mb * T; r++) {
                    int arg = 0;
                    for (int c = 1; c < V; c++) if (z[r * V + c] > z[r * V + arg]) arg = c;
                    if (arg == host[1][p * mb * T + r]) hits++;
                    tokens++;
                }
            }
        }
        return new double[]{loss / count, accuracy ? (double) hits / tokens : Double.NaN};
    }

    /** Mean token loss over {@code batches} of the validation stream, steps 0 … count−1 (no gradient). */
    public static double meanLoss(Backend be, Tensor w, Gpt2 model, TextBatches batches, int count) {
        return new GptObjective(be, w.dtype, model, batches).meanLossAndAccuracy(w, count, false)[0];
    }
}
