package eoslab.backend.cuda;

import eoslab.backend.CpuBackend;
import eoslab.dynamics.qr.CholeskyQr2;
import eoslab.dynamics.qr.QrMethod;
import eoslab.dynamics.qr.QrPath;
import eoslab.dynamics.qr.QrResult;
import eoslab.dynamics.qr.TallQr;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import java.util.SplittableRandom;

/**
 * Checks of the one-pass Gram kernel (kernels/gram.cu, {@link CudaBackend#gram}) and of CholeskyQR2
 * on a CUDA backend, shared by the host emulator run ({@link GramQrEmulatorMain}) and a GPU run
 * ({@link CudaGramQrTest}). Each throws AssertionError naming what failed.
 *
 * <p>Gram: against a float64 reference summed on the host in row order and against
 * {@link CpuBackend#gram}, for d = 1, 7, 1003 and 300,001 (many row slabs per block), k = 1, 3, 8,
 * 32 and 40 (k &gt; 32: three 32×32 block pairs), contiguous (ld = d) and strided (ld = d + 5)
 * vectors, F32 and F64. Tolerance |G − ref| ≤ 1e-300 + 2e-12·Σ_r |v_ir v_jr|, ref a compensated
 * (Neumaier) float64 sum: the kernel adds the exact (F32) or fused (F64) products in chains of at
 * most ~ rows per thread + row groups + blocks ≈ 1,200 terms here, so its error is below
 * 1,200·u·Σ|terms| ≈ 1.4e-13·Σ|terms|; an indexing error would be O(1). Determinism: two calls
 * give the same bits.
 *
 * <p>One CholeskyQR pass ({@link CudaBackend#applyUpperAndGram}: qr_apply_gram for k ≤ 32, qr_apply
 * + gram above): V U equal TO THE BIT to the CPU backend's (the same fma chains in the same order),
 * for the same d, k as the Gram and F32/F64, and the returned Gram within the Gram tolerance of a
 * float64 reference on the stored V U.
 *
 * <p>CholeskyQR: one pass on a well-conditioned V, two passes on a float64 V with κ ≈ 1e5; Q
 * orthonormal (max |QᵀQ − I|_ij ≤ 1e-6 in F32, 1e-12 in F64), V = QR, and R and
 * Q equal to the CPU backend's CholeskyQR (|a − b| ≤ tol·max|ref| + tol·|ref|, tol = 2e-5 in F32,
 * 1e-10 in F64); the fallback to cuSOLVER Householder (counted, so the device one is known to have
 * run) on an ill-conditioned V and after a failed final check, agreeing with the host Householder.
 */
final class GramQrChecks {
    private GramQrChecks() {
    }

    static void run(CudaBackend gpu) {
        gram(gpu);
        applyUpper(gpu);
        choleskyQr2(gpu);
        fallback(gpu);
    }

    // ---- Gram ------------------------------------------------------------------------------------

    static void gram(CudaBackend gpu) {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (int d : new int[] {1, 7, 1003}) {
                for (int k : new int[] {1, 3, 8, 32, 40}) {
                    for (int pad : new int[] {0, 5}) gramCase(gpu, dt, d, k, pad);
                }
            }
            gramCase(gpu, dt, 300_001, 8, 0);
        }
    }

    private static void gramCase(CudaBackend gpu, DType dt, int d, int k, int pad) {
        long ld = (long) d + pad;
        SplittableRandom rng = new SplittableRandom(31L * d + k + pad);
        double[] v = new double[(int) (k * ld)];
        for (int i = 0; i < v.length; i++) {
            double x = rng.nextGaussian() + (i % 3 == 0 ? 0.5 : 0);   // a nonzero mean: off-diagonals not ~0
            v[i] = dt == DType.F32 ? (float) x : x;
        }
        for (int i = 0; i < k; i++) for (int p = 0; p < pad; p++) v[(int) (i * ld + d + p)] = Double.NaN;   // gaps must not be read
        Tensor t = gpu.fromDoubles(dt, v);
        String what = "gram " + dt + " d=" + d + " k=" + k + " ld=" + ld;
        double[] g = gpu.gram(t, d, k, ld);
        double[] again = gpu.gram(t, d, k, ld);
        for (int q = 0; q < g.length; q++) {
            if (Double.doubleToRawLongBits(g[q]) != Double.doubleToRawLongBits(again[q])) throw new AssertionError(what + ": not bit-reproducible at " + q);
        }
        double[] cpu = null;
        if (pad == 0) cpu = CpuBackend.INSTANCE.gram(CpuBackend.INSTANCE.fromDoubles(dt, v), d, k);
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                double s = 0, c = 0, abs = 0;   // Neumaier's compensated sum: the reference is exact to ~u
                for (int r = 0; r < d; r++) {
                    double p = v[(int) (i * ld + r)] * v[(int) (j * ld + r)];
                    double sp = s + p;
                    c += Math.abs(s) >= Math.abs(p) ? (s - sp) + p : (p - sp) + s;
                    s = sp;
                    abs += Math.abs(p);
                }
                s += c;
                double tol = 1e-300 + 2e-12 * abs;
                if (!(Math.abs(g[i * k + j] - s) <= tol)) throw new AssertionError(what + ": G[" + i + "," + j + "] = " + g[i * k + j] + ", reference " + s);
                if (cpu != null && !(Math.abs(cpu[i * k + j] - s) <= tol)) throw new AssertionError(what + ": CPU G[" + i + "," + j + "] = " + cpu[i * k + j] + ", reference " + s);
                if (g[i * k + j] != g[j * k + i]) throw new AssertionError(what + ": G not symmetric at " + i + "," + j);
            }
        }
    }

    // ---- one CholeskyQR pass: V ← V U and its Gram -------------------------------------------------

    static void applyUpper(CudaBackend gpu) {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (int d : new int[] {1, 7, 1003})
                for (int k : new int[] {1, 3, 5, 8, 32, 40}) applyCase(gpu, dt, d, k);
            applyCase(gpu, dt, 300_001, 8);
        }
    }

    private static void applyCase(CudaBackend gpu, DType dt, int d, int k) {
        SplittableRandom rng = new SplittableRandom(17L * d + k);
        double[] v = new double[d * k], u = new double[k * k];
        for (int i = 0; i < v.length; i++) v[i] = dt == DType.F32 ? (float) (rng.nextGaussian() + 0.3) : rng.nextGaussian() + 0.3;
        for (int l = 0; l < k; l++) for (int i = l; i < k; i++) u[l * k + i] = l == i ? 0.5 + rng.nextDouble() : 0.3 * rng.nextGaussian();
        Tensor tg = gpu.fromDoubles(dt, v), tc = CpuBackend.INSTANCE.fromDoubles(dt, v);
        String what = "applyUpperAndGram " + dt + " d=" + d + " k=" + k;
        double[] g = gpu.applyUpperAndGram(tg, u, d, k), gc = CpuBackend.INSTANCE.applyUpperAndGram(tc, u, d, k);
        double[] q = tg.toDoubles(), qc = tc.toDoubles();
        for (int i = 0; i < q.length; i++) {
            if (Double.doubleToRawLongBits(q[i]) != Double.doubleToRawLongBits(qc[i])) {
                throw new AssertionError(what + ": V U differs from the CPU backend's at " + i + ": " + q[i] + " vs " + qc[i]);
            }
        }
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) {
                double ref = 0, abs = 0;
                for (int r = 0; r < d; r++) {
                    double p = q[i * d + r] * q[j * d + r];
                    ref += p;
                    abs += Math.abs(p);
                }
                // the kernel's error (≤ 1.4e-13·Σ|p|, see the Gram) plus this plain row-order sum's (≤ d·u·Σ|p|)
                double tol = 1e-300 + (2e-12 + d * 0x1p-52) * abs;
                if (!(Math.abs(g[i * k + j] - ref) <= tol)) throw new AssertionError(what + ": G[" + i + "," + j + "] = " + g[i * k + j] + ", Σ " + ref);
                if (!(Math.abs(g[i * k + j] - gc[i * k + j]) <= tol)) throw new AssertionError(what + ": G[" + i + "," + j + "] = " + g[i * k + j] + ", CPU " + gc[i * k + j]);
            }
    }

    // ---- CholeskyQR ---------------------------------------------------------------------------------

    /** A TallQr that counts its calls: shows which Householder ran. */
    static final class Counting implements TallQr {
        final TallQr inner;
        int calls;

        Counting(TallQr inner) {
            this.inner = inner;
        }

        @Override
        public long d() {
            return inner.d();
        }

        @Override
        public int k() {
            return inner.k();
        }

        @Override
        public QrResult factor(Tensor v) {
            calls++;
            return inner.factor(v);
        }
    }

    static void choleskyQr2(CudaBackend gpu) {
        int d = 2003, k = 8;
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            double[] v = gaussian(d, k, 41, dt);
            Tensor tg = gpu.fromDoubles(dt, v), tc = CpuBackend.INSTANCE.fromDoubles(dt, v);
            QrResult rg = TallQr.create(QrMethod.CHOLESKY_QR2, gpu, dt, d, k, Double.NaN).factor(tg);
            QrResult rc = TallQr.create(QrMethod.CHOLESKY_QR2, CpuBackend.INSTANCE, dt, d, k, Double.NaN).factor(tc);
            String what = "CholeskyQR " + dt;
            if (rg.path() != QrPath.CHOLESKY_QR || rc.path() != QrPath.CHOLESKY_QR) {
                throw new AssertionError(what + ": took " + rg.path() + " (" + rg.fallbackReason() + "), CPU " + rc.path());
            }
            double[] q = tg.toDoubles();
            checkQr(what, dt, v, q, rg.r(), d, k);
            compare(what + " R vs CPU", dt, rg.r(), rc.r());
            compare(what + " Q vs CPU", dt, q, tc.toDoubles());
        }
        // F64 with κ ≈ 1e5: one pass loses ~u·κ² ≈ 1e-6 > the 1e-10 bound, the second pass repairs it.
        double[] v = gaussian(d, k, 45, DType.F64);
        for (int j = 1; j < k; j++) for (int r = 0; r < d; r++) v[j * d + r] = v[r] + 1e-5 * v[j * d + r];
        Tensor tg = gpu.fromDoubles(DType.F64, v), tc = CpuBackend.INSTANCE.fromDoubles(DType.F64, v);
        QrResult rg = TallQr.create(QrMethod.CHOLESKY_QR2, gpu, DType.F64, d, k, Double.NaN).factor(tg);
        QrResult rc = TallQr.create(QrMethod.CHOLESKY_QR2, CpuBackend.INSTANCE, DType.F64, d, k, Double.NaN).factor(tc);
        if (rg.path() != QrPath.CHOLESKY_QR2 || rc.path() != QrPath.CHOLESKY_QR2) {
            throw new AssertionError("two-pass CholeskyQR F64: took " + rg.path() + " (" + rg.fallbackReason() + "), CPU " + rc.path());
        }
        checkQr("two-pass CholeskyQR F64", DType.F64, v, tg.toDoubles(), rg.r(), d, k);
        compare("two-pass CholeskyQR F64 R vs CPU", DType.F64, rg.r(), rc.r());
    }

    static void fallback(CudaBackend gpu) {
        int d = 1500, k = 6;
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            // Columns 1.. are column 0 plus a tiny perturbation: κ(V) ~ 1/eps far beyond u^{-1/2}, so the
            // Gram of pass 1 is not numerically positive definite or pass 1 loses orthogonality.
            double eps = dt == DType.F32 ? 1e-9 : 1e-12;   // F32: below its resolution, V is rank-deficient to rounding
            double[] v = gaussian(d, k, 43, DType.F64);
            for (int j = 1; j < k; j++) for (int r = 0; r < d; r++) v[j * d + r] = v[r] + eps * v[j * d + r];
            if (dt == DType.F32) for (int i = 0; i < v.length; i++) v[i] = (float) v[i];
            Tensor tg = gpu.fromDoubles(dt, v), tc = CpuBackend.INSTANCE.fromDoubles(dt, v);
            Counting hh = new Counting(CudaLinalg.householder(gpu, d, k));
            QrResult rg = new CholeskyQr2(gpu, dt, d, k, CholeskyQr2.defaultBound(dt), hh).factor(tg);
            QrResult rc = TallQr.create(QrMethod.HOUSEHOLDER, CpuBackend.INSTANCE, dt, d, k, Double.NaN).factor(tc);
            String what = "fallback on ill-conditioned V " + dt;
            if (rg.path() != QrPath.HOUSEHOLDER_FALLBACK || hh.calls != 1) {
                throw new AssertionError(what + ": path " + rg.path() + ", cuSOLVER Householder ran " + hh.calls + " times");
            }
            double[] q = tg.toDoubles();
            checkQr(what, dt, v, q, rg.r(), d, k, dt == DType.F32 ? 1e-5 : 1e-12);
            // Householder is backward stable: R agrees with the host's to u·‖V‖, even its tiny trailing diagonal.
            compare(what + " R vs host Householder", dt, rg.r(), rc.r());

            // A final check that fails (bound far below rounding) re-orthonormalizes Q on the device and folds its R in.
            double[] w = gaussian(d, k, 47, dt);
            Tensor tw = gpu.fromDoubles(dt, w);
            Counting hh2 = new Counting(CudaLinalg.householder(gpu, d, k));
            QrResult rw = new CholeskyQr2(gpu, dt, d, k, 1e-300, hh2).factor(tw);
            if (rw.path() != QrPath.HOUSEHOLDER_FALLBACK || hh2.calls != 1 || rw.orthoError() <= 0) {
                throw new AssertionError(dt + " failed final check: path " + rw.path() + ", Householder calls " + hh2.calls);
            }
            checkQr(dt + " re-orthonormalized", dt, w, tw.toDoubles(), rw.r(), d, k, dt == DType.F32 ? 1e-5 : 1e-12);
            Tensor tcw = CpuBackend.INSTANCE.fromDoubles(dt, w);
            compare(dt + " re-orthonormalized R vs host Householder", dt, rw.r(),
                    TallQr.create(QrMethod.HOUSEHOLDER, CpuBackend.INSTANCE, dt, d, k, Double.NaN).factor(tcw).r());
        }
    }

    private static double[] gaussian(int d, int k, long seed, DType dt) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] v = new double[d * k];
        for (int i = 0; i < v.length; i++) v[i] = dt == DType.F32 ? (float) rng.nextGaussian() : rng.nextGaussian();
        return v;
    }

    /** QᵀQ = I (max entry), R upper triangular with R_jj ≥ 0, QR = V relative to max|V|. */
    static void checkQr(String what, DType dt, double[] v, double[] q, double[] r, int d, int k) {
        checkQr(what, dt, v, q, r, d, k, dt == DType.F32 ? 1e-6 : 1e-12);
    }

    /**
     * The same with the orthogonality bound {@code orth}: cuSOLVER's Sgeqrf/Sorgqr work in float32, so
     * their Q is orthogonal to ~√d·k·u_f32 (1e-5 here), not to the 1e-6 CholeskyQR2 reaches with
     * float64 Gram matrices.
     */
    static void checkQr(String what, DType dt, double[] v, double[] q, double[] r, int d, int k, double orth) {
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                double s = 0;
                for (int x = 0; x < d; x++) s += q[i * d + x] * q[j * d + x];
                if (!(Math.abs(s - (i == j ? 1 : 0)) <= orth)) throw new AssertionError(what + ": (QᵀQ)[" + i + "," + j + "] = " + s);
                if (i > j && r[i * k + j] != 0) throw new AssertionError(what + ": R not upper triangular at " + i + "," + j);
            }
            if (!(r[i * k + i] >= 0)) throw new AssertionError(what + ": R_" + i + i + " = " + r[i * k + i] + " < 0");
        }
        double vmax = 0;
        for (double x : v) vmax = Math.max(vmax, Math.abs(x));
        double tol = (dt == DType.F32 ? 1e-5 : 1e-12) * vmax;
        for (int j = 0; j < k; j++)
            for (int x = 0; x < d; x++) {
                double s = 0;
                for (int i = 0; i <= j; i++) s += q[i * d + x] * r[i * k + j];
                if (!(Math.abs(s - v[j * d + x]) <= tol)) throw new AssertionError(what + ": (QR)[" + x + "," + j + "] = " + s + " vs V " + v[j * d + x]);
            }
    }

    /** |a − b| ≤ atol·max|b| + rtol·|b| elementwise. */
    static void compare(String what, DType dt, double[] a, double[] b) {
        double scale = 0;
        for (double x : b) scale = Math.max(scale, Math.abs(x));
        double tol = dt == DType.F32 ? 2e-5 : 1e-10;
        for (int i = 0; i < a.length; i++) {
            if (!(Math.abs(a[i] - b[i]) <= tol * scale + tol * Math.abs(b[i]))) throw new AssertionError(what + ": [" + i + "] " + a[i] + " vs " + b[i]);
        }
    }
}
