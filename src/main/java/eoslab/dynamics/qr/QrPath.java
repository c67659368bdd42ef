package eoslab.dynamics.qr;

/** Which algorithm produced a {@link QrResult}. */
public enum QrPath {
    /** Householder in float64 on the host, asked for directly. */
    HOUSEHOLDER,
    /** One CholeskyQR pass with a float64 Gram passed the orthogonality check. */
    CHOLESKY_QR,
    /** The first pass did not, a second one (CholeskyQR2) did. */
    CHOLESKY_QR2,
    /** CholeskyQR was tried and rejected (see {@link QrResult#fallbackReason()}); Householder ran instead. */
    HOUSEHOLDER_FALLBACK
}
