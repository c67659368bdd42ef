package eoslab.bench;

import eoslab.backend.Backend;
import eoslab.dynamics.LyapunovConfig;
import eoslab.dynamics.LyapunovTracker;
import eoslab.dynamics.RandomMap;
import eoslab.dynamics.qr.QrMethod;
import eoslab.dynamics.qr.TallQr;
import eoslab.gpt.Gpt2;
import eoslab.gpt.GptConfig;
import eoslab.gpt.GptObjective;
import eoslab.gpt.TextBatches;
import eoslab.optim.AdamW;
import eoslab.optim.StepLoss;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

/**
 * The GPT-2 measurements of issue #6 ("Performance on the H100"), for {@code eoslab bench gpt2} and
 * bench/gpu/run-all.sh parts d, e, f; bench/gpu/gpt2_torch.py measures the same on PyTorch.
 * <ul>
 *   <li>(d) {@link #trainStep}: one AdamW training step (forward, backward, update) on a (B, T)
 *       batch → tokens/s, with the forward+backward part timed on its own;</li>
 *   <li>(e) {@link #gradVsHvp}: a gradient pass vs k exact Hessian-vector products in one
 *       forward-over-reverse pass → HVP cost per direction in gradients;</li>
 *   <li>(f) {@link #lyapunov}: the {@link LyapunovTracker}'s step at k tangents, broken down into
 *       the loss's gradient + k HVPs, the optimizer's own update, the QR and the rest.</li>
 * </ul>
 * Every timed interval starts and ends with {@link Backend#sync} (device work is asynchronous);
 * warm-up calls are run and dropped; figures are medians (STYLE.md principle 10). Each call reads
 * another step's batch of random tokens, as training does; the cost does not depend on the values.
 */
public final class Gpt2Bench {
    private Gpt2Bench() {
    }

    /**
     * One benchmark setting: model shape, batch B, sequence length T ≤ maxT, dtype, seed, and the
     * warm-up / timed repeat counts.
     */
    public record Setup(GptConfig model, int batch, int seqLen, DType dtype, long seed, int warmup, int repeats) {
        public Setup {
            if (model == null) throw new IllegalArgumentException("bench gpt2: a model shape is required");
            if (batch < 1) throw new IllegalArgumentException("bench gpt2: --batch must be >= 1, got " + batch);
            if (seqLen < 1 || seqLen > model.maxT()) {
                throw new IllegalArgumentException("bench gpt2: --seq-len must be in [1, maxT = " + model.maxT() + "], got " + seqLen);
            }
            if (dtype != DType.F32 && dtype != DType.F64) throw new IllegalArgumentException("bench gpt2: dtype must be f32 or f64, got " + dtype);
            if (warmup < 0 || repeats < 1) throw new IllegalArgumentException("bench gpt2: need --warmup >= 0 and --repeats >= 1");
        }

        /** Tokens per step, B·T. */
        public long tokens() {
            return (long) batch * seqLen;
        }
    }

    /** Uniform random tokens in [0, V): a stream of 4 batches' worth of windows (starts are drawn with replacement). */
    public static TextBatches randomTokens(Setup s) {
        SplittableRandom r = new SplittableRandom(s.seed());
        int[] tok = new int[Math.toIntExact(4 * (long) s.batch() * (s.seqLen() + 1))];
        for (int i = 0; i < tok.length; i++) tok[i] = r.nextInt(s.model().vocab());
        return new TextBatches(tok, s.batch(), s.seqLen(), s.seed());
    }

    /** The objective on {@code be} with GPT-2-initialised weights w (d). */
    public record Problem(Backend be, Gpt2 model, GptObjective loss, double[] w0) {
        public static Problem of(Backend be, Setup s, TextBatches data) {
            Gpt2 m = new Gpt2(s.model());
            return new Problem(be, m, new GptObjective(be, s.dtype(), m, data), m.init(s.seed(), 1.0));
        }
    }

    /** Medians (seconds) of the timed calls and how many there were. */
    public record Stat(double median, double min, int n) {
        static Stat of(double[] s) {
            return new Stat(Gpt2Bench.median(s), Arrays.stream(s).min().orElse(Double.NaN), s.length);
        }
    }

    /** Median of the samples. */
    public static double median(double[] s) {
        if (s.length == 0) return Double.NaN;
        double[] c = s.clone();
        Arrays.sort(c);
        int m = c.length / 2;
        return c.length % 2 == 1 ? c[m] : 0.5 * (c[m - 1] + c[m]);
    }

    /** {@code warmup} untimed then {@code repeats} timed calls of body(i), i counting all calls; each bracketed by sync. */
    public static double[] time(Backend be, int warmup, int repeats, LongConsumer body) {
        double[] s = new double[repeats];
        for (int i = 0; i < warmup + repeats; i++) {
            be.sync();
            long t0 = System.nanoTime();
            body.accept(i);
            be.sync();
            if (i >= warmup) s[i - warmup] = (System.nanoTime() - t0) * 1e-9;
        }
        return s;
    }

    // ---- (d) training step -----------------------------------------------------------------------

    /** AdamW's hyper-parameters for the training benchmark: nanoGPT's GPT-2 settings (η 6e-4, β (0.9, 0.95), λ 0.1). */
    public static AdamW adamw(StepLoss f) {
        return new AdamW(f, 6e-4, 0.9, 0.95, 1e-8, 0.1, false, null);
    }

    /**
     * (d) step = a whole {@link AdamW#step} (forward + backward + update), fwdBwd = the loss and its
     * gradient alone; the update's share is step − fwdBwd. tokens/s = B·T / step.
     */
    public record TrainResult(Stat step, Stat fwdBwd, double tokensPerSecond) {
    }

    public static TrainResult trainStep(Problem p, Setup s) {
        Backend be = p.be();
        AdamW opt = adamw(p.loss());
        Tensor state = opt.initialState(p.w0());
        Tensor w = state.view(0, p.loss().dim()), grad = be.zeros(s.dtype(), p.loss().dim());
        // alternate the two in one loop, so both see the same warm-up, JIT and allocator state and the
        // difference is the update's cost, not a drift between two separate timing loops
        double[] step = new double[s.repeats()], fb = new double[s.repeats()];
        for (int i = 0; i < s.warmup() + s.repeats(); i++) {
            final long t = i;
            double a = time(be, 0, 1, j -> opt.step(t, state, null, 0))[0];
            double b = time(be, 0, 1, j -> p.loss().evaluate(t, w, grad, null, 0, null))[0];
            if (i >= s.warmup()) {
                step[i - s.warmup()] = a;
                fb[i - s.warmup()] = b;
            }
        }
        Stat st = Stat.of(step);
        return new TrainResult(st, Stat.of(fb), s.tokens() / st.median());
    }

    // ---- (e) gradient vs HVP --------------------------------------------------------------------

    /**
     * (e) at k directions: hvp = loss + the k products H v_j in one pass (primal, forward R-pass of the
     * k directions, one reverse sweep with the R-ops beside the backward; Pearlmutter 1994), without
     * gradient output, against grad = loss + ∇L. torch.func's jvp of grad does the same passes and
     * returns the gradient as its primal output. perDirection = hvp / (k · grad): the HVP cost in
     * gradients (issue #6 target ≤ 3).
     */
    public record HvpResult(int k, Stat hvp, double perDirection) {
    }

    /** Loss and gradient at the initial weights, a fresh batch per call. */
    public static Stat gradient(Problem p, Setup s) {
        Backend be = p.be();
        long d = p.loss().dim();
        Tensor w = be.fromDoubles(s.dtype(), p.w0()), grad = be.zeros(s.dtype(), d);
        return Stat.of(time(be, s.warmup(), s.repeats(), i -> p.loss().evaluate(i, w, grad, null, 0, null)));
    }

    /** Loss and k HVPs (directions: a tiled random block) at the initial weights, against {@code grad}'s median. */
    public static HvpResult hvp(Problem p, Setup s, int k, Stat grad) {
        Backend be = p.be();
        long d = p.loss().dim();
        Tensor w = be.fromDoubles(s.dtype(), p.w0());
        Tensor v = tiledBlock(be, s.dtype(), Math.toIntExact(d), k, s.seed() + 1), hv = be.zeros(s.dtype(), d * k);
        Stat h = Stat.of(time(be, s.warmup(), s.repeats(), i -> p.loss().evaluate(i, w, null, v, k, hv)));
        return new HvpResult(k, h, h.median() / (k * grad.median()));
    }

    // ---- (f) Lyapunov tracker -------------------------------------------------------------------

    /** Which update map the tracker follows: AdamW (state (w, m, v), 3d) or plain SGD (state w, d). */
    public enum MapKind { ADAMW, SGD }

    /**
     * (f) per tracker step, medians over the timed steps (QR every step):
     * <ul>
     *   <li>{@code step}: the whole step of the tracker loop (map step + QR + bookkeeping);</li>
     *   <li>{@code hvp}: the map's loss evaluation = primal pass + gradient + k HVPs (the JVP of the
     *       update needs H_B δw; that is where the k tangents cost);</li>
     *   <li>{@code update}: the rest of the map's step (the optimizer's update of the state and of its
     *       k tangents: host-side for AdamW);</li>
     *   <li>{@code qr}: the thin QR of the (stateDim, k) tangents;</li>
     *   <li>{@code rest}: step − (map step + QR): ln R_ii accumulation, snapshots, synchronisation.</li>
     * </ul>
     * {@code gradOnly} is the gradient pass without tangents, for scale.
     */
    public record LyapunovResult(MapKind map, int k, long stateDim, Stat step, Stat hvp, Stat update, Stat qr, Stat rest,
                                 Stat gradOnly, double[] lambda) {
    }

    /** Plain SGD on a minibatch loss as a {@link RandomMap}: w' = w − η ∇L_{B_t}(w), δw' = δw − η H_{B_t} δw. */
    public static final class SgdMap implements RandomMap {
        private final StepLoss f;
        private final double lr;
        private Tensor grad, hv;

        public SgdMap(StepLoss f, double lr) {
            if (!(lr > 0)) throw new IllegalArgumentException("SGD learning rate must be > 0, got " + lr);
            this.f = f;
            this.lr = lr;
        }

        @Override public long dim() { return f.dim(); }

        @Override public Backend backend() { return f.backend(); }

        @Override public DType dtype() { return f.dtype(); }

        @Override
        public void step(long t, Tensor x, Tensor tangents, int k) {
            Backend be = f.backend();
            long d = f.dim();
            if (grad == null) grad = be.zeros(f.dtype(), d);
            if (k > 0 && (hv == null || hv.size < k * d)) hv = be.zeros(f.dtype(), k * d);
            f.evaluate(t, x, grad, k > 0 ? tangents : null, k, hv);
            if (k > 0) be.axpby(-lr, hv.view(0, k * d), 1, tangents.view(0, k * d)); // δw ← δw − η H δw
            be.axpby(-lr, grad, 1, x);                                                  // w ← w − η ∇L
        }
    }

    /** A {@link StepLoss} that times its evaluations (sync-bracketed), for the breakdown of (f). */
    static final class TimedLoss implements StepLoss {
        final StepLoss f;
        double[] seconds = new double[0];
        int n;

        TimedLoss(StepLoss f) {
            this.f = f;
        }

        @Override public long dim() { return f.dim(); }

        @Override public Backend backend() { return f.backend(); }

        @Override public DType dtype() { return f.dtype(); }

        @Override
        public double evaluate(long t, Tensor w, Tensor grad, Tensor v, int k, Tensor hv) {
            f.backend().sync();
            long t0 = System.nanoTime();
            double r = f.evaluate(t, w, grad, v, k, hv);
            f.backend().sync();
            if (n == seconds.length) seconds = Arrays.copyOf(seconds, Math.max(8, 2 * n));
            seconds[n++] = (System.nanoTime() - t0) * 1e-9;
            return r;
        }
    }

    /**
     * (f): the tracker with QR every step (CholeskyQR2) for warmup + repeats steps, the first warmup
     * ones dropped. Q_0 is a tiled random block orthonormalised on the device (its values do not
     * change the cost; k·d may exceed a host array, which the tracker's own seeded Q_0 needs).
     */
    public static LyapunovResult lyapunov(Problem p, Setup s, MapKind kind, int k, double lr) {
        Backend be = p.be();
        TimedLoss timed = new TimedLoss(p.loss());
        RandomMap map;
        Tensor x;
        if (kind == MapKind.ADAMW) {
            AdamW a = new AdamW(timed, lr, 0.9, 0.95, 1e-8, 0.1, false, null);
            map = a;
            x = a.initialState(p.w0());
        } else {
            map = new SgdMap(timed, lr);
            x = be.fromDoubles(s.dtype(), p.w0());
        }
        long sd = map.dim();
        int all = s.warmup() + s.repeats();
        if (all < 2) throw new IllegalArgumentException("bench gpt2: the Lyapunov part needs warmup + repeats >= 2 steps");
        if (sd > Integer.MAX_VALUE) throw new IllegalArgumentException("bench gpt2: state of " + sd + " elements");
        Tensor q0 = tiledBlock(be, s.dtype(), (int) sd, k, s.seed() + 2);
        TallQr.create(QrMethod.CHOLESKY_QR2, be, s.dtype(), sd, k, Double.NaN).factor(q0);
        LyapunovConfig cfg = new LyapunovConfig(k, all, 0, 1, 2, s.seed(), 1.0, 0, 0, QrMethod.CHOLESKY_QR2, Double.NaN);
        LyapunovTracker tr = new LyapunovTracker(map, cfg).profiled();
        double[] lambda = tr.run(x, q0, null).exponents();
        LyapunovTracker.Profile prof = tr.lastProfile();
        int w = s.warmup(), r = s.repeats();
        double[] step = new double[r], hvp = new double[r], upd = new double[r], qr = new double[r], rest = new double[r];
        // the tracker brackets each map step and each QR with a sync; the rest of a loop iteration
        // (bookkeeping) is total − Σ(step + QR), spread evenly over the steps
        double phases = 0;
        for (int i = 0; i < all; i++) phases += prof.stepSeconds()[i] + prof.qrSeconds()[i];
        double restPer = Math.max(0, prof.totalSeconds() - phases) / all;
        for (int i = 0; i < r; i++) {
            double ms = prof.stepSeconds()[w + i];
            hvp[i] = timed.seconds[w + i];
            upd[i] = ms - hvp[i];
            qr[i] = prof.qrSeconds()[w + i];
            rest[i] = restPer;
            step[i] = ms + qr[i] + restPer;
        }
        Tensor grad = be.zeros(s.dtype(), p.loss().dim()), wv = be.fromDoubles(s.dtype(), p.w0());
        Stat g = Stat.of(time(be, Math.min(1, s.warmup()), Math.max(1, Math.min(3, s.repeats())), i -> p.loss().evaluate(i, wv, grad, null, 0, null)));
        return new LyapunovResult(kind, k, sd, Stat.of(step), Stat.of(hvp), Stat.of(upd), Stat.of(qr), Stat.of(rest), g, lambda);
    }

    /**
     * k vectors of length d, each a random block of length min(d, 2^20) uniform in [−1, 1) tiled to
     * length d (built on the device; V = [B; B; …] has VᵀV = (d/m)·BᵀB, full rank).
     */
    public static Tensor tiledBlock(Backend be, DType dt, int d, int k, long seed) {
        int m = Math.min(d, 1 << 20);
        if (m < k) throw new IllegalArgumentException("bench gpt2: k = " + k + " tangents for a state of dimension " + d);
        SplittableRandom r = new SplittableRandom(seed);
        double[] b = new double[m * k];
        for (int i = 0; i < b.length; i++) b[i] = r.nextDouble(-1, 1);
        Tensor block = be.fromDoubles(dt, b), v = be.zeros(dt, (long) d * k);
        for (int j = 0; j < k; j++) {
            for (long o = 0; o < d; o += m) {
                int len = (int) Math.min(m, d - o);
                be.copy(block.view((long) j * m, len), v.view((long) j * d + o, len));
            }
        }
        return v;
    }

    // ---- same model on both sides ---------------------------------------------------------------

    /**
     * The fixture with which bench/gpu/gpt2_torch.py --check shows that its model is eoslab's: one
     * safetensors file with the weights (eoslab's names and layout, F32, the init of {@code s}),
     * step 0's batch ({@code check.x}, {@code check.y}: I32 (B, T)) and, computed in float64 on the
     * CPU from those same F32 weights, the loss ({@code check.loss}), the gradient g
     * ({@code check.grad}, flat in the order of metadata {@code order}) and H g ({@code check.hg}).
     * Returns the loss.
     */
    public static double writeCheck(java.nio.file.Path file, Setup s) throws java.io.IOException {
        Backend be = eoslab.backend.CpuBackend.INSTANCE;
        Gpt2 m = new Gpt2(s.model());
        double[] w = m.init(s.seed(), 1.0);
        for (int i = 0; i < w.length; i++) w[i] = (float) w[i];     // the values the F32 file holds
        TextBatches data = randomTokens(s);
        int[][] xy = data.hostBatch(0);
        GptObjective f = new GptObjective(be, DType.F64, m, data);
        int d = m.numParams();
        Tensor tw = be.fromDoubles(DType.F64, w), g = be.zeros(DType.F64, d), hg = be.zeros(DType.F64, d);
        double loss = f.evaluate(0, tw, g, null, 0, null);
        Tensor v = be.fromDoubles(DType.F64, g.toDoubles());
        f.evaluate(0, tw, null, v, 1, hg);
        eoslab.io.SafetensorsWriter out = new eoslab.io.SafetensorsWriter();
        StringBuilder order = new StringBuilder();
        for (eoslab.nn.ParamSpec p : m.params()) {
            float[] a = new float[(int) p.size()];
            for (int i = 0; i < a.length; i++) a[i] = (float) w[(int) p.offset() + i];
            out.add(p.name(), a, Arrays.stream(p.shape()).asLongStream().toArray());
            order.append(order.isEmpty() ? "" : ",").append(p.name());
        }
        out.add("check.x", xy[0], s.batch(), s.seqLen()).add("check.y", xy[1], s.batch(), s.seqLen());
        out.add("check.loss", new double[]{loss}, 1).add("check.grad", g.toDoubles(), d).add("check.hg", hg.toDoubles(), d);
        GptConfig c = s.model();
        out.metadata("order", order.toString()).metadata("vocab", "" + c.vocab()).metadata("maxT", "" + c.maxT())
                .metadata("layers", "" + c.layers()).metadata("heads", "" + c.heads()).metadata("channels", "" + c.channels());
        out.write(file);
        return loss;
    }
}
