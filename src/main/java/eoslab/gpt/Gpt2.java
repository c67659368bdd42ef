package eoslab.gpt;

import eoslab.backend.Act;
import eoslab.backend.Backend;
import eoslab.nn.Activation;
import eoslab.nn.Batch;
import eoslab.nn.Init;
import eoslab.nn.Linear;
import eoslab.nn.Loss;
import eoslab.nn.Model;
import eoslab.nn.ParamSpec;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * GPT-2 (Radford et al. 2019) as a {@link Model}, following karpathy/llm.c {@code train_gpt2.c} and
 * nanoGPT {@code model.py}: token + position embeddings, L pre-LayerNorm blocks, a final LayerNorm and
 * the LM head tied to the token embedding, mean cross-entropy over the vocabulary.
 * <pre>
 *   x_0     = wte[tokens] + wpe[0..T)                                   (B·T, C)
 *   block l:  a   = x_l + c_proj(attn(c_attn(ln_1(x_l))))                 (B·T, C)
 *             x_{l+1} = a + mlp.c_proj(gelu(c_fc(ln_2(a))))               (B·T, C)
 *   logits  = ln_f(x_L) · wteᵀ                                          (B·T, V)
 *   ℓ_b     = (1/T) Σ_t CE(logits[b, t], labels[b, t])       per sequence b
 * </pre>
 * Examples are sequences: {@link Batch#x()} holds the token ids (B, T) as I32 with n = B and
 * T ≤ maxT, {@link Batch#labels()} the next-token targets (B·T). With {@code scale = 1/B} the value
 * is the mean token loss, as in llm.c and nanoGPT. Outputs are (B·T, V) logits.
 *
 * <p><b>Layout.</b> Parameter names are GPT-2's ({@code wte.weight}, {@code h.0.attn.c_attn.weight}, …,
 * {@code ln_f.bias}) in GPT-2's checkpoint order; every linear weight is stored (out, in) like
 * nanoGPT's and PyTorch's {@code nn.Linear} (c_attn is (3C, C)). Hugging Face GPT-2 checkpoints keep
 * them as {@code Conv1D} (in, out); {@link Gpt2Checkpoint} transposes on load. GELU is the tanh
 * approximation, LayerNorm ε = 1e-5, attention scale 1/√(C/H), as in GPT-2.
 *
 * <p><b>Curvature.</b> {@link #lossGradHvp} runs one primal pass, then (k &gt; 0) the forward R-pass for
 * all k directions, then one reverse sweep that does each piece's backward pass and its R-op
 * (Pearlmutter 1994) side by side, so the Hessian-vector products are exact and share the primal
 * activations. Linear maps and GELU reuse {@link Linear} and {@link Activation}; the attention core,
 * LayerNorm and embeddings are here and in {@link TransformerKernels}.
 *
 * <p><b>Attention core.</b> Two implementations of the same math, chosen per model
 * ({@link AttentionPath}; default from the system property {@code eoslab.gpt.attention=materialized|fused}):
 * FUSED runs {@link AttentionKernels} (FlashAttention-2 style, Dao 2023: only a log-sum-exp per row is
 * kept and P is recomputed in the backward pass and the R-ops, so no (B, H, T, T) buffer exists);
 * MATERIALIZED forms S and P (B, H, T, T) with batched GEMMs and the causal softmax of
 * {@link TransformerKernels}. Both are tested against each other and against finite differences.
 */
public final class Gpt2 implements Model {
    /** Which attention core runs (issue #6); both compute the same values up to rounding. */
    public enum AttentionPath {
        FUSED, MATERIALIZED;

        /** System property naming the default path. */
        public static final String PROPERTY = "eoslab.gpt.attention";

        /**
         * The path named by {@link #PROPERTY}: {@code materialized} (the default) or {@code fused}. The
         * default stays materialized because on the CPU the fused core is slower (it recomputes P in every
         * pass, in float64, where the materialized one runs float GEMMs; bench/attention.sh); fused needs
         * O(T) instead of O(T²) memory per head and row, which matters for long sequences and on the GPU.
         */
        public static AttentionPath fromProperty() {
            String v = System.getProperty(PROPERTY, "materialized").trim().toLowerCase(java.util.Locale.ROOT);
            return switch (v) {
                case "fused", "flash" -> FUSED;
                case "materialized", "materialised", "dense" -> MATERIALIZED;
                default -> throw new IllegalArgumentException("-D" + PROPERTY + "=" + v + ": expected fused or materialized");
            };
        }
    }

    private final GptConfig cfg;
    private final boolean fused;
    private final int V, maxT, L, H, C, hs;
    private final long d;
    private final Linear cAttn, attnProj, cFc, mlpProj;
    private final Activation gelu;
    // offsets of every tensor in the flat vector (GPT-2 checkpoint order)
    private final long oWte, oWpe, oLnfW, oLnfB;
    private final long[] oLn1W, oLn1B, oAttn, oProj, oLn2W, oLn2B, oFc, oMProj;
    private Workspace ws;

    public Gpt2(GptConfig cfg) {
        this(cfg, AttentionPath.fromProperty());
    }

    public Gpt2(GptConfig cfg, AttentionPath attention) {
        this.cfg = cfg;
        this.fused = attention == AttentionPath.FUSED;
        V = cfg.vocab();
        maxT = cfg.maxT();
        L = cfg.layers();
        H = cfg.heads();
        C = cfg.channels();
        hs = cfg.headSize();
        cAttn = new Linear(C, 3 * C, true);
        attnProj = new Linear(C, C, true);
        cFc = new Linear(C, 4 * C, true);
        mlpProj = new Linear(4 * C, C, true);
        gelu = new Activation(Act.GELU, 4 * C);
        oLn1W = new long[L];
        oLn1B = new long[L];
        oAttn = new long[L];
        oProj = new long[L];
        oLn2W = new long[L];
        oLn2B = new long[L];
        oFc = new long[L];
        oMProj = new long[L];
        long o = 0;
        oWte = o;
        o += (long) V * C;
        oWpe = o;
        o += (long) maxT * C;
        for (int l = 0; l < L; l++) {
            oLn1W[l] = o; o += C;
            oLn1B[l] = o; o += C;
            oAttn[l] = o; o += cAttn.numParams();
            oProj[l] = o; o += attnProj.numParams();
            oLn2W[l] = o; o += C;
            oLn2B[l] = o; o += C;
            oFc[l] = o; o += cFc.numParams();
            oMProj[l] = o; o += mlpProj.numParams();
        }
        oLnfW = o; o += C;
        oLnfB = o; o += C;
        d = o;
        if (d != cfg.numParams()) throw new AssertionError("layout " + d + " != " + cfg.numParams());
    }

    public GptConfig config() { return cfg; }

    public AttentionPath attentionPath() { return fused ? AttentionPath.FUSED : AttentionPath.MATERIALIZED; }

    @Override public int numParams() { return (int) d; }

    /** Longest sequence: the model takes (B, T) token ids with T ≤ maxT. */
    @Override public int inputSize() { return maxT; }

    /** Logits per position: V. */
    @Override public int outputSize() { return V; }

    @Override
    public String describe() {
        return "GPT-2 V=" + V + " T=" + maxT + " L=" + L + " H=" + H + " C=" + C + " (" + d + " params)";
    }

    @Override
    public List<ParamSpec> params() {
        List<ParamSpec> ps = new ArrayList<>();
        ps.add(new ParamSpec("wte.weight", new int[]{V, C}, oWte));
        ps.add(new ParamSpec("wpe.weight", new int[]{maxT, C}, oWpe));
        for (int l = 0; l < L; l++) {
            String h = "h." + l + ".";
            ps.add(new ParamSpec(h + "ln_1.weight", new int[]{C}, oLn1W[l]));
            ps.add(new ParamSpec(h + "ln_1.bias", new int[]{C}, oLn1B[l]));
            for (ParamSpec p : cAttn.params()) ps.add(p.withPrefix(h + "attn.c_attn.", oAttn[l]));
            for (ParamSpec p : attnProj.params()) ps.add(p.withPrefix(h + "attn.c_proj.", oProj[l]));
            ps.add(new ParamSpec(h + "ln_2.weight", new int[]{C}, oLn2W[l]));
            ps.add(new ParamSpec(h + "ln_2.bias", new int[]{C}, oLn2B[l]));
            for (ParamSpec p : cFc.params()) ps.add(p.withPrefix(h + "mlp.c_fc.", oFc[l]));
            for (ParamSpec p : mlpProj.params()) ps.add(p.withPrefix(h + "mlp.c_proj.", oMProj[l]));
        }
        ps.add(new ParamSpec("ln_f.weight", new int[]{C}, oLnfW));
        ps.add(new ParamSpec("ln_f.bias", new int[]{C}, oLnfB));
        return ps;
    }

    /**
     * GPT-2 / nanoGPT initialisation: every weight N(0, 0.02²), the two residual projections
     * ({@code attn.c_proj}, {@code mlp.c_proj}) N(0, (0.02/√(2L))²) "to account for the accumulation on
     * the residual path" (GPT-2 paper §2.3), biases 0, LayerNorm gains 1 and shifts 0. {@code scale}
     * multiplies the standard deviations (not the LayerNorm gains).
     */
    @Override
    public double[] init(long seed, double scale) {
        double[] w = new double[(int) d];
        Init init = new Init(seed, scale);
        double std = 0.02, projStd = 0.02 / Math.sqrt(2.0 * L);
        normal(w, oWte, (long) V * C, init, std);
        normal(w, oWpe, (long) maxT * C, init, std);
        for (int l = 0; l < L; l++) {
            fill(w, oLn1W[l], C, 1);
            fill(w, oLn2W[l], C, 1);
            normal(w, oAttn[l], 3L * C * C, init, std);
            normal(w, oProj[l], (long) C * C, init, projStd);
            normal(w, oFc[l], 4L * C * C, init, std);
            normal(w, oMProj[l], 4L * C * C, init, projStd);
        }
        fill(w, oLnfW, C, 1);
        return w;
    }

    private static void normal(double[] w, long off, long len, Init init, double std) {
        for (int i = 0; i < len; i++) w[(int) off + i] = init.normal(off, i, std);
    }

    private static void fill(double[] w, long off, int len, double v) {
        java.util.Arrays.fill(w, (int) off, (int) off + len, v);
    }

    // ---- passes --------------------------------------------------------------------------------

    @Override
    public void forward(Backend be, Tensor w, Tensor x, int n, Tensor out) {
        int t = seqLen(x, n);
        Workspace s = workspace(be, w.dtype, n, t, 0);
        forwardPass(be, s, w, x, n, t);
        be.copy(s.logits.view(0, (long) n * t * V), out.view(0, (long) n * t * V));
    }

    private int seqLen(Tensor x, int n) {
        if (x.dtype != DType.I32) throw new IllegalArgumentException("GPT-2 takes I32 token ids, got " + x.dtype);
        if (n < 1 || x.size % n != 0) throw new IllegalArgumentException("token tensor of size " + x.size + " is not n = " + n + " sequences");
        long t = x.size / n;
        if (t < 1 || t > maxT) throw new IllegalArgumentException("sequence length " + t + " is outside [1, maxT = " + maxT + "]");
        return (int) t;
    }

    private Tensor p(Tensor w, long off, long len) {
        return w.view(off, len);
    }

    /** Window of k directions stored back to back (stride d), starting at parameter offset {@code off}. */
    private Tensor dirs(Tensor v, long off, long len, int k) {
        return v.view(off, (long) (k - 1) * d + len);
    }

    private static Tensor rest(Tensor t, long off) {
        return t.view(off, t.size - off);
    }

    /** The primal pass: fills every activation of the workspace. */
    private void forwardPass(Backend be, Workspace s, Tensor w, Tensor tokens, int b, int t) {
        TransformerKernels kr = TransformerKernels.of(be);
        int n = b * t;
        long nc = (long) n * C;
        kr.embeddingForward(tokens, p(w, oWte, (long) V * C), p(w, oWpe, (long) maxT * C), s.x[0].view(0, nc), b, t, C, V);
        for (int l = 0; l < L; l++) {
            kr.layerNormForward(s.x[l], p(w, oLn1W[l], C), p(w, oLn1B[l], C), s.ln1[l], s.ln1m[l], s.ln1r[l], n, C);
            cAttn.forward(be, p(w, oAttn[l], cAttn.numParams()), s.ln1[l], s.qkv[l], n);
            if (fused) AttentionKernels.of(be).forward(s.qkv[l], s.atty[l], s.lse[l], b, t, H, C);
            else attentionForward(be, kr, s.qkv[l], s.att[l], s.atty[l], b, t);
            attnProj.forward(be, p(w, oProj[l], attnProj.numParams()), s.atty[l], s.xmid[l], n);
            be.axpby(1, s.x[l].view(0, nc), 1, s.xmid[l].view(0, nc));                    // residual
            kr.layerNormForward(s.xmid[l], p(w, oLn2W[l], C), p(w, oLn2B[l], C), s.ln2[l], s.ln2m[l], s.ln2r[l], n, C);
            cFc.forwardAct(be, p(w, oFc[l], cFc.numParams()), s.ln2[l], s.fc[l], Act.GELU, s.gl[l], n);   // = c_fc, then gelu
            mlpProj.forward(be, p(w, oMProj[l], mlpProj.numParams()), s.gl[l], s.x[l + 1], n);
            be.axpby(1, s.xmid[l].view(0, nc), 1, s.x[l + 1].view(0, nc));                 // residual
        }
        kr.layerNormForward(s.x[L], p(w, oLnfW, C), p(w, oLnfB, C), s.lnf, s.lnfm, s.lnfr, n, C);
        // tied LM head: logits = ln_f(x) wteᵀ   (N, V)
        be.gemm(false, true, n, V, C, 1, s.lnf, C, p(w, oWte, (long) V * C), C, 0, s.logits, V);
    }

    /**
     * Causal self-attention core on qkv (B·T, 3C) → y (B·T, C), keeping P (B, H, T, T). For each
     * sequence, one strided-batched GEMM over the H heads: head h's q, k, v are the columns
     * [h·hs, (h+1)·hs) of the three C-wide thirds of qkv (row stride 3C, head stride hs).
     */
    private void attentionForward(Backend be, TransformerKernels kr, Tensor qkv, Tensor att, Tensor y, int b, int t) {
        double sc = 1 / Math.sqrt(hs);
        long tt = (long) t * t;
        for (int bi = 0; bi < b; bi++) {
            long q = (long) bi * t * 3 * C, a = bi * H * tt;
            // S_h = q_h k_hᵀ / √hs    (T, T) per head
            be.gemm(false, true, t, t, hs, sc, rest(qkv, q), 3 * C, hs, rest(qkv, q + C), 3 * C, hs, 0, rest(att, a), t, tt, H);
        }
        kr.softmaxCausalForward(att, att, b * H * t, t);
        for (int bi = 0; bi < b; bi++) {
            long q = (long) bi * t * 3 * C, a = bi * H * tt;
            // y_h = P_h v_h   (T, hs), written to columns [h·hs, (h+1)·hs) of y
            be.gemm(false, false, t, hs, t, 1, rest(att, a), t, tt, rest(qkv, q + 2L * C), 3 * C, hs, 0, rest(y, (long) bi * t * C), C, hs, H);
        }
    }

    @Override
    public double lossGradHvp(Backend be, Tensor w, Batch batch, Loss loss, double scale,
                              Tensor grad, Tensor v, int k, Tensor hv, Tensor rowLoss, Tensor logits) {
        Primal pr = primal(be, w, batch, loss, scale, k, logits);
        Workspace s = pr.s();
        int b = pr.b(), t = pr.t(), n = b * t;
        double tokScale = pr.tokScale(), value = pr.value();
        TransformerKernels kr = TransformerKernels.of(be);
        if (rowLoss != null) {
            double[] tl = be.toDoubles(s.tokLoss.view(0, n));
            double[] rl = new double[b];
            for (int i = 0; i < n; i++) rl[i / t] += tl[i] / t;
            be.copy(be.fromDoubles(rowLoss.dtype, rl), rowLoss.view(0, b));
        }
        if (grad == null && k == 0) return value;
        if (k > 0) rForwardPass(be, kr, s, w, v, batch.x(), b, t, k);
        reverseSweep(be, kr, s, w, batch.x(), b, t, tokScale, grad, v, k, hv);
        return value;
    }

    /**
     * Gauss-Newton products (Model#ggnProduct): the HVP's passes with the primal logit gradient zeroed.
     * Every primal gradient of the reverse sweep is linear in it, and every term the R-sweep adds
     * beyond Jᵀ R{dy} multiplies one of them, so what is left is Jᵀ H_ℓ J v with H_ℓ = diag(p) − ppᵀ
     * per token (the softmax's R-op reads the probabilities, not the gradient).
     */
    @Override
    public double ggnProduct(Backend be, Tensor w, Batch batch, Loss loss, double scale, Tensor v, int k, Tensor gv) {
        if (k < 1) throw new IllegalArgumentException("ggn: k must be >= 1, got " + k);
        Primal pr = primal(be, w, batch, loss, scale, k, null);
        Workspace s = pr.s();
        int b = pr.b(), t = pr.t();
        be.fill(s.dlogits.view(0, (long) b * t * V), 0);
        TransformerKernels kr = TransformerKernels.of(be);
        rForwardPass(be, kr, s, w, v, batch.x(), b, t, k);
        reverseSweep(be, kr, s, w, batch.x(), b, t, pr.tokScale(), null, v, k, gv);
        return pr.value();
    }

    /** The primal pass of a batch: workspace, shapes, the loss (scale·Σ ℓ_b) and its logit gradient in s.dlogits. */
    private record Primal(Workspace s, int b, int t, double tokScale, double value) {
    }

    private Primal primal(Backend be, Tensor w, Batch batch, Loss loss, double scale, int k, Tensor logits) {
        if (loss != Loss.CE) throw new IllegalArgumentException("GPT-2 is trained with cross-entropy (loss ce), got " + loss);
        int b = batch.n(), t = seqLen(batch.x(), b), n = b * t;
        if (batch.labels() == null || batch.labels().size != (long) n) {
            throw new IllegalArgumentException("GPT-2 needs B·T = " + n + " next-token labels");
        }
        Workspace s = workspace(be, w.dtype, b, t, k);
        forwardPass(be, s, w, batch.x(), b, t);
        long nv = (long) n * V;
        if (logits != null) be.copy(s.logits.view(0, nv), logits.view(0, nv));
        double tokScale = scale / t; // ℓ_b is the mean over its T tokens
        double value = be.softmaxCrossEntropy(s.logits.view(0, nv), batch.labels(), n, V, tokScale, s.probs, s.dlogits, s.tokLoss);
        return new Primal(s, b, t, tokScale, value);
    }

    /** Forward R-pass: the tangent of every activation along each of the k directions v_j. */
    private void rForwardPass(Backend be, TransformerKernels kr, Workspace s, Tensor w, Tensor v, Tensor tokens, int b, int t, int k) {
        int n = b * t;
        long nc = (long) n * C, tt = (long) t * t, att = (long) b * H * tt;
        for (int j = 0; j < k; j++) {
            long vj = j * d;
            kr.embeddingForward(tokens, v.view(vj + oWte, (long) V * C), v.view(vj + oWpe, (long) maxT * C), s.rx[0].view(j * nc, nc), b, t, C, V);
        }
        for (int l = 0; l < L; l++) {
            for (int j = 0; j < k; j++) {
                long vj = j * d;
                kr.layerNormRForward(s.x[l], s.ln1m[l], s.ln1r[l], p(w, oLn1W[l], C), v.view(vj + oLn1W[l], C), v.view(vj + oLn1B[l], C),
                        s.rx[l].view(j * nc, nc), s.rln1[l].view(j * nc, nc), n, C);
            }
            cAttn.rForward(be, p(w, oAttn[l], cAttn.numParams()), s.ln1[l], s.qkv[l], dirs(v, oAttn[l], cAttn.numParams(), k), d, s.rln1[l], s.rqkv[l], n, k);
            for (int j = 0; j < k; j++) {
                if (fused) {
                    long n3 = 3 * nc, nh = (long) b * H * t;
                    AttentionKernels.of(be).rForward(s.qkv[l], s.atty[l], s.lse[l], s.rqkv[l].view(j * n3, n3), s.ratty[l].view(j * nc, nc),
                            s.rlse[l].view(j * nh, nh), b, t, H, C);
                } else {
                    attentionRForward(be, kr, s, l, j, b, t);
                }
            }
            attnProj.rForward(be, p(w, oProj[l], attnProj.numParams()), s.atty[l], s.xmid[l], dirs(v, oProj[l], attnProj.numParams(), k), d, s.ratty[l], s.rxmid[l], n, k);
            be.axpby(1, s.rx[l].view(0, k * nc), 1, s.rxmid[l].view(0, k * nc));
            for (int j = 0; j < k; j++) {
                long vj = j * d;
                kr.layerNormRForward(s.xmid[l], s.ln2m[l], s.ln2r[l], p(w, oLn2W[l], C), v.view(vj + oLn2W[l], C), v.view(vj + oLn2B[l], C),
                        s.rxmid[l].view(j * nc, nc), s.rln2[l].view(j * nc, nc), n, C);
            }
            cFc.rForward(be, p(w, oFc[l], cFc.numParams()), s.ln2[l], s.fc[l], dirs(v, oFc[l], cFc.numParams(), k), d, s.rln2[l], s.rfc[l], n, k);
            gelu.rForward(be, null, s.fc[l], s.gl[l], null, d, s.rfc[l], s.rgl[l], n, k);
            mlpProj.rForward(be, p(w, oMProj[l], mlpProj.numParams()), s.gl[l], s.x[l + 1], dirs(v, oMProj[l], mlpProj.numParams(), k), d, s.rgl[l], s.rx[l + 1], n, k);
            be.axpby(1, s.rxmid[l].view(0, k * nc), 1, s.rx[l + 1].view(0, k * nc));
        }
        for (int j = 0; j < k; j++) {
            long vj = j * d;
            kr.layerNormRForward(s.x[L], s.lnfm, s.lnfr, p(w, oLnfW, C), v.view(vj + oLnfW, C), v.view(vj + oLnfB, C),
                    s.rx[L].view(j * nc, nc), s.rlnf.view(j * nc, nc), n, C);
        }
        // R{logits}_j = R{ln_f}_j wteᵀ + ln_f V_wte,jᵀ
        be.gemm(false, true, k * n, V, C, 1, s.rlnf, C, p(w, oWte, (long) V * C), C, 0, s.rlogits, V);
        be.gemm(false, true, n, V, C, 1, s.lnf, C, 0, dirs(v, oWte, (long) V * C, k), C, d, 1, s.rlogits, V, (long) n * V, k);
    }

    /**
     * Tangent of the attention core for direction j: R{S} = (Rq kᵀ + q Rkᵀ)/√hs, R{P} = J_softmax R{S},
     * R{y} = R{P} v + P Rv.
     */
    private void attentionRForward(Backend be, TransformerKernels kr, Workspace s, int l, int j, int b, int t) {
        double sc = 1 / Math.sqrt(hs);
        int n = b * t;
        long tt = (long) t * t, n3 = 3L * n * C;
        Tensor qkv = s.qkv[l], rqkv = s.rqkv[l].view(j * n3, n3), ratt = s.ratt[l].view(j * b * H * tt, b * H * tt);
        Tensor ry = s.ratty[l].view((long) j * n * C, (long) n * C);
        for (int bi = 0; bi < b; bi++) {
            long q = (long) bi * t * 3 * C, a = bi * H * tt;
            Tensor rs = s.tmpS;
            be.gemm(false, true, t, t, hs, sc, rest(rqkv, q), 3 * C, hs, rest(qkv, q + C), 3 * C, hs, 0, rs, t, tt, H);
            be.gemm(false, true, t, t, hs, sc, rest(qkv, q), 3 * C, hs, rest(rqkv, q + C), 3 * C, hs, 1, rs, t, tt, H);
            kr.softmaxJvp(s.att[l].view(a, H * tt), rs.view(0, H * tt), ratt.view(a, H * tt), H * t, t);
            Tensor yb = rest(ry, (long) bi * t * C);
            be.gemm(false, false, t, hs, t, 1, rest(ratt, a), t, tt, rest(qkv, q + 2L * C), 3 * C, hs, 0, yb, C, hs, H);
            be.gemm(false, false, t, hs, t, 1, rest(s.att[l], a), t, tt, rest(rqkv, q + 2L * C), 3 * C, hs, 1, yb, C, hs, H);
        }
    }

    /**
     * One reverse sweep: each piece's backward pass (dx, dw) and, when k &gt; 0, its R-op (R{dx}, R{dw}),
     * from the loss back to the embeddings. Gradients accumulate into grad, HVPs into hv.
     */
    private void reverseSweep(Backend be, TransformerKernels kr, Workspace s, Tensor w, Tensor tokens, int b, int t,
                              double tokScale, Tensor grad, Tensor v, int k, Tensor hv) {
        int n = b * t;
        long nc = (long) n * C, vc = (long) V * C;
        boolean g = grad != null, r = k > 0;
        Tensor dres = s.dres.view(0, nc), dln = s.dln.view(0, nc);
        // LM head: dln_f = dlogits wte, dwte += dlogitsᵀ ln_f
        be.gemm(false, false, n, C, V, 1, s.dlogits, V, p(w, oWte, vc), C, 0, dln, C);
        if (g) be.gemm(true, false, V, C, n, 1, s.dlogits, V, s.lnf, C, 1, p(grad, oWte, vc), C);
        if (r) {
            Loss.CE.rBackward(be, s.probs, s.rlogits, n, V, k, tokScale, s.rdlogits);
            // R{dln_f}_j = R{dlogits}_j wte + dlogits V_wte,j
            be.gemm(false, false, k * n, C, V, 1, s.rdlogits, V, p(w, oWte, vc), C, 0, s.rdln, C);
            be.gemm(false, false, n, C, V, 1, s.dlogits, V, 0, dirs(v, oWte, vc, k), C, d, 1, s.rdln, C, nc, k);
            // R{dwte}_j += R{dlogits}_jᵀ ln_f + dlogitsᵀ R{ln_f}_j
            be.gemm(true, false, V, C, n, 1, s.rdlogits, V, (long) n * V, s.lnf, C, 0, 1, dirs(hv, oWte, vc, k), C, d, k);
            be.gemm(true, false, V, C, n, 1, s.dlogits, V, 0, s.rlnf, C, nc, 1, dirs(hv, oWte, vc, k), C, d, k);
        }
        be.fill(dres, 0);
        kr.layerNormBackward(s.x[L], s.lnfm, s.lnfr, p(w, oLnfW, C), dln, dres, g ? p(grad, oLnfW, C) : null, g ? p(grad, oLnfB, C) : null, n, C);
        if (r) {
            be.fill(s.rdres.view(0, k * nc), 0);
            for (int j = 0; j < k; j++) {
                long vj = j * d;
                kr.layerNormRBackward(s.x[L], s.lnfm, s.lnfr, p(w, oLnfW, C), v.view(vj + oLnfW, C), dln, s.rx[L].view(j * nc, nc),
                        s.rdln.view(j * nc, nc), s.rdres.view(j * nc, nc), hv.view(vj + oLnfW, C), hv.view(vj + oLnfB, C), n, C);
            }
        }
        for (int l = L - 1; l >= 0; l--) {
            // ---- MLP: dres is ∂/∂x_{l+1} = ∂/∂(mlp output)
            Tensor wm = p(w, oMProj[l], mlpProj.numParams()), wf = p(w, oFc[l], cFc.numParams());
            mlpProj.backward(be, wm, s.gl[l], null, dres, s.dgl, g ? p(grad, oMProj[l], mlpProj.numParams()) : null, n);
            if (r) mlpProj.rBackward(be, wm, s.gl[l], null, dres, dirs(v, oMProj[l], mlpProj.numParams(), k), d, s.rgl[l], s.rdres, s.rdgl, dirs(hv, oMProj[l], mlpProj.numParams(), k), n, k);
            gelu.backward(be, null, s.fc[l], null, s.dgl, s.dfc, null, n);
            if (r) gelu.rBackward(be, null, s.fc[l], null, s.dgl, null, d, s.rfc[l], s.rdgl, s.rdfc, null, n, k);
            cFc.backward(be, wf, s.ln2[l], null, s.dfc, dln, g ? p(grad, oFc[l], cFc.numParams()) : null, n);
            if (r) cFc.rBackward(be, wf, s.ln2[l], null, s.dfc, dirs(v, oFc[l], cFc.numParams(), k), d, s.rln2[l], s.rdfc, s.rdln, dirs(hv, oFc[l], cFc.numParams(), k), n, k);
            // ln_2; the residual already carries dres, so dres becomes ∂/∂xmid
            kr.layerNormBackward(s.xmid[l], s.ln2m[l], s.ln2r[l], p(w, oLn2W[l], C), dln, dres, g ? p(grad, oLn2W[l], C) : null, g ? p(grad, oLn2B[l], C) : null, n, C);
            if (r) {
                for (int j = 0; j < k; j++) {
                    long vj = j * d;
                    kr.layerNormRBackward(s.xmid[l], s.ln2m[l], s.ln2r[l], p(w, oLn2W[l], C), v.view(vj + oLn2W[l], C), dln, s.rxmid[l].view(j * nc, nc),
                            s.rdln.view(j * nc, nc), s.rdres.view(j * nc, nc), hv.view(vj + oLn2W[l], C), hv.view(vj + oLn2B[l], C), n, C);
                }
            }
            // ---- attention: dres is ∂/∂xmid = ∂/∂(attn.c_proj output)
            Tensor wp = p(w, oProj[l], attnProj.numParams()), wa = p(w, oAttn[l], cAttn.numParams());
            attnProj.backward(be, wp, s.atty[l], null, dres, s.datty, g ? p(grad, oProj[l], attnProj.numParams()) : null, n);
            if (r) attnProj.rBackward(be, wp, s.atty[l], null, dres, dirs(v, oProj[l], attnProj.numParams(), k), d, s.ratty[l], s.rdres, s.rdatty, dirs(hv, oProj[l], attnProj.numParams(), k), n, k);
            if (fused) fusedAttentionBackward(be, s, l, b, t, k);
            else attentionBackward(be, kr, s, l, b, t, k);
            cAttn.backward(be, wa, s.ln1[l], null, s.dqkv, dln, g ? p(grad, oAttn[l], cAttn.numParams()) : null, n);
            if (r) cAttn.rBackward(be, wa, s.ln1[l], null, s.dqkv, dirs(v, oAttn[l], cAttn.numParams(), k), d, s.rln1[l], s.rdqkv, s.rdln, dirs(hv, oAttn[l], cAttn.numParams(), k), n, k);
            kr.layerNormBackward(s.x[l], s.ln1m[l], s.ln1r[l], p(w, oLn1W[l], C), dln, dres, g ? p(grad, oLn1W[l], C) : null, g ? p(grad, oLn1B[l], C) : null, n, C);
            if (r) {
                for (int j = 0; j < k; j++) {
                    long vj = j * d;
                    kr.layerNormRBackward(s.x[l], s.ln1m[l], s.ln1r[l], p(w, oLn1W[l], C), v.view(vj + oLn1W[l], C), dln, s.rx[l].view(j * nc, nc),
                            s.rdln.view(j * nc, nc), s.rdres.view(j * nc, nc), hv.view(vj + oLn1W[l], C), hv.view(vj + oLn1B[l], C), n, C);
                }
            }
        }
        // embeddings: scatter-add into wte (tied: adds to the LM head's part) and wpe
        if (g) kr.embeddingBackward(tokens, dres, p(grad, oWte, vc), p(grad, oWpe, (long) maxT * C), b, t, C);
        if (r) {
            for (int j = 0; j < k; j++) {
                long vj = j * d;
                kr.embeddingBackward(tokens, s.rdres.view(j * nc, nc), hv.view(vj + oWte, vc), hv.view(vj + oWpe, (long) maxT * C), b, t, C);
            }
        }
    }

    /**
     * Backward of the attention core and its R-op, one sequence at a time (so dP, dS are (H, T, T)):
     * <pre>
     *   dP = dy vᵀ          dv = Pᵀ dy          dS = J_softmax dP        dq = dS k/√hs   dk = dSᵀ q/√hs
     *   R{dP} = R{dy} vᵀ + dy Rvᵀ               R{dv} = R{P}ᵀ dy + Pᵀ R{dy}
     *   R{dS} = R{J_softmax dP} (softmaxJvpR)   R{dq} = (R{dS} k + dS Rk)/√hs   R{dk} = (R{dS}ᵀ q + dSᵀ Rq)/√hs
     * </pre>
     */
    private void attentionBackward(Backend be, TransformerKernels kr, Workspace s, int l, int b, int t, int k) {
        double sc = 1 / Math.sqrt(hs);
        int n = b * t;
        long tt = (long) t * t, htt = H * tt, n3 = 3L * n * C, nc = (long) n * C;
        Tensor qkv = s.qkv[l], att = s.att[l], dy = s.datty, dqkv = s.dqkv;
        for (int bi = 0; bi < b; bi++) {
            long q = (long) bi * t * 3 * C, a = bi * htt, yo = (long) bi * t * C;
            Tensor P = att.view(a, htt);
            be.gemm(false, true, t, t, hs, 1, rest(dy, yo), C, hs, rest(qkv, q + 2L * C), 3 * C, hs, 0, s.dP, t, tt, H);
            be.gemm(true, false, t, hs, t, 1, P, t, tt, rest(dy, yo), C, hs, 0, rest(dqkv, q + 2L * C), 3 * C, hs, H);
            kr.softmaxJvp(P, s.dP.view(0, htt), s.dS.view(0, htt), H * t, t);
            be.gemm(false, false, t, hs, t, sc, s.dS, t, tt, rest(qkv, q + C), 3 * C, hs, 0, rest(dqkv, q), 3 * C, hs, H);
            be.gemm(true, false, t, hs, t, sc, s.dS, t, tt, rest(qkv, q), 3 * C, hs, 0, rest(dqkv, q + C), 3 * C, hs, H);
            for (int j = 0; j < k; j++) {
                Tensor rqkv = s.rqkv[l].view(j * n3, n3), rdqkv = s.rdqkv.view(j * n3, n3), rdy = s.rdatty.view(j * nc, nc);
                Tensor RP = s.ratt[l].view(j * b * htt + a, htt);
                be.gemm(false, true, t, t, hs, 1, rest(rdy, yo), C, hs, rest(qkv, q + 2L * C), 3 * C, hs, 0, s.rdP, t, tt, H);
                be.gemm(false, true, t, t, hs, 1, rest(dy, yo), C, hs, rest(rqkv, q + 2L * C), 3 * C, hs, 1, s.rdP, t, tt, H);
                be.gemm(true, false, t, hs, t, 1, RP, t, tt, rest(dy, yo), C, hs, 0, rest(rdqkv, q + 2L * C), 3 * C, hs, H);
                be.gemm(true, false, t, hs, t, 1, P, t, tt, rest(rdy, yo), C, hs, 1, rest(rdqkv, q + 2L * C), 3 * C, hs, H);
                kr.softmaxJvpR(P, s.dP.view(0, htt), RP, s.rdP.view(0, htt), s.tmpS.view(0, htt), H * t, t);
                Tensor rdS = s.tmpS;
                be.gemm(false, false, t, hs, t, sc, rdS, t, tt, rest(qkv, q + C), 3 * C, hs, 0, rest(rdqkv, q), 3 * C, hs, H);
                be.gemm(false, false, t, hs, t, sc, s.dS, t, tt, rest(rqkv, q + C), 3 * C, hs, 1, rest(rdqkv, q), 3 * C, hs, H);
                be.gemm(true, false, t, hs, t, sc, rdS, t, tt, rest(qkv, q), 3 * C, hs, 0, rest(rdqkv, q + C), 3 * C, hs, H);
                be.gemm(true, false, t, hs, t, sc, s.dS, t, tt, rest(rqkv, q), 3 * C, hs, 1, rest(rdqkv, q + C), 3 * C, hs, H);
            }
        }
    }

    /** The fused core's backward pass and, per direction, its R-op (formulas in {@link AttentionKernels}). */
    private void fusedAttentionBackward(Backend be, Workspace s, int l, int b, int t, int k) {
        AttentionKernels ak = AttentionKernels.of(be);
        long nc = (long) b * t * C, n3 = 3 * nc, nh = (long) b * H * t;
        ak.backward(s.qkv[l], s.atty[l], s.lse[l], s.datty, s.dqkv, b, t, H, C);
        for (int j = 0; j < k; j++) {
            ak.rBackward(s.qkv[l], s.atty[l], s.lse[l], s.datty, s.rqkv[l].view(j * n3, n3), s.ratty[l].view(j * nc, nc),
                    s.rlse[l].view(j * nh, nh), s.rdatty.view(j * nc, nc), s.rdqkv.view(j * n3, n3), b, t, H, C);
        }
    }

    // ---- buffers -------------------------------------------------------------------------------

    private Workspace workspace(Backend be, DType dtype, int b, int t, int k) {
        if (ws == null || ws.be != be || ws.dtype != dtype || ws.b != b || ws.t != t || ws.k < k) {
            ws = new Workspace(be, dtype, b, t, ws != null && ws.be == be && ws.dtype == dtype ? Math.max(k, ws.k) : k);
        }
        return ws;
    }

    /** Activations (llm.c's ActivationTensors), their tangents for k directions, and gradient scratch. */
    private final class Workspace {
        final Backend be;
        final DType dtype;
        final int b, t, k;
        // primal, per layer; N = B·T
        final Tensor[] x;                  // (L+1) × (N, C): residual stream entering block l; x[L] enters ln_f
        final Tensor[] ln1, ln1m, ln1r;    // (N, C), (N), (N)
        final Tensor[] qkv;                // (N, 3C)
        final Tensor[] att;                // (B, H, T, T) attention probabilities P (materialized path only)
        final Tensor[] lse;                // (B, H, T) row log-sum-exp of the scores (fused path only)
        final Tensor[] atty;               // (N, C) attention output before c_proj
        final Tensor[] xmid;               // (N, C) residual after attention
        final Tensor[] ln2, ln2m, ln2r;    // (N, C), (N), (N)
        final Tensor[] fc, gl;             // (N, 4C) before and after GELU
        final Tensor lnf, lnfm, lnfr;      // (N, C), (N), (N)
        final Tensor logits, probs;        // (N, V)
        final Tensor dlogits, tokLoss;     // (N, V), (N)
        // gradient scratch, reused across layers
        final Tensor dres, dln, datty;     // (N, C)
        final Tensor dqkv;                 // (N, 3C)
        final Tensor dfc, dgl;             // (N, 4C)
        final Tensor dP, dS, rdP, tmpS;    // (H, T, T) (materialized path only)
        // tangents: k blocks of the primal shapes
        final Tensor[] rx, rln1, rqkv, ratt, rlse, ratty, rxmid, rln2, rfc, rgl;
        final Tensor rlnf, rlogits, rdlogits, rdres, rdln, rdatty, rdqkv, rdfc, rdgl;

        Workspace(Backend be, DType dtype, int b, int t, int k) {
            this.be = be;
            this.dtype = dtype;
            this.b = b;
            this.t = t;
            this.k = k;
            // the fused path keeps (B, H, T) row statistics instead of (B, H, T, T) probabilities
            long n = (long) b * t, nc = n * C, att1 = fused ? 0 : (long) b * H * t * t, htt = fused ? 0 : (long) H * t * t;
            long nh = fused ? (long) b * H * t : 0;
            x = new Tensor[L + 1];
            ln1 = new Tensor[L]; ln1m = new Tensor[L]; ln1r = new Tensor[L];
            qkv = new Tensor[L]; att = new Tensor[L]; lse = new Tensor[L]; atty = new Tensor[L]; xmid = new Tensor[L];
            ln2 = new Tensor[L]; ln2m = new Tensor[L]; ln2r = new Tensor[L]; fc = new Tensor[L]; gl = new Tensor[L];
            for (int l = 0; l <= L; l++) x[l] = z(nc);
            for (int l = 0; l < L; l++) {
                ln1[l] = z(nc); ln1m[l] = z(n); ln1r[l] = z(n);
                qkv[l] = z(3 * nc); att[l] = z(att1); lse[l] = z(nh); atty[l] = z(nc); xmid[l] = z(nc);
                ln2[l] = z(nc); ln2m[l] = z(n); ln2r[l] = z(n); fc[l] = z(4 * nc); gl[l] = z(4 * nc);
            }
            lnf = z(nc); lnfm = z(n); lnfr = z(n);
            logits = z(n * V); probs = z(n * V); dlogits = z(n * V); tokLoss = z(n);
            dres = z(nc); dln = z(nc); datty = z(nc); dqkv = z(3 * nc); dfc = z(4 * nc); dgl = z(4 * nc);
            dP = z(htt); dS = z(htt); rdP = z(htt); tmpS = z(htt);
            rx = new Tensor[L + 1];
            rln1 = new Tensor[L]; rqkv = new Tensor[L]; ratt = new Tensor[L]; rlse = new Tensor[L]; ratty = new Tensor[L];
            rxmid = new Tensor[L]; rln2 = new Tensor[L]; rfc = new Tensor[L]; rgl = new Tensor[L];
            if (k > 0) {
                for (int l = 0; l <= L; l++) rx[l] = z(k * nc);
                for (int l = 0; l < L; l++) {
                    rln1[l] = z(k * nc); rqkv[l] = z(3 * k * nc); ratt[l] = z(k * att1); rlse[l] = z(k * nh); ratty[l] = z(k * nc);
                    rxmid[l] = z(k * nc); rln2[l] = z(k * nc); rfc[l] = z(4 * k * nc); rgl[l] = z(4 * k * nc);
                }
                rlnf = z(k * nc); rlogits = z(k * n * V); rdlogits = z(k * n * V);
                rdres = z(k * nc); rdln = z(k * nc); rdatty = z(k * nc); rdqkv = z(3 * k * nc); rdfc = z(4 * k * nc); rdgl = z(4 * k * nc);
            } else {
                rlnf = rlogits = rdlogits = rdres = rdln = rdatty = rdqkv = rdfc = rdgl = null;
            }
        }

        private Tensor z(long len) {
            return be.zeros(dtype, len);
        }
    }
}
