package eoslab.gpt;

import eoslab.backend.Backend;
import eoslab.nn.Batch;
import eoslab.nn.Loss;
import eoslab.optim.StepLoss;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * The mean next-token cross-entropy of a {@link Gpt2} on step t's windows of a token stream
 * ({@link TextBatches}): L_{B_t}(w) = (1/(B·T)) Σ_{b,t} CE, with gradient and exact HVPs. The
 * {@link StepLoss} the optimizers ({@link eoslab.optim.AdamW}) step on.
 */
public final class GptObjective implements StepLoss {
    private final Backend be;
    private final DType dtype;
    private final Gpt2 model;
    private final TextBatches batches;

    public GptObjective(Backend be, DType dtype, Gpt2 model, TextBatches batches) {
        if (batches.seqLen() > model.config().maxT()) {
            throw new IllegalArgumentException("sequence length " + batches.seqLen() + " exceeds the model's context maxT = " + model.config().maxT());
        }
        this.be = be;
        this.dtype = dtype;
        this.model = model;
        this.batches = batches;
    }

    public Gpt2 model() { return model; }

    public TextBatches batches() { return batches; }

    @Override public long dim() { return model.numParams(); }

    @Override public Backend backend() { return be; }

    @Override public DType dtype() { return dtype; }

    @Override
    public double evaluate(long t, Tensor w, Tensor grad, Tensor v, int k, Tensor hv) {
        Batch b = batches.batch(be, t);
        if (grad != null) be.fill(grad, 0);
        if (k > 0) be.fill(hv.view(0, k * dim()), 0);
        return model.lossGradHvp(be, w, b, Loss.CE, 1.0 / b.n(), grad, v, k, hv, null, null);
    }

    /** Mean token loss over {@code batches} of the validation stream, steps 0 … count−1 (no gradient). */
    public static double meanLoss(Backend be, Tensor w, Gpt2 model, TextBatches batches, int count) {
        double s = 0;
        for (int t = 0; t < count; t++) {
            Batch b = batches.batch(be, t);
            s += model.lossGradHvp(be, w, b, Loss.CE, 1.0 / b.n(), null, null, 0, null, null, null);
        }
        return s / count;
    }
}
