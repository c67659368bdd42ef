package eoslab.nn;

import eoslab.backend.Backend;
import eoslab.tensor.Tensor;

import java.util.List;

/**
 * A layer maps activations (N, in) to (N, out) with parameters w, a window of the model's flat
 * parameter vector. Each layer implements four passes side by side:
 * <ul>
 *   <li>{@code forward}: y = f(x; w)</li>
 *   <li>{@code backward}: dx = J_xᵀ dy and dw += J_wᵀ dy</li>
 *   <li>{@code rForward}: Ry = J_x Rx + J_w v (the tangent of y along direction v; Pearlmutter's R-op)</li>
 *   <li>{@code rBackward}: the tangent of the backward pass, R{dx} and R{dw} += …</li>
 * </ul>
 * Forward-over-reverse Hessian-vector products chain these (Pearlmutter 1994): the R-passes take
 * k directions at once and share the primal activations. Directions and their outputs are k
 * vectors of the model's full length: the layer's window in direction j starts {@code j * stride}
 * elements after {@code v} (resp. {@code rdw}).
 *
 * <p>Layers hold no per-batch state: whatever backward needs is passed back in (x and y).
 */
public interface Layer {
    int inSize();

    int outSize();

    int numParams();

    /** Named parameters with offsets relative to this layer's window (PyTorch names: weight, bias). */
    List<ParamSpec> params();

    /** Fill this layer's window {@code w[offset, offset + numParams)} with initial values. */
    void init(double[] w, int offset, Init init);

    /** y = f(x; w). x (n, in), y (n, out). */
    void forward(Backend be, Tensor w, Tensor x, Tensor y, int n);

    /** dx = J_xᵀ dy (skipped when dx is null), dw += J_wᵀ dy (skipped when dw is null). dy (n, out), dx (n, in). */
    void backward(Backend be, Tensor w, Tensor x, Tensor y, Tensor dy, Tensor dx, Tensor dw, int n);

    /**
     * Ry_j = J_x Rx_j + J_w v_j for j &lt; k. Rx (k, n, in) is null when x does not depend on w
     * (the first layer); Ry (k, n, out).
     */
    void rForward(Backend be, Tensor w, Tensor x, Tensor y, Tensor v, long stride, Tensor rx, Tensor ry, int n, int k);

    /**
     * Tangent of the backward pass along v_j: R{dx}_j (skipped when rdx is null) and
     * R{dw}_j += …, given R{dy}_j (k, n, out) and the forward tangents Rx (null for the first layer).
     */
    void rBackward(Backend be, Tensor w, Tensor x, Tensor y, Tensor dy, Tensor v, long stride,
                   Tensor rx, Tensor rdy, Tensor rdx, Tensor rdw, int n, int k);
}
