package eoslab.backend;

/**
 * Pointwise activations with their first and second derivatives: the scalar reference that the
 * CPU backend vectorizes and every device kernel is checked against. σ'' is what the R-op of the
 * backward pass needs (Pearlmutter 1994).
 */
public enum Act {
    /** max(0, x); σ'(0) = 0 as in PyTorch; σ'' = 0 almost everywhere. */
    RELU {
        public double f(double x) { return x > 0 ? x : 0; }
        public double df(double x) { return x > 0 ? 1 : 0; }
        public double d2f(double x) { return 0; }
    },
    TANH {
        public double f(double x) { return Math.tanh(x); }
        public double df(double x) { double t = Math.tanh(x); return 1 - t * t; }
        public double d2f(double x) { double t = Math.tanh(x); return -2 * t * (1 - t * t); }
    },
    /**
     * GELU, tanh approximation as in GPT-2 ("gelu_new"; PyTorch {@code approximate='tanh'}):
     * ½x(1 + tanh(u)), u = √(2/π)(x + 0.044715x³).
     */
    GELU {
        public double f(double x) {
            return 0.5 * x * (1 + Math.tanh(u(x)));
        }
        public double df(double x) {
            double t = Math.tanh(u(x));
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du(x);
        }
        public double d2f(double x) {
            double t = Math.tanh(u(x));
            double s = 1 - t * t;           // sech²u
            double up = du(x);
            double upp = K * 6 * A * x;     // u''
            return s * up + 0.5 * x * (-2 * t * s * up * up + s * upp);
        }
    },
    IDENTITY {
        public double f(double x) { return x; }
        public double df(double x) { return 1; }
        public double d2f(double x) { return 0; }
    };

    static final double K = Math.sqrt(2 / Math.PI);
    static final double A = 0.044715;

    static double u(double x) {
        return K * (x + A * x * x * x);
    }

    static double du(double x) {
        return K * (1 + 3 * A * x * x);
    }

    public abstract double f(double x);

    public abstract double df(double x);

    public abstract double d2f(double x);

    public static Act parse(String s) {
        return switch (s.toLowerCase()) {
            case "relu" -> RELU;
            case "tanh" -> TANH;
            case "gelu" -> GELU;
            case "identity", "linear", "none" -> IDENTITY;
            default -> throw new IllegalArgumentException("unknown activation '" + s + "' (use relu, tanh or gelu)");
        };
    }
}
