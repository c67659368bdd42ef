package eoslab.dynamics;

import eoslab.backend.Backend;
import eoslab.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Pullback attractor A(ω) of a random map (SPEC §4; Crauel &amp; Flandoli 1994): N initial conditions
 * started at time −T and driven by the same noise to time 0, i.e. the cloud
 * {@code φ(T, θ^{−T} ω, x_n)}. As T grows it converges to A(ω), a fixed set for the fixed ω (a forward
 * ensemble, by contrast, keeps moving). Time 0 is the noise index {@code tEnd}: the copies step
 * with t = tEnd − T, …, tEnd − 1, so every horizon ends on the same noise; if the map's noise is
 * only defined for t ≥ 0, take tEnd ≥ max T.
 *
 * <p>Each horizon is a fresh run from the same initial conditions (cost Σ T; geometric horizons cost
 * ≤ 2 T_max). Reported per horizon:
 * <ul>
 *   <li>diameter = max pairwise Euclidean distance in the cloud;</li>
 *   <li>spread = mean Euclidean distance to the cloud's centroid (less sensitive to one straggler);</li>
 *   <li>drift = mean distance between each member's endpoint and its endpoint at the previous
 *       horizon (NaN for the first): → 0 is the pullback convergence itself.</li>
 * </ul>
 * Distances use the backend's float64-accumulated dot, so this is generic over RandomMap.
 */
public final class PullbackAttractor {
    private PullbackAttractor() {
    }

    /**
     * @param horizon number of steps T (the cloud started at −T)
     * @param diameter max pairwise distance
     * @param spread   mean distance to the centroid
     * @param drift    mean member-wise distance to the previous horizon's cloud (NaN for the first)
     */
    public record Point(long horizon, double diameter, double spread, double drift) {
    }

    /**
     * @param points     one per horizon, in the order given
     * @param finalCloud the N states at time 0 for the last horizon, (N) tensors of size dim
     */
    public record Result(List<Point> points, List<Tensor> finalCloud) {
    }

    /**
     * Runs the N {@code initial} states (not modified) to time {@code tEnd} from each of the
     * {@code horizons} (strictly increasing, ≥ 0).
     */
    public static Result run(RandomMap map, List<Tensor> initial, long tEnd, long... horizons) {
        if (initial.size() < 2) throw new IllegalArgumentException("pullback: need at least 2 initial conditions, got " + initial.size());
        if (horizons.length == 0) throw new IllegalArgumentException("pullback: need at least one horizon T");
        for (int i = 0; i < horizons.length; i++) {
            if (horizons[i] < 0 || (i > 0 && horizons[i] <= horizons[i - 1])) {
                throw new IllegalArgumentException("pullback: horizons must be >= 0 and strictly increasing, got " + Arrays.toString(horizons));
            }
        }
        for (Tensor x : initial) {
            if (x.size != map.dim()) throw new IllegalArgumentException("pullback: initial state has " + x.size + " elements, the map has dimension " + map.dim());
        }
        Backend be = map.backend();
        int n = initial.size();
        List<Point> points = new ArrayList<>();
        List<Tensor> prev = null;
        for (long T : horizons) {
            List<Tensor> cloud = new ArrayList<>(n);
            for (Tensor x0 : initial) {
                Tensor x = be.zeros(map.dtype(), map.dim());
                be.copy(x0, x);
                for (long s = 0; s < T; s++) map.step(tEnd - T + s, x, null, 0);
                cloud.add(x);
            }
            double drift = Double.NaN;
            if (prev != null) {
                double sum = 0;
                for (int i = 0; i < n; i++) sum += distance(be, cloud.get(i), prev.get(i));
                drift = sum / n;
            }
            points.add(new Point(T, diameter(be, cloud), spread(be, cloud), drift));
            prev = cloud;
        }
        return new Result(List.copyOf(points), List.copyOf(prev));
    }

    /** Max pairwise Euclidean distance, O(N² dim). */
    public static double diameter(Backend be, List<Tensor> cloud) {
        double m = 0;
        for (int i = 0; i < cloud.size(); i++)
            for (int j = 0; j < i; j++) m = Math.max(m, distance(be, cloud.get(i), cloud.get(j)));
        return m;
    }

    /** Mean Euclidean distance to the centroid. */
    public static double spread(Backend be, List<Tensor> cloud) {
        Tensor c = be.zeros(cloud.getFirst().dtype, cloud.getFirst().size);
        for (Tensor x : cloud) be.axpby(1.0 / cloud.size(), x, 1.0, c);
        double s = 0;
        for (Tensor x : cloud) s += distance(be, x, c);
        return s / cloud.size();
    }

    static double distance(Backend be, Tensor a, Tensor b) {
        Tensor t = be.zeros(a.dtype, a.size);
        be.copy(a, t);
        be.axpby(-1.0, b, 1.0, t);
        return Math.sqrt(be.dot(t, t));
    }
}
