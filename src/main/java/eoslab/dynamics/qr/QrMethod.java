package eoslab.dynamics.qr;

/** The QR a caller asks for; see {@link TallQr#create}. */
public enum QrMethod {
    /** Householder in float64 on the host: the reference, always orthogonal, one host round trip. */
    HOUSEHOLDER,
    /** CholeskyQR on the backend with float64 Gram matrices, a second pass (CholeskyQR2) when the first
     *  fails its orthogonality check, guarded, falling back to Householder ({@link CholeskyQr2}). */
    CHOLESKY_QR2;

    /** The name {@code --qr} takes and the outputs report (config.json, lyapunov.json). */
    public String label() {
        return this == HOUSEHOLDER ? "householder" : "cholqr2";
    }

    public static QrMethod parse(String s) {
        return switch (s.toLowerCase().replace('-', '_')) {
            case "householder", "hh" -> HOUSEHOLDER;
            case "choleskyqr2", "cholesky_qr2", "cholqr2" -> CHOLESKY_QR2;
            default -> throw new IllegalArgumentException("unknown QR method '" + s + "' (use householder or cholqr2)");
        };
    }
}
