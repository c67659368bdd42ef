package eoslab.dynamics.qr;

import eoslab.backend.Backend;
import eoslab.backend.cuda.CudaBackend;
import eoslab.backend.cuda.CudaLinalg;
import eoslab.backend.cuda.Cusolver;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * Thin QR of a tall (d, k) matrix V held as k contiguous vectors of length d (column-major (d, k),
 * equivalently row-major (k, d)): the layout of the tangent vectors of a {@code RandomMap}.
 * {@link #factor} overwrites V with Q and returns R.
 */
public interface TallQr {
    long d();

    int k();

    /** {@code V = Q R}; V is overwritten by Q (same dtype), R is returned in float64. */
    QrResult factor(Tensor v);

    /**
     * The QR to use for k vectors of length d of this dtype. {@code orthoBound} is the
     * {@code ‖QᵀQ − I‖_F} above which CholeskyQR2 falls back; NaN picks
     * {@link CholeskyQr2#defaultBound(DType)}.
     */
    static TallQr create(QrMethod method, Backend backend, DType dtype, long d, int k, double orthoBound) {
        return switch (method) {
            case HOUSEHOLDER -> new HouseholderQr(backend, d, k);
            case CHOLESKY_QR2 -> new CholeskyQr2(backend, dtype, d, k,
                    Double.isNaN(orthoBound) ? CholeskyQr2.defaultBound(dtype) : orthoBound, deviceHouseholder(backend, d, k));
        };
    }

    /**
     * The Householder QR that keeps V on {@code backend}'s device (cuSOLVER on a CUDA backend, issue
     * #5), or null where the host {@link HouseholderQr} is the one (CPU, no libcusolver, or more than
     * cuSOLVER's 2^31 elements).
     */
    static TallQr deviceHouseholder(Backend backend, long d, int k) {
        if (backend instanceof CudaBackend gpu && Cusolver.loaded() && CudaLinalg.fits(d, k)) return CudaLinalg.householder(gpu, d, k);
        return null;
    }

    /** Shape checks shared by the implementations. */
    static void checkShape(Tensor v, long d, int k) {
        if (v.size != d * k) {
            throw new IllegalArgumentException("QR expects k=" + k + " vectors of length d=" + d + " (" + d * k
                    + " elements), got a tensor of " + v.size);
        }
        if (v.dtype != DType.F32 && v.dtype != DType.F64) throw new IllegalArgumentException("QR needs F32 or F64 vectors, got " + v.dtype);
    }
}
