package eoslab.backend;

import eoslab.util.Parallel;

/**
 * CPU GEMM, row-major, strided batched. Each element of C is computed by one task in a fixed
 * order of k, so results do not depend on the thread count.
 *
 * <p>This is the straightforward version: it normalises op(A) and op(B) into row-major copies and
 * runs a row-times-matrix loop the JIT vectorizes.
 */
final class CpuGemm {
    private CpuGemm() {
    }

    static void sgemm(boolean ta, boolean tb, int m, int n, int k, float alpha,
                      float[] a, int ao, int lda, int sa, float[] b, int bo, int ldb, int sb,
                      float beta, float[] c, int co, int ldc, int sc, int batch) {
        for (int bt = 0; bt < batch; bt++) {
            float[] A = rowMajor(a, ao + bt * sa, lda, m, k, ta);
            float[] B = rowMajor(b, bo + bt * sb, ldb, k, n, tb);
            int cb = co + bt * sc;
            Parallel.forEach(Parallel.blocks(m, 16), blk -> {
                int i0 = blk * 16, i1 = Math.min(m, i0 + 16);
                float[] acc = new float[n];
                for (int i = i0; i < i1; i++) {
                    java.util.Arrays.fill(acc, 0f);
                    for (int p = 0; p < k; p++) {
                        float av = A[i * k + p];
                        int bp = p * n;
                        for (int j = 0; j < n; j++) acc[j] += av * B[bp + j];
                    }
                    int ci = cb + i * ldc;
                    if (beta == 0f) for (int j = 0; j < n; j++) c[ci + j] = alpha * acc[j];
                    else for (int j = 0; j < n; j++) c[ci + j] = alpha * acc[j] + beta * c[ci + j];
                }
            });
        }
    }

    static void dgemm(boolean ta, boolean tb, int m, int n, int k, double alpha,
                      double[] a, int ao, int lda, int sa, double[] b, int bo, int ldb, int sb,
                      double beta, double[] c, int co, int ldc, int sc, int batch) {
        for (int bt = 0; bt < batch; bt++) {
            double[] A = rowMajor(a, ao + bt * sa, lda, m, k, ta);
            double[] B = rowMajor(b, bo + bt * sb, ldb, k, n, tb);
            int cb = co + bt * sc;
            Parallel.forEach(Parallel.blocks(m, 16), blk -> {
                int i0 = blk * 16, i1 = Math.min(m, i0 + 16);
                double[] acc = new double[n];
                for (int i = i0; i < i1; i++) {
                    java.util.Arrays.fill(acc, 0);
                    for (int p = 0; p < k; p++) {
                        double av = A[i * k + p];
                        int bp = p * n;
                        for (int j = 0; j < n; j++) acc[j] += av * B[bp + j];
                    }
                    int ci = cb + i * ldc;
                    if (beta == 0) for (int j = 0; j < n; j++) c[ci + j] = alpha * acc[j];
                    else for (int j = 0; j < n; j++) c[ci + j] = alpha * acc[j] + beta * c[ci + j];
                }
            });
        }
    }

    /** op(X) as a dense row-major (rows, cols) array; X stored with leading dimension ld. */
    private static float[] rowMajor(float[] x, int xo, int ld, int rows, int cols, boolean trans) {
        float[] out = new float[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                out[i * cols + j] = trans ? x[xo + j * ld + i] : x[xo + i * ld + j];
        return out;
    }

    private static double[] rowMajor(double[] x, int xo, int ld, int rows, int cols, boolean trans) {
        double[] out = new double[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                out[i * cols + j] = trans ? x[xo + j * ld + i] : x[xo + i * ld + j];
        return out;
    }
}
