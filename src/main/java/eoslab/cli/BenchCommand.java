package eoslab.cli;

import eoslab.backend.Act;
import eoslab.backend.Backend;
import eoslab.backend.cuda.CudaBackend;
import eoslab.backend.cuda.CudaLinalg;
import eoslab.data.Dataset;
import eoslab.data.Synthetic;
import eoslab.dynamics.qr.QrMethod;
import eoslab.dynamics.qr.TallQr;
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
 * machine line per measurement, {@code RESULT key=value ...}, that the script collects.
 * STYLE.md principle 10: warm up, repeat, report medians.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = {BenchCommand.Hvp.class, BenchCommand.Qr.class},
        description = "Device microbenchmarks: batched Hessian-vector products (hvp) and tall QR (qr).")
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
        throw new UserError("bench: name a benchmark: eoslab bench hvp ... or eoslab bench qr ... (see --help)");
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
     * CholeskyQR2 ({@link TallQr}) on the device, and CholeskyQR2's Gram pass alone
     * ({@code Backend.gram}: kernels/gram.cu on a GPU). The least traffic any QR needs is reading V
     * and writing Q, 2·d·k·bytes; the Gram's is reading V once, d·k·bytes. That over the median time,
     * against the device's peak HBM bandwidth (2 × memory clock × bus width) and a measured device
     * copy of V, is the figure reported (issue #5's target: the QR at ≥ 70% of peak). CholeskyQR2
     * itself moves 7·d·k·bytes on a GPU (three Gram reads, two GEMMs reading and writing V; 5 with the
     * fused host passes on the CPU); its rate on that traffic is printed too, as is the path it took
     * (a fallback would time Householder instead).
     */
    @Command(name = "qr", mixinStandardHelpOptions = true,
            description = "Tall thin QR of d x k on the device as a fraction of HBM bandwidth.")
    public static final class Qr implements Callable<Integer> {
        @Mixin
        CommonOptions common;
        @Option(names = "--d", defaultValue = "1000000,10000000,100000000", description = "rows d (default: ${DEFAULT-VALUE})")
        String ds;
        @Option(names = "--k", defaultValue = "32", description = "columns k (default: ${DEFAULT-VALUE})")
        int k;
        @Option(names = "--dtype", defaultValue = "f32", description = "f32 or f64 (default: ${DEFAULT-VALUE})")
        String dtype;
        @Option(names = "--methods", defaultValue = "cusolver,gram,cholqr2",
                description = "cusolver (CUDA only), gram (the Gram pass of CholeskyQR2 alone) and/or cholqr2 (default: ${DEFAULT-VALUE})")
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
            List<String> ms = List.of(methods.split(","));
            for (String m : ms) {
                if (!m.equals("cusolver") && !m.equals("cholqr2") && !m.equals("gram")) throw new UserError("--methods: unknown '" + m + "' (cusolver, gram, cholqr2)");
            }
            try (Backend be = common.open()) {
                CudaBackend gpu = be instanceof CudaBackend c ? c : null;
                if (ms.contains("cusolver") && gpu == null) throw new UserError("--methods cusolver needs --device cuda");
                double peak = gpu == null ? Double.NaN : peakBandwidth(gpu);
                System.out.printf("bench qr: device %s, k=%d, %s, peak HBM %s%n", gpu == null ? be.name() : gpu.deviceName(), k, dt,
                        Double.isNaN(peak) ? "unknown" : String.format("%.0f GB/s", peak / 1e9));
                for (int d : ints(ds, "--d")) {
                    if (d < k) throw new UserError("--d " + d + " < --k " + k);
                    Tensor v0 = randomTall(be, dt, d, k, seed), v = be.zeros(dt, (long) d * k);
                    double bytes = 2.0 * d * k * dt.bytes;
                    double[] cs = new double[repeats];
                    for (int i = 0; i < repeats; i++) cs[i] = time(be, () -> be.copy(v0, v));
                    double copy = median(cs);
                    List<String[]> rows = new ArrayList<>();
                    for (String m : ms) {
                        Runnable qr;
                        String[] path = {""};
                        double moved = m.equals("gram") ? bytes / 2 : bytes;   // least traffic of the operation
                        if (m.equals("cusolver")) {
                            CudaLinalg la = CudaLinalg.open(gpu);
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
                        double med = median(s), gbs = moved / med;
                        int own = gpu != null ? 7 : 5;   // CholeskyQR2's own traffic in dk·B: GPU 3 Gram reads + 2 GEMMs; host passes 3 reads + 2 writes
                        // a copy of V moves 2dk·B: the same bytes as the QR's least traffic, twice the Gram's
                        double ofCopy = (bytes / copy) / (moved / med);
                        System.out.printf("  d=%-10d %-9s median %.3f ms  %.0f GB/s (%sdk·%dB / t) = %.1f%% of peak, %.1f%% of a device copy's rate%s%n",
                                d, m, med * 1e3, gbs / 1e9, m.equals("gram") ? "" : "2", dt.bytes, 100 * gbs / peak, 100 / ofCopy,
                                m.equals("cholqr2") ? String.format("; on its own %ddk·%dB traffic %.0f GB/s = %.1f%% of peak; path %s",
                                        own, dt.bytes, own * bytes / 2 / med / 1e9, 100 * own * bytes / 2 / med / peak, path[0]) : "");
                        System.out.printf("RESULT bench=qr method=%s d=%d k=%d dtype=%s median_s=%.6e gbps=%.2f peak_gbps=%.2f frac_peak=%.4f copy_s=%.6e%s%n",
                                m, d, k, dt, med, gbs / 1e9, peak / 1e9, gbs / peak, copy, m.equals("cholqr2") ? " path=" + path[0] : "");
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

    static DType parseDtype(String s) {
        return switch (s.toLowerCase()) {
            case "f32" -> DType.F32;
            case "f64" -> DType.F64;
            default -> throw new UserError("--dtype '" + s + "': use f32 or f64");
        };
    }
}
