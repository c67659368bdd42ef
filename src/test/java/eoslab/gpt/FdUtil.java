package eoslab.gpt;

import java.util.Random;

final class FdUtil {
    private FdUtil() {
    }

    static double[] gaussian(int len, Random r) {
        double[] v = new double[len];
        for (int i = 0; i < len; i++) v[i] = r.nextGaussian();
        return v;
    }

    static double maxAbsDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
