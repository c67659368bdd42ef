package eoslab.nn;

import eoslab.backend.Backend;
import eoslab.data.Dataset;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * The empirical loss L(w) = (1/|S|) Σ_{i∈S} ℓ_i(w) of a model on a data set held on a backend, with
 * its gradient and exact Hessian-vector products, over the whole set or a minibatch of rows.
 * Work is done in chunks of at most {@code chunk} rows so memory stays bounded whatever n is;
 * chunks are visited in a fixed order, so results are deterministic.
 */
public final class Objective {
    private final Backend be;
    private final DType dtype;
    private final Model model;
    private final Loss loss;
    private final Dataset data;
    private final int chunk;
    private final Tensor x;       // (n, features)
    private final Tensor labels;  // (n) I32
    private final Tensor targets; // (n, outputs), MSE only
    private Tensor bx, blabels, btargets, bidx; // gathered minibatch chunk

    public Objective(Backend be, DType dtype, Model model, Loss loss, Dataset data, int chunk) {
        if (model.inputSize() != data.features()) {
            throw new IllegalArgumentException("model takes " + model.inputSize() + " inputs but data set " + data.name() + " has " + data.features() + " features");
        }
        if (model.outputSize() != data.outputs()) {
            throw new IllegalArgumentException("model gives " + model.outputSize() + " outputs but data set " + data.name() + " needs " + data.outputs());
        }
        if (chunk < 1) throw new IllegalArgumentException("chunk must be >= 1, got " + chunk);
        this.be = be;
        this.dtype = dtype;
        this.model = model;
        this.loss = loss;
        this.data = data;
        this.chunk = chunk;
        this.x = toBackend(data.x());
        this.labels = be.fromInts(data.y());
        this.targets = loss == Loss.MSE ? toBackend(data.isRegression() ? data.targets() : oneHot(data)) : null;
    }

    private Tensor toBackend(float[] host) {
        if (dtype == DType.F32) return be.fromFloats(host);
        double[] d = new double[host.length];
        for (int i = 0; i < d.length; i++) d[i] = host[i];
        return be.fromDoubles(DType.F64, d);
    }

    static float[] oneHot(Dataset d) {
        float[] t = new float[d.n() * d.classes()];
        for (int i = 0; i < d.n(); i++) t[i * d.classes() + d.y()[i]] = 1f;
        return t;
    }

    public Backend backend() { return be; }

    public DType dtype() { return dtype; }

    public Model model() { return model; }

    public Loss loss() { return loss; }

    public Dataset data() { return data; }

    public int n() { return data.n(); }

    public long dim() { return model.numParams(); }

    /**
     * L over the given rows (all rows when {@code rows} is null), mean-normalised by their count.
     * grad = ∇L when not null (overwritten), hv_j = ∇²L v_j for k &gt; 0 (overwritten).
     * rowLoss (host, length of the rows) receives each ℓ_i when not null.
     */
    public double evaluate(Tensor w, int[] rows, Tensor grad, Tensor v, int k, Tensor hv, double[] rowLoss) {
        int m = rows == null ? data.n() : rows.length;
        if (m == 0) throw new IllegalArgumentException("empty batch");
        double scale = 1.0 / m;
        if (grad != null) be.fill(grad, 0);
        if (k > 0) be.fill(hv.view(0, (long) k * dim()), 0);
        int c = model.outputSize();
        Tensor rl = rowLoss == null ? null : be.zeros(dtype, Math.min(chunk, m));
        double total = 0;
        for (int start = 0; start < m; start += chunk) {
            int len = Math.min(chunk, m - start);
            Batch b = rows == null ? contiguous(start, len) : gathered(rows, start, len);
            total += model.lossGradHvp(be, w, b, loss, scale, grad, v, k, hv, rl, null);
            if (rowLoss != null) {
                double[] h = be.toDoubles(rl.view(0, len));
                System.arraycopy(h, 0, rowLoss, start, len);
            }
        }
        return total;
    }

    /**
     * gv_j = G v_j (overwritten) for the generalized Gauss-Newton matrix G = (1/m) Σ_i J_iᵀ H_ℓ,i J_i of L
     * over the given rows (all when null), k directions v (k, d). Returns L.
     */
    public double ggn(Tensor w, int[] rows, Tensor v, int k, Tensor gv) {
        int m = rows == null ? data.n() : rows.length;
        if (m == 0) throw new IllegalArgumentException("empty batch");
        if (k < 1) throw new IllegalArgumentException("ggn: k must be >= 1, got " + k);
        be.fill(gv.view(0, (long) k * dim()), 0);
        double total = 0;
        for (int start = 0; start < m; start += chunk) {
            int len = Math.min(chunk, m - start);
            Batch b = rows == null ? contiguous(start, len) : gathered(rows, start, len);
            total += model.ggnProduct(be, w, b, loss, 1.0 / m, v, k, gv);
        }
        return total;
    }

    /** Mean loss and accuracy (argmax of the outputs against the labels) over all rows. */
    public double[] lossAndAccuracy(Tensor w) {
        int m = data.n(), c = model.outputSize();
        Tensor logits = be.zeros(dtype, (long) Math.min(chunk, m) * c);
        double total = 0;
        long correct = 0;
        for (int start = 0; start < m; start += chunk) {
            int len = Math.min(chunk, m - start);
            total += model.lossGradHvp(be, w, contiguous(start, len), loss, 1.0 / m, null, null, 0, null, null, logits);
            double[] z = be.toDoubles(logits.view(0, (long) len * c));
            for (int r = 0; r < len; r++) {
                int best = 0;
                for (int j = 1; j < c; j++) if (z[r * c + j] > z[r * c + best]) best = j;
                if (best == data.y()[start + r]) correct++;
            }
        }
        return new double[]{total, (double) correct / m};
    }

    private Batch contiguous(int start, int len) {
        int f = data.features(), o = model.outputSize();
        return new Batch(x.view((long) start * f, (long) len * f), labels.view(start, len),
                targets == null ? null : targets.view((long) start * o, (long) len * o), len);
    }

    private Batch gathered(int[] rows, int start, int len) {
        int f = data.features(), o = model.outputSize();
        if (bx == null || bidx.size < len) {
            int cap = Math.min(chunk, Math.max(len, rows.length));
            bx = be.zeros(dtype, (long) cap * f);
            blabels = be.zeros(DType.I32, cap);
            btargets = targets == null ? null : be.zeros(dtype, (long) cap * o);
            bidx = be.zeros(DType.I32, cap);
        }
        int[] part = java.util.Arrays.copyOfRange(rows, start, start + len);
        Tensor idx = be.fromInts(part);
        be.gatherRows(x, idx, f, bx.view(0, (long) len * f));
        be.gatherRows(labels, idx, 1, blabels.view(0, len));
        if (targets != null) be.gatherRows(targets, idx, o, btargets.view(0, (long) len * o));
        return new Batch(bx.view(0, (long) len * f), blabels.view(0, len),
                btargets == null ? null : btargets.view(0, (long) len * o), len);
    }
}
