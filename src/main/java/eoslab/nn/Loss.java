package eoslab.nn;

import eoslab.backend.Backend;
import eoslab.tensor.Tensor;

/**
 * A loss on the network outputs, with its gradient and the gradient's tangent (R-op). Conventions
 * (SPEC §2), with the mean taken by the caller through {@code scale = 1/n}:
 * <ul>
 *   <li>MSE: ℓ_i = ½‖f(x_i) − y_i‖², y_i one-hot for classification; L = (1/n) Σ ℓ_i.</li>
 *   <li>CE: ℓ_i = −log softmax(f(x_i))_{y_i}; L = (1/n) Σ ℓ_i.</li>
 * </ul>
 */
public enum Loss {
    MSE {
        @Override
        public double forwardBackward(Backend be, Tensor out, Batch b, int n, int c, double scale, Tensor dout, Tensor cache, Tensor rowLoss) {
            if (b.targets() == null) throw new IllegalStateException("MSE needs targets");
            return be.mse(out, b.targets(), n, c, scale, dout, rowLoss);
        }

        /** R{dout} = scale · R{out}: the Hessian of ½‖f − y‖² in f is the identity. */
        @Override
        public void rBackward(Backend be, Tensor cache, Tensor rout, int n, int c, int k, double scale, Tensor rdout) {
            long len = (long) k * n * c;
            be.axpby(scale, rout.view(0, len), 0, rdout.view(0, len));
        }
    },
    CE {
        @Override
        public double forwardBackward(Backend be, Tensor out, Batch b, int n, int c, double scale, Tensor dout, Tensor cache, Tensor rowLoss) {
            if (b.labels() == null) throw new IllegalStateException("CE needs labels");
            return be.softmaxCrossEntropy(out, b.labels(), n, c, scale, cache, dout, rowLoss);
        }

        /** R{dz} = scale · (diag(p) − p pᵀ) Rz, the softmax Hessian applied to the logit tangents. */
        @Override
        public void rBackward(Backend be, Tensor cache, Tensor rout, int n, int c, int k, double scale, Tensor rdout) {
            be.softmaxCrossEntropyR(cache, rout, n, c, k, scale, rdout);
        }
    };

    /**
     * Returns {@code scale · Σ_i ℓ_i} over the n rows of out (n, c); writes dout = scale ∂/∂out,
     * fills cache (n, c) with what {@link #rBackward} needs, and each ℓ_i into rowLoss when given.
     */
    public abstract double forwardBackward(Backend be, Tensor out, Batch b, int n, int c, double scale,
                                           Tensor dout, Tensor cache, Tensor rowLoss);

    /** R{dout}_j for the k tangent blocks R{out}_j (k, n, c). */
    public abstract void rBackward(Backend be, Tensor cache, Tensor rout, int n, int c, int k, double scale, Tensor rdout);

    public static Loss parse(String s) {
        return switch (s.toLowerCase()) {
            case "mse" -> MSE;
            case "ce", "xent", "cross-entropy", "crossentropy" -> CE;
            default -> throw new IllegalArgumentException("unknown loss '" + s + "' (use mse or ce)");
        };
    }
}
