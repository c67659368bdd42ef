package eoslab.nn;

import eoslab.backend.Backend;
import eoslab.curvature.MinibatchCurvature;
import eoslab.optim.BatchSchedule;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * Minibatch gradients and Hessian-gradient products of an objective at fixed weights, with
 * minibatch B_i taken from a {@link BatchSchedule} (a pure function of (seed, i)): what batch
 * sharpness E_B[g_Bᵀ H_B g_B / ‖g_B‖²] needs (Andreyev &amp; Beneventano 2024).
 */
public final class MinibatchHessian implements MinibatchCurvature {
    private final Objective f;
    private final Tensor w;
    private final BatchSchedule schedule;

    public MinibatchHessian(Objective f, Tensor w, BatchSchedule schedule) {
        this.f = f;
        this.w = w;
        this.schedule = schedule;
    }

    @Override public long dim() { return f.dim(); }

    @Override public Backend backend() { return f.backend(); }

    @Override public DType dtype() { return f.dtype(); }

    @Override
    public void gradAndHvp(long batchIndex, Tensor g, Tensor hg) {
        int[] rows = schedule.batch(batchIndex);
        f.evaluate(w, rows, g, null, 0, null, null);
        f.evaluate(w, rows, null, g, 1, hg, null);
    }
}
