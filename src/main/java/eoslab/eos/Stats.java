package eoslab.eos;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Rank statistics for the natural-outlier analysis (Kwag et al. 2026, §4.3 and App. E: Spearman ρ
 * between centroid distance ‖x_i − μ_{y_i}‖ and per-example cos²(∇ℓ_i, v_1) over training).
 */
public final class Stats {
    private Stats() {
    }

    /**
     * Ranks 1..n of {@code a}; tied values share the average of the ranks they span (the
     * "fractional ranking" Spearman's ρ needs so that it stays the Pearson correlation of ranks).
     * NaN is rejected: it has no place in an ordering.
     */
    public static double[] ranks(double[] a) {
        int n = a.length;
        for (int i = 0; i < n; i++) if (Double.isNaN(a[i])) throw new IllegalArgumentException("ranks: value " + i + " is NaN");
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> a[i]));
        double[] r = new double[n];
        for (int s = 0; s < n; ) {
            int e = s;
            while (e + 1 < n && a[order[e + 1]] == a[order[s]]) e++;
            double avg = 0.5 * (s + e) + 1.0; // mean of the 1-based ranks s+1 .. e+1
            for (int t = s; t <= e; t++) r[order[t]] = avg;
            s = e + 1;
        }
        return r;
    }

    /** Pearson correlation in float64 (two-pass: means first). NaN when either array is constant. */
    public static double pearson(double[] a, double[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("correlation: arrays of length " + a.length + " and " + b.length);
        if (a.length < 2) throw new IllegalArgumentException("correlation: needs at least 2 pairs, got " + a.length);
        int n = a.length;
        double ma = 0, mb = 0;
        for (int i = 0; i < n; i++) {
            ma += a[i];
            mb += b[i];
        }
        ma /= n;
        mb /= n;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++) {
            double da = a[i] - ma, db = b[i] - mb;
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }
        if (saa == 0 || sbb == 0) return Double.NaN; // undefined for a constant variable
        return sab / Math.sqrt(saa * sbb);
    }

    /**
     * Spearman's rank correlation ρ: the Pearson correlation of the average ranks, which is the
     * textbook definition with ties (the shortcut 1 − 6Σd²/(n(n²−1)) is exact only without ties).
     * NaN when either array is constant.
     */
    public static double spearman(double[] a, double[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("Spearman: arrays of length " + a.length + " and " + b.length);
        return pearson(ranks(a), ranks(b));
    }

    /**
     * The q-quantile with linear interpolation between order statistics (numpy's default, "type 7"):
     * position h = (n − 1)·q in the sorted values. For the medians and interquartile ranges over seeds
     * the paper's figures show (§3.1: "medians across 5 seeds … interquartile range").
     */
    public static double quantile(double[] a, double q) {
        if (a.length == 0) throw new IllegalArgumentException("quantile of an empty array");
        if (!(q >= 0 && q <= 1)) throw new IllegalArgumentException("quantile level must be in [0, 1], got " + q);
        double[] s = a.clone();
        for (double v : s) if (Double.isNaN(v)) throw new IllegalArgumentException("quantile: NaN in the data");
        Arrays.sort(s);
        double h = (s.length - 1) * q;
        int lo = (int) Math.floor(h), hi = Math.min(lo + 1, s.length - 1);
        return s[lo] + (h - lo) * (s[hi] - s[lo]);
    }

    /** The median, {@link #quantile}(a, 0.5). */
    public static double median(double[] a) {
        return quantile(a, 0.5);
    }
}
