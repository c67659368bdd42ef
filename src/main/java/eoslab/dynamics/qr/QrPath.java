package eoslab.dynamics.qr;

/** Which algorithm produced a {@link QrResult}. */
public enum QrPath {
    /** Householder in float64 on the host, asked for directly. */
    HOUSEHOLDER,
    /** CholeskyQR2 with float64 Gram matrices passed its orthogonality check. */
    CHOLESKY_QR2,
    /** CholeskyQR2 was tried and rejected (see {@link QrResult#fallbackReason()}); Householder ran instead. */
    HOUSEHOLDER_FALLBACK
}
