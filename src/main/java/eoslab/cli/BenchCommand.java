package eoslab.cli;

import eoslab.backend.Act;
import eoslab.backend.Backend;
import eoslab.backend.cuda.CudaBackend;
import eoslab.backend.cuda.CudaLinalg;
import eoslab.bench.Gpt2Bench;
import eoslab.data.Dataset;
import eoslab.data.Synthetic;
import eoslab.dynamics.qr.QrMethod;
import eoslab.dynamics.qr.TallQr;
import eoslab.gpt.GptConfig;
import eoslab.nn.HessianOperator;
import eoslab.nn.Loss;
import eoslab.nn.Mlp;
import eoslab.nn.Model;
import eoslab.nn.Objective;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import eoslab.util.UserError;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code eoslab bench}: the device microbenchmarks of the CUDA issue, for bench/gpu/run-all.sh
 * (which runs the PyTorch references in the same script). Each prints human lines and one
 * machine line per measurement that the script collects: {@code RESULT key=value ...} (hvp, qr) or
 * a JSON object (gpt2).
 * STYLE.md principle 10: warm up, repeat, report medians.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = {BenchCommand.Hvp.class, BenchCommand.Qr.class, BenchCommand.Gpt2.class},
        description = "Device microbenchmarks: batched Hessian-vector products (hvp), tall QR (qr), GPT-2 training, HVP and Lyapunov costs (gpt2).")
public final class BenchCommand implements Runnable {
    /**
     * Stand-alone entry ({@code java -cp eoslab.jar eoslab.cli.BenchCommand hvp ...}), with the root
     * command's error handling; the same as {@code eoslab bench} once Main lists this subcommand.
     */
    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        picocli.CommandLine root = Main.commandLine();
        picocli.CommandLine cl = new picocli.CommandLine(new BenchCommand());
        cl.setExecutionExceptionHandler(root.getExecutionExceptionHandler());
        cl.setParameterExceptionHandler(root.getParameterExceptionHandler());
        System.exit(cl.execute(args));
    }

    @Override
    public void run() {
        throw new UserError("bench: name a benchmark: eoslab bench hvp|qr|gpt2 ... (see --help)");
    }

    /** Median of the samples (seconds). */
    static double median(double[] s) {
        double[] c = s.clone();
        Arrays.sort(c);
        int m = c.length / 2;
        return c.length % 2 == 1 ? c[m] : 0.5 * (c[m - 1] + c[m]);
    }

    static int[] ints(String s, String option) {
        int[] v = TrainOptions.ints(s, option);
        if (v.length == 0) throw new UserError(option + ": empty list");
        for (int x : v) if (x < 1) throw new UserError(option + " '" + s + "': values must be >= 1");
        return v;
    }

    /** Seconds of one call of {@code body} with the device drained before and after. */
    static double time(Backend be, Runnable body) {
        be.sync();
        long t0 = System.nanoTime();
        body.run();
        be.sync();
        return (System.nanoTime() - t0) * 1e-9;
    }

    /**
     * Batched HVP throughput: H v_j for k directions in one forward-over-reverse pass over the full
     * data set (an MLP with MSE, as in the training benchmark), k = 1, 8, 32. HVPs/s = k / median.
     */
    @Command(name = "hvp", mixinStandardHelpOptions = true,
            description = "Hessian-vector products of an MLP's full-batch MSE loss, k directions per pass.")
    public static final class Hvp implements Callable<Integer> {
        @Mixin
        CommonOptions common;
        @Option(names = "--n", defaultValue = "10000", description = "examples (default: ${DEFAULT-VALUE})")
        int n;
        @Option(names = "--dim", defaultValue = "3072", description = "input features; 3072 = CIFAR-10 shape (default: ${DEFAULT-VALUE})")
        int dim;
        @Option(names = "--classes", defaultValue = "10", description = "outputs (default: ${DEFAULT-VALUE})")
        int classes;
        @Option(names = "--hidden", defaultValue = "512,512", description = "hidden widths (default: ${DEFAULT-VALUE})")
        String hidden;
        @Option(names = "--k", defaultValue = "1,8,32", description = "directions per pass (default: ${DEFAULT-VALUE})")
        String ks;
        @Option(names = "--dtype", defaultValue = "f32", description = "f32 or f64 (default: ${DEFAULT-VALUE})")
        String dtype;
        @Option(names = "--chunk", defaultValue = "10000", description = "rows per pass (default: ${DEFAULT-VALUE})")
        int chunk;
        @Option(names = "--warmup", defaultValue = "3", description = "untimed passes per k (default: ${DEFAULT-VALUE})")
        int warmup;
        @Option(names = "--repeats", defaultValue = "20", description = "timed passes per k (default: ${DEFAULT-VALUE})")
        int repeats;
        @Option(names = "--seed", defaultValue = "0", description = "seed (default: ${DEFAULT-VALUE})")
        long seed;

        @Override
        public Integer call() {
            if (n < 1 || dim < 1 || classes < 2 || chunk < 1 || warmup < 0 || repeats < 1) {
                throw new UserError("bench hvp: need --n, --dim, --chunk, --repeats >= 1, --classes >= 2, --warmup >= 0");
            }
            DType dt = parseDtype(dtype);
            int[] hid = ints(hidden, "--hidden"), kList = ints(ks, "--k");
            try (Backend be = common.open()) {
                // Data of CIFAR-10's shape; the values do not change the cost of a pass.
                Dataset data = Synthetic.gaussian(new Synthetic.GaussianSpec(classes, dim, 4, 1), n, seed, Synthetic.STREAM_TRAIN, "gaussian");
                int[] sizes = new int[hid.length + 2];
                sizes[0] = dim;
                System.arraycopy(hid, 0, sizes, 1, hid.length);
                sizes[sizes.length - 1] = classes;
                Model model = Mlp.of(sizes, Act.RELU, true);
                Objective f = new Objective(be, dt, model, Loss.MSE, data, chunk);
                Tensor w = be.fromDoubles(dt, model.init(seed, 1.0));
                HessianOperator h = new HessianOperator(f, w, null);
                long d = h.dim();
                System.out.printf("bench hvp: device %s, MLP %s ReLU, n=%d, d=%d parameters, %s, %d warm-up + %d timed passes%n",
                        be.name(), Arrays.toString(sizes), n, d, dt, warmup, repeats);
                SplittableRandom r = new SplittableRandom(seed);
                for (int k : kList) {
                    double[] v = new double[Math.toIntExact(d * k)];
                    for (int i = 0; i < v.length; i++) v[i] = r.nextDouble(-1, 1);
                    Tensor tv = be.fromDoubles(dt, v), out = be.zeros(dt, d * k);
                    for (int i = 0; i < warmup; i++) h.apply(tv, out, k);
                    double[] s = new double[repeats];
                    for (int i = 0; i < repeats; i++) s[i] = time(be, () -> h.apply(tv, out, k));
                    double med = median(s);
                    System.out.printf("  k=%-3d median %.3f ms per pass, %.1f HVPs/s%n", k, med * 1e3, k / med);
                    System.out.printf("RESULT bench=hvp device=%s k=%d n=%d d=%d dtype=%s median_s=%.6e hvps_per_s=%.4e%n",
                            be.name(), k, n, d, dt, med, k / med);
                }
            }
            return 0;
        }
    }

    /**
     * Thin QR of V (d, k), k = 32, d = 1e6..1e8: cuSOLVER geqrf+orgqr ({@link CudaLinalg#qr}) and
     * CholeskyQR ({@link TallQr}, QrMethod.CHOLESKY_QR2: a second pass only when needed) on the
     * device, and its Gram pass alone ({@code Backend.gram}: kernels/gram.cu on a GPU). The least
     * traffic any QR needs is reading V and writing Q, 2·d·k·bytes; the Gram's is reading V once,
     * d·k·bytes. That over the median time, against the device's peak HBM bandwidth (2 × memory clock
     * × bus width) and a measured device copy of V, is the figure reported (issue #5's target: the QR
     * at ≥ 70% of peak). CholeskyQR itself must read V twice (R needs all of V before any of Q can be
     * written): one pass moves 3·d·k·bytes (the Gram, then V ← V R⁻¹ with the check's Gram fused in,
     * read and write), two passes 5 (k &gt; 32 on a GPU: 4 and 6, the Gram not fused); its rate on
     * that traffic is printed too, as is the path it took (a fallback would time Householder instead).
     */
    @Command(name = "qr", mixinStandardHelpOptions = true,
            description = "Tall thin QR of d x k on the device as a fraction of HBM bandwidth.")
    public static final class Qr implements Callable<Integer> {
        @Mixin
        CommonOptions common;
        @Option(names = "--d", description = "rows d (default: 1000000,10000000,100000000 on a GPU; 1000000,10000000 on the CPU, "
                + "whose tensors hold at most 2^31 − 1 elements)")
        String ds;
        @Option(names = "--k", defaultValue = "32", description = "columns k (default: ${DEFAULT-VALUE})")
        int k;
        @Option(names = "--dtype", defaultValue = "f32", description = "f32 or f64 (default: ${DEFAULT-VALUE})")
        String dtype;
        @Option(names = "--methods",
                description = "cusolver (CUDA only), gram (the Gram pass of CholeskyQR alone) and/or cholqr2 (CholeskyQR, a second pass when needed) "
                        + "(default: cusolver,gram,cholqr2 on a GPU, gram,cholqr2 on the CPU)")
        String methods;
        @Option(names = "--warmup", defaultValue = "2", description = "untimed factorizations (default: ${DEFAULT-VALUE})")
        int warmup;
        @Option(names = "--repeats", defaultValue = "10", description = "timed factorizations (default: ${DEFAULT-VALUE})")
        int repeats;
        @Option(names = "--seed", defaultValue = "0", description = "seed (default: ${DEFAULT-VALUE})")
        long seed;

        @Override
        public Integer call() {
            if (k < 1 || warmup < 0 || repeats < 1) throw new UserError("bench qr: need --k >= 1, --repeats >= 1, --warmup >= 0");
            DType dt = parseDtype(dtype);
            try (Backend be = common.open()) {
                CudaBackend gpu = be instanceof CudaBackend c ? c : null;
                List<String> ms = List.of((methods != null ? methods : gpu != null ? "cusolver,gram,cholqr2" : "gram,cholqr2").split(","));
                for (String m : ms) {
                    if (!m.equals("cusolver") && !m.equals("cholqr2") && !m.equals("gram")) throw new UserError("--methods: unknown '" + m + "' (cusolver, gram, cholqr2)");
                }
                if (ms.contains("cusolver") && gpu == null) throw new UserError("--methods cusolver needs --device cuda");
                int[] dList = ints(ds != null ? ds : gpu != null ? "1000000,10000000,100000000" : "1000000,10000000", "--d");
                for (int d : dList) {
                    if (gpu == null && (long) d * k > Integer.MAX_VALUE) {
                        throw new UserError("--d " + d + " with --k " + k + ": " + (long) d * k + " elements, more than a CPU tensor holds (2^31 − 1); use a smaller --d or --device cuda");
                    }
                }
                double peak = gpu == null ? Double.NaN : peakBandwidth(gpu);
                System.out.printf("bench qr: device %s, k=%d, %s, peak HBM %s%n", gpu == null ? be.name() : gpu.deviceName(), k, dt,
                        Double.isNaN(peak) ? "unknown" : String.format("%.0f GB/s", peak / 1e9));
                for (int d : dList) {
                    if (d < k) throw new UserError("--d " + d + " < --k " + k);
                    Tensor v0 = randomTall(be, dt, d, k, seed), v = be.zeros(dt, (long) d * k);
                    double bytes = 2.0 * d * k * dt.bytes;
                    double[] cs = new double[repeats];
                    for (int i = 0; i < repeats; i++) cs[i] = time(be, () -> be.copy(v0, v));
                    double copy = median(cs);
                    List<String[]> rows = new ArrayList<>();
                    for (String m : ms) {
                        if (m.equals("cusolver") && !CudaLinalg.fits(d, k)) {
                            System.out.printf("  d=%-10d %-9s skipped: d·k = %d elements exceeds cuSOLVER's 32-bit indexing%n", d, m, (long) d * k);
                            continue;
                        }
                        Runnable qr;
                        String[] path = {""};
                        CudaLinalg la = m.equals("cusolver") ? CudaLinalg.open(gpu) : null;
                        double moved = m.equals("gram") ? bytes / 2 : bytes;   // least traffic of the operation
                        if (la != null) {
                            qr = () -> la.qr(v, k, d);
                        } else if (m.equals("gram")) {
                            qr = () -> be.gram(v, d, k);
                        } else {
                            TallQr q = TallQr.create(QrMethod.CHOLESKY_QR2, be, dt, d, k, Double.NaN);
                            qr = () -> path[0] = q.factor(v).path().toString();
                        }
                        double[] s = new double[repeats];
                        for (int i = -warmup; i < repeats; i++) {
                            be.copy(v0, v);                 // restore V (Q overwrote it); not timed
                            double t = time(be, qr);
                            if (i >= 0) s[i] = t;
                        }
                        if (la != null) la.close();
                        double med = median(s), gbs = moved / med;
                        // CholeskyQR's own traffic in dk·B: the Gram read + 2 per pass (+1 per pass for k > 32 on a GPU)
                        int passes = path[0].equals("CHOLESKY_QR2") ? 2 : 1, own = 1 + passes * (gpu != null && k > 32 ? 3 : 2);
                        // a copy of V moves 2dk·B: the same bytes as the QR's least traffic, twice the Gram's
                        double ofCopy = (bytes / copy) / (moved / med);
                        boolean known = !Double.isNaN(peak);       // the CPU's memory bandwidth is not known here: rates only
                        System.out.printf("  d=%-10d %-9s median %.3f ms  %.0f GB/s (%sdk·%dB / t)%s, %.1f%% of a device copy's rate%s%n",
                                d, m, med * 1e3, gbs / 1e9, m.equals("gram") ? "" : "2", dt.bytes,
                                known ? String.format(" = %.1f%% of peak", 100 * gbs / peak) : "", 100 / ofCopy,
                                m.equals("cholqr2") ? String.format("; on its own %ddk·%dB traffic %.0f GB/s%s; path %s",
                                        own, dt.bytes, own * bytes / 2 / med / 1e9,
                                        known ? String.format(" = %.1f%% of peak", 100 * own * bytes / 2 / med / peak) : "", path[0]) : "");
                        System.out.printf("RESULT bench=qr method=%s d=%d k=%d dtype=%s median_s=%.6e gbps=%.2f peak_gbps=%.2f frac_peak=%.4f copy_s=%.6e%s%n",
                                m, d, k, dt, med, gbs / 1e9, peak / 1e9, gbs / peak, copy, m.equals("cholqr2")
                                        ? String.format(" path=%s own_dk=%d own_frac_peak=%.4f", path[0], own, own * bytes / 2 / med / peak) : "");
                    }
                }
            }
            return 0;
        }

        /**
         * V (d, k) as k vectors of length d: each vector is a random block of length min(d, 2^20)
         * tiled to length d (built on the device; d·k can exceed a Java array). V = [B; B; ...],
         * so VᵀV = (d/m)·BᵀB: full rank and as well conditioned as the random B.
         */
        static Tensor randomTall(Backend be, DType dt, int d, int k, long seed) {
            int m = Math.min(d, 1 << 20);
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

        /** 2 × memory clock × bus width (CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE = 36 in kHz, GLOBAL_MEMORY_BUS_WIDTH = 37 in bits). */
        static double peakBandwidth(CudaBackend gpu) {
            try (var a = java.lang.foreign.Arena.ofConfined()) {
                var p = a.allocate(java.lang.foreign.ValueLayout.JAVA_INT);
                if (eoslab.backend.cuda.CudaDriver.cuDeviceGetAttribute(p, 36, gpu.device()) != 0) return Double.NaN;
                double khz = p.get(java.lang.foreign.ValueLayout.JAVA_INT, 0);
                if (eoslab.backend.cuda.CudaDriver.cuDeviceGetAttribute(p, 37, gpu.device()) != 0) return Double.NaN;
                double bits = p.get(java.lang.foreign.ValueLayout.JAVA_INT, 0);
                return khz > 0 && bits > 0 ? 2 * khz * 1e3 * bits / 8 : Double.NaN;
            }
        }
    }

    /**
     * Issue #6's GPT-2 figures (bench/gpu/run-all.sh parts d, e, f; {@link Gpt2Bench}): (d) AdamW
     * training step → tokens/s, (e) gradient vs k HVPs → HVP cost in gradients, (f) the Lyapunov
     * tracker's step at k tangents broken down into HVPs, update, QR and the rest. Prints a table per
     * part and one JSON line per measurement ({@code {"bench":"gpt2","part":...}}).
     */
    @Command(name = "gpt2", mixinStandardHelpOptions = true,
            description = "GPT-2 training step (d), gradient vs HVP (e) and Lyapunov tracker step (f) timings on random tokens.")
    public static final class Gpt2 implements Callable<Integer> {
        @Mixin
        CommonOptions common;
        @Option(names = "--model", defaultValue = "gpt2-124M", description = "preset: tiny or gpt2-124M (default: ${DEFAULT-VALUE})")
        String preset;
        @Option(names = "--layers", description = "override L") Integer layers;
        @Option(names = "--heads", description = "override H") Integer heads;
        @Option(names = "--channels", description = "override C") Integer channels;
        @Option(names = "--vocab", description = "override V") Integer vocab;
        @Option(names = "--max-t", description = "override the context length maxT") Integer maxT;
        @Option(names = "--batch", defaultValue = "8", description = "sequences per batch B (default: ${DEFAULT-VALUE})")
        int batch;
        @Option(names = "--seq-len", description = "tokens per sequence T (default: the model's maxT)")
        Integer seqLen;
        @Option(names = "--parts", defaultValue = "d,e,f", description = "d (training step), e (gradient vs HVP), f (Lyapunov step) (default: ${DEFAULT-VALUE})")
        String parts;
        @Option(names = "--k", defaultValue = "1,8", description = "HVP directions per pass for (e) (default: ${DEFAULT-VALUE})")
        String ks;
        @Option(names = "--lyap-k", defaultValue = "8,32", description = "tangent vectors for (f) (default: ${DEFAULT-VALUE})")
        String lyapKs;
        @Option(names = "--lyap-map", defaultValue = "adamw", description = "map the tracker follows in (f): adamw or sgd (default: ${DEFAULT-VALUE})")
        String lyapMap;
        @Option(names = "--lyap-lr", defaultValue = "6e-4", description = "its learning rate (default: ${DEFAULT-VALUE})")
        double lyapLr;
        @Option(names = "--dtype", defaultValue = "f32", description = "f32 or f64 (default: ${DEFAULT-VALUE})")
        String dtype;
        @Option(names = "--warmup", defaultValue = "2", description = "untimed calls per measurement (default: ${DEFAULT-VALUE})")
        int warmup;
        @Option(names = "--repeats", defaultValue = "5", description = "timed calls per measurement; medians are reported (default: ${DEFAULT-VALUE})")
        int repeats;
        @Option(names = "--seed", defaultValue = "0", description = "seed (default: ${DEFAULT-VALUE})")
        long seed;
        @Option(names = "--write-check", paramLabel = "FILE",
                description = "only write the same-model fixture for gpt2_torch.py --check (weights, a batch, float64 loss, gradient, Hg; CPU) and exit")
        java.nio.file.Path writeCheck;

        GptConfig config() {
            GptConfig p;
            try {
                p = GptConfig.preset(preset);
                return new GptConfig(vocab != null ? vocab : p.vocab(), maxT != null ? maxT : p.maxT(), layers != null ? layers : p.layers(),
                        heads != null ? heads : p.heads(), channels != null ? channels : p.channels());
            } catch (IllegalArgumentException e) {
                throw new UserError("bench gpt2: " + e.getMessage());
            }
        }

        @Override
        public Integer call() {
            GptConfig cfg = config();
            List<String> ps = List.of(parts.toLowerCase().split(","));
            for (String x : ps) if (!x.equals("d") && !x.equals("e") && !x.equals("f")) throw new UserError("--parts: unknown part '" + x + "' (d, e, f)");
            Gpt2Bench.MapKind kind = switch (lyapMap.toLowerCase()) {
                case "adamw" -> Gpt2Bench.MapKind.ADAMW;
                case "sgd" -> Gpt2Bench.MapKind.SGD;
                default -> throw new UserError("--lyap-map '" + lyapMap + "': use adamw or sgd");
            };
            Gpt2Bench.Setup s;
            try {
                s = new Gpt2Bench.Setup(cfg, batch, seqLen != null ? seqLen : cfg.maxT(), parseDtype(dtype), seed, warmup, repeats);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
            int[] kList = ints(ks, "--k"), lyapList = ints(lyapKs, "--lyap-k");
            if (writeCheck != null) {
                if (cfg.numParams() > 5_000_000) throw new UserError("--write-check: meant for small models (float64 Hg on the CPU); got " + cfg.numParams() + " parameters");
                try {
                    double loss = Gpt2Bench.writeCheck(writeCheck, s);
                    System.out.printf("bench gpt2: wrote %s (%d parameters, B=%d T=%d, loss %.12f)%n", writeCheck, cfg.numParams(), s.batch(), s.seqLen(), loss);
                } catch (java.io.IOException e) {
                    throw new UserError("--write-check " + writeCheck + ": " + e.getMessage());
                }
                return 0;
            }
            try (Backend be = common.open()) {
                String dev = be instanceof CudaBackend c ? c.deviceName() : be.name();
                Gpt2Bench.Problem p = Gpt2Bench.Problem.of(be, s, Gpt2Bench.randomTokens(s));
                System.out.printf("bench gpt2: device %s, %s, B=%d T=%d (%d tokens/step), %s, random tokens, %d warm-up + %d timed calls, medians%n",
                        dev, p.model().describe(), s.batch(), s.seqLen(), s.tokens(), s.dtype(), s.warmup(), s.repeats());
                java.util.Map<String, Object> base = new java.util.LinkedHashMap<>();
                base.put("bench", "gpt2");
                base.put("impl", "eoslab");
                base.put("device", dev);
                base.put("model", preset);
                base.put("V", cfg.vocab()); base.put("L", cfg.layers()); base.put("H", cfg.heads()); base.put("C", cfg.channels());
                base.put("params", cfg.numParams());
                base.put("B", s.batch()); base.put("T", s.seqLen()); base.put("dtype", s.dtype().toString().toLowerCase());
                base.put("precision", p.be().gemmPrecision().label);   // GEMM operand rounding (--precision)
                base.put("lt", be instanceof CudaBackend c && c.usesLt());   // linear layers' bias in cuBLASLt's epilogue (-Deoslab.cuda.lt)
                base.put("warmup", s.warmup()); base.put("repeats", s.repeats());
                if (ps.contains("d")) {
                    Gpt2Bench.TrainResult r = Gpt2Bench.trainStep(p, s);
                    System.out.printf("(d) training step, AdamW%n  %-28s %10s%n", "", "median ms");
                    System.out.printf("  %-28s %10.3f%n  %-28s %10.3f%n  %-28s %10.3f%n  tokens/s %.1f%n",
                            "step (fwd+bwd+AdamW)", r.step().median() * 1e3, "forward+backward", r.fwdBwd().median() * 1e3,
                            "AdamW update (difference)", (r.step().median() - r.fwdBwd().median()) * 1e3, r.tokensPerSecond());
                    var j = new java.util.LinkedHashMap<>(base);
                    j.put("part", "d");
                    j.put("step_s", r.step().median()); j.put("fwd_bwd_s", r.fwdBwd().median());
                    j.put("update_s", r.step().median() - r.fwdBwd().median()); j.put("tokens_per_s", r.tokensPerSecond());
                    System.out.println(eoslab.io.Json.line(j));
                }
                if (ps.contains("e")) {
                    Gpt2Bench.Stat g = Gpt2Bench.gradient(p, s);
                    System.out.printf("(e) gradient vs HVP (forward-over-reverse, no gradient output)%n  gradient: median %.3f ms%n", g.median() * 1e3);
                    System.out.printf("  %4s %14s %16s %18s%n", "k", "HVP pass ms", "ms per direction", "HVP / gradient");
                    for (int k : kList) {
                        Gpt2Bench.HvpResult h = Gpt2Bench.hvp(p, s, k, g);
                        System.out.printf("  %4d %14.3f %16.3f %18.2f%n", k, h.hvp().median() * 1e3, h.hvp().median() * 1e3 / k, h.perDirection());
                        var j = new java.util.LinkedHashMap<>(base);
                        j.put("part", "e"); j.put("k", k);
                        j.put("grad_s", g.median()); j.put("hvp_s", h.hvp().median()); j.put("hvp_per_direction_s", h.hvp().median() / k);
                        j.put("hvp_over_grad", h.perDirection());
                        System.out.println(eoslab.io.Json.line(j));
                    }
                }
                if (ps.contains("f")) {
                    System.out.printf("(f) Lyapunov tracker step, map %s (lr %g), QR every step (CholeskyQR2), ms per step (median)%n", kind.name().toLowerCase(), lyapLr);
                    System.out.printf("  %4s %10s %14s %10s %8s %8s %10s%n", "k", "step", "grad+k HVPs", "update", "QR", "rest", "gradient");
                    for (int k : lyapList) {
                        Gpt2Bench.LyapunovResult r = Gpt2Bench.lyapunov(p, s, kind, k, lyapLr);
                        System.out.printf("  %4d %10.3f %14.3f %10.3f %8.3f %8.3f %10.3f%n", k, r.step().median() * 1e3, r.hvp().median() * 1e3,
                                r.update().median() * 1e3, r.qr().median() * 1e3, r.rest().median() * 1e3, r.gradOnly().median() * 1e3);
                        var j = new java.util.LinkedHashMap<>(base);
                        j.put("part", "f"); j.put("map", kind.name().toLowerCase()); j.put("lr", lyapLr); j.put("k", k); j.put("state_dim", r.stateDim());
                        j.put("step_s", r.step().median()); j.put("hvp_s", r.hvp().median()); j.put("update_s", r.update().median());
                        j.put("qr_s", r.qr().median()); j.put("rest_s", r.rest().median()); j.put("grad_s", r.gradOnly().median());
                        j.put("lambda1", r.lambda()[0]);
                        System.out.println(eoslab.io.Json.line(j));
                    }
                }
            }
            return 0;
        }
    }

    static DType parseDtype(String s) {
        return switch (s.toLowerCase()) {
            case "f32" -> DType.F32;
            case "f64" -> DType.F64;
            default -> throw new UserError("--dtype '" + s + "': use f32 or f64");
        };
    }
}
