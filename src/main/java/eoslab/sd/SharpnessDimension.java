package eoslab.sd;

import java.util.Arrays;
import java.util.Comparator;

/**
 * The sharpness dimension of Tuci et al. (2026), Defs. 4.1–4.2 (SPEC §3), computed from a spectrum
 * of log singular values given as weighted atoms (z_r, m_r):
 * <pre>
 *   sort z descending;  j* = the largest prefix whose weighted sum Σ m_r z_r is still ≥ 0
 *   SD = (mass of that prefix) + (Σ_{prefix} m_r z_r) / |z_next|,   capped by the next atom's mass
 *   SD = 0 if z_1 &lt; 0;   SD = total mass if the whole spectrum sums to ≥ 0
 * </pre>
 * With unit masses this is exactly the definition, SD = j* + Σ_{i≤j*} λ_i / |λ_{j*+1}|; with
 * masses N/M on M quantiles it is SD-PS; with histogram or kernel-density bins it is SD-SLQ and
 * SD-KDE. The fractional term is where the partial determinant ‖Dφ‖_{SD} would reach 1.
 */
public final class SharpnessDimension {
    private SharpnessDimension() {
    }

    /** Result: the dimension, the integer part j* (as a mass), and the sorted spectrum. */
    public record Result(double sd, double jStar, double prefixSum, double[] z, double[] mass) {
    }

    /** SD of unit-mass exponents λ_1..λ_d (any order). */
    public static Result ofExponents(double[] lambda) {
        double[] m = new double[lambda.length];
        Arrays.fill(m, 1.0);
        return ofAtoms(lambda, m);
    }

    /** SD of weighted atoms (z_r, m_r), m_r ≥ 0 (SPEC §3 for the SD-PS, SD-SLQ and SD-KDE forms). */
    public static Result ofAtoms(double[] z, double[] mass) {
        if (z.length != mass.length) throw new IllegalArgumentException("z and mass differ in length: " + z.length + " vs " + mass.length);
        Integer[] order = new Integer[z.length];
        for (int i = 0; i < z.length; i++) {
            if (Double.isNaN(z[i])) throw new IllegalArgumentException("exponent " + i + " is NaN");
            if (!(mass[i] >= 0)) throw new IllegalArgumentException("mass " + i + " is negative or NaN: " + mass[i]);
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -z[i]));
        double[] zs = new double[z.length], ms = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            zs[i] = z[order[i]];
            ms[i] = mass[order[i]];
        }
        double total = Arrays.stream(ms).sum();
        // first atom with positive mass decides "λ_1 < 0"
        int first = 0;
        while (first < zs.length && ms[first] == 0) first++;
        if (first == zs.length || zs[first] < 0) return new Result(0, 0, 0, zs, ms);
        double sum = 0, j = 0;
        for (int r = 0; r < zs.length; r++) {
            double next = sum + ms[r] * zs[r];
            if (next < 0) {
                // part of atom r brings the sum to zero: x·|z_r| = sum, x ≤ m_r
                double frac = Math.min(ms[r], sum / Math.abs(zs[r]));
                return new Result(j + frac, j, sum, zs, ms);
            }
            sum = next;
            j += ms[r];
        }
        return new Result(total, total, sum, zs, ms);
    }

    /** Kaplan–Yorke-style log singular value of I − ηH along an eigenvalue α: ln(|1 − ηα| + ε). */
    public static double logSigma(double alpha, double eta, double eps) {
        return Math.log(Math.abs(1 - eta * alpha) + eps);
    }
}
