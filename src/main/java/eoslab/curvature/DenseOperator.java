package eoslab.curvature;

import eoslab.backend.Backend;
import eoslab.linalg.DenseMatrix;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * A {@link LinearOperator} over a dense symmetric matrix held on a backend, applied with one GEMM
 * per call. It is the test double for every curvature solver (a quadratic loss's Hessian), and the
 * operator of a small model's explicitly assembled Hessian.
 */
public final class DenseOperator implements LinearOperator {
    private final Backend backend;
    private final DType dtype;
    private final int n;
    private final Tensor a; // (n, n) row-major, symmetric
    private long applied;   // vectors applied so far, for tests that count HVPs

    /** Uploads {@code (A + A^T)/2} converted to {@code dtype}. */
    public DenseOperator(Backend backend, DType dtype, DenseMatrix a) {
        if (a.rows != a.cols) throw new IllegalArgumentException("DenseOperator: matrix is " + a.rows + "x" + a.cols + ", not square");
        if (dtype != DType.F32 && dtype != DType.F64) throw new IllegalArgumentException("DenseOperator: dtype must be F32 or F64, got " + dtype);
        this.backend = backend;
        this.dtype = dtype;
        this.n = a.rows;
        this.a = backend.fromDoubles(dtype, a.symmetrized().a);
    }

    @Override
    public long dim() {
        return n;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    /** out (k, n) = v (k, n) A, which is (A v_j)^T row by row since A is symmetric. */
    @Override
    public void apply(Tensor v, Tensor out, int k) {
        long need = (long) k * n;
        if (v.size < need || out.size < need) {
            throw new IllegalArgumentException("DenseOperator.apply: " + k + " vectors of length " + n + " need " + need
                    + " elements, got v " + v.size + " and out " + out.size);
        }
        if (v.dtype != dtype || out.dtype != dtype) {
            throw new IllegalArgumentException("DenseOperator.apply: operator is " + dtype + ", got v " + v.dtype + " and out " + out.dtype);
        }
        backend.gemm(false, false, k, n, n, 1.0, v, n, a, n, 0.0, out, n);
        applied += k;
    }

    /** Number of vectors this operator has been applied to. */
    public long applications() {
        return applied;
    }
}
