package eoslab.backend.cuda;

import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import java.util.SplittableRandom;

/**
 * Checks of {@link CudaLinalg} by its defining identities, computed on the host in float64:
 * QR: QᵀQ = I, QR = V, R upper triangular, |R_ii| equal to modified Gram–Schmidt's;
 * eigh: ascending λ, A v_i = λ_i v_i, orthonormal v_i, Σλ = tr A, only the upper triangle of the
 * row-major input read. Tolerances atol + rtol·|ref|: F64 1e-10 + 1e-10·|ref|, F32 2e-4 + 2e-4·|ref|.
 * Shared by CudaLinalgTest (GPU) and EmulatorMain (host emulator).
 */
final class LinalgChecks {
    private LinalgChecks() {
    }

    static void run(CudaBackend gpu) {
        try (CudaLinalg la = CudaLinalg.open(gpu)) {
            for (DType dt : new DType[] {DType.F64, DType.F32}) {
                qr(gpu, la, dt);
                eigh(gpu, la, dt);
            }
        }
    }

    private static double tol(DType dt, double ref) {
        return dt == DType.F64 ? 1e-10 + 1e-10 * Math.abs(ref) : 2e-4 + 2e-4 * Math.abs(ref);
    }

    private static void near(String what, DType dt, double got, double want) {
        if (!(Math.abs(got - want) <= tol(dt, want))) throw new AssertionError(what + " " + dt + ": " + got + " vs " + want);
    }

    static void qr(CudaBackend gpu, CudaLinalg la, DType dt) {
        int k = 5, d = 200;
        SplittableRandom r = new SplittableRandom(11);
        double[] v = new double[k * d];
        for (int i = 0; i < v.length; i++) v[i] = r.nextDouble(-1, 1);
        if (dt == DType.F32) for (int i = 0; i < v.length; i++) v[i] = (float) v[i];
        Tensor t = gpu.fromDoubles(dt, v);
        double[] R = la.qr(t, k, d);
        double[] q = t.toDoubles();
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                double s = 0;
                for (int x = 0; x < d; x++) s += q[i * d + x] * q[j * d + x];
                near("QᵀQ[" + i + "," + j + "]", dt, s, i == j ? 1 : 0);
                if (i > j && R[i * k + j] != 0) throw new AssertionError("R not upper triangular at " + i + "," + j);
            }
        }
        for (int j = 0; j < k; j++) {
            for (int x = 0; x < d; x++) {
                double s = 0;
                for (int i = 0; i <= j; i++) s += q[i * d + x] * R[i * k + j];
                near("(QR)[" + x + "," + j + "]", dt, s, v[j * d + x]);
            }
        }
        // |R_ii| from modified Gram–Schmidt in float64 on the host
        double[] w = v.clone();
        for (int j = 0; j < k; j++) {
            double nrm = 0;
            for (int x = 0; x < d; x++) nrm += w[j * d + x] * w[j * d + x];
            nrm = Math.sqrt(nrm);
            near("|R_" + j + j + "|", dt, Math.abs(R[j * k + j]), nrm);
            for (int x = 0; x < d; x++) w[j * d + x] /= nrm;
            for (int l = j + 1; l < k; l++) {
                double s = 0;
                for (int x = 0; x < d; x++) s += w[j * d + x] * w[l * d + x];
                for (int x = 0; x < d; x++) w[l * d + x] -= s * w[j * d + x];
            }
        }
    }

    static void eigh(CudaBackend gpu, CudaLinalg la, DType dt) {
        int n = 20;
        SplittableRandom r = new SplittableRandom(12);
        double[] a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++) {
                double x = dt == DType.F32 ? (float) r.nextDouble(-1, 1) : r.nextDouble(-1, 1);
                a[i * n + j] = x;
                a[j * n + i] = x;
            }
        double[] in = a.clone();
        for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) in[i * n + j] = Double.NaN;   // only j >= i is read
        Tensor ta = gpu.fromDoubles(dt, in), tw = gpu.zeros(dt, n);
        la.eigh(ta, n, tw, true);
        double[] lam = tw.toDoubles(), vec = ta.toDoubles();
        double trace = 0, sum = 0;
        for (int i = 0; i < n; i++) { trace += a[i * n + i]; sum += lam[i]; }
        near("Σλ vs trace", dt, sum, trace);
        for (int i = 0; i + 1 < n; i++) if (lam[i] > lam[i + 1]) throw new AssertionError("eigenvalues not ascending " + dt);
        for (int e = 0; e < n; e++) {
            for (int i = 0; i < n; i++) {
                double av = 0;
                for (int j = 0; j < n; j++) av += a[i * n + j] * vec[e * n + j];
                near("(Av-λv)[" + e + "][" + i + "]", dt, av, lam[e] * vec[e * n + i]);
            }
            for (int f = 0; f < n; f++) {
                double s = 0;
                for (int j = 0; j < n; j++) s += vec[e * n + j] * vec[f * n + j];
                near("vᵀv[" + e + "," + f + "]", dt, s, e == f ? 1 : 0);
            }
        }
    }
}
