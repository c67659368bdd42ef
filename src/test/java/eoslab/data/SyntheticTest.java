package eoslab.data;

import org.junit.jupiter.api.Test;

import static eoslab.data.IdxTest.userError;
import static org.junit.jupiter.api.Assertions.*;

/** Synthetic generators: the statistics they promise, within bounds justified by n. */
class SyntheticTest {

    @Test
    void gaussianCentersAreEquidistant() {
        var s = new Synthetic.GaussianSpec(4, 6, 3.0, 1.0);
        double[] mu = Synthetic.gaussianCenters(s, 11);
        for (int a = 0; a < 4; a++) {
            double na = 0;
            for (int j = 0; j < 6; j++) na += mu[a * 6 + j] * mu[a * 6 + j];
            assertEquals(3.0 / Math.sqrt(2), Math.sqrt(na), 1e-12);
            for (int b = 0; b < a; b++) {
                double d2 = 0;
                for (int j = 0; j < 6; j++) d2 += Math.pow(mu[a * 6 + j] - mu[b * 6 + j], 2);
                assertEquals(3.0, Math.sqrt(d2), 1e-12, "pairwise distance = separation");
            }
        }
    }

    /**
     * k = 3, dim = 10, noise σ = 1.5, n_c = 2000 per class. The class mean m_c − μ_c ~ N(0, σ²/n_c I),
     * so ‖m_c − μ_c‖ ≈ σ·χ_dim/√n_c, and P(χ_dim > √dim + t) ≤ exp(−t²/2): t = 5 gives the bound
     * σ(√dim + 5)/√n_c ≈ 0.27 at odds < 4e-6. Pooled within-class variance over N = 60,000 values has
     * relative sd √(2/N) = 0.0058; bound 6 sd.
     */
    @Test
    void gaussianClassMeansAndSpread() {
        int k = 3, d = 10, nc = 2000;
        double sigma = 1.5;
        Split s = Datasets.load("gaussian:k=3,dim=10,sep=4,noise=1.5", DataOptions.defaults().withSizes(k * nc, 300).withSeed(3));
        Dataset tr = s.train();
        assertEquals(Normalization.NONE_0_1, s.normalization(), "synthetic default is raw");
        double[] mu = Synthetic.gaussianCenters(new Synthetic.GaussianSpec(k, d, 4, sigma), 3);
        double[] mean = new double[k * d];
        int[] cnt = new int[k];
        for (int i = 0; i < tr.n(); i++) {
            cnt[tr.y()[i]]++;
            for (int j = 0; j < d; j++) mean[tr.y()[i] * d + j] += tr.x()[i * d + j];
        }
        assertArrayEquals(new int[]{nc, nc, nc}, cnt, "exactly balanced");
        double ss = 0;
        for (int c = 0; c < k; c++) {
            double err2 = 0;
            for (int j = 0; j < d; j++) {
                mean[c * d + j] /= nc;
                err2 += Math.pow(mean[c * d + j] - mu[c * d + j], 2);
            }
            assertTrue(Math.sqrt(err2) < sigma * (Math.sqrt(d) + 5) / Math.sqrt(nc), "class " + c + " mean off by " + Math.sqrt(err2));
        }
        for (int i = 0; i < tr.n(); i++) for (int j = 0; j < d; j++) ss += Math.pow(tr.x()[i * d + j] - mean[tr.y()[i] * d + j], 2);
        double var = ss / (tr.n() * d - k * d);
        assertEquals(sigma * sigma, var, 6 * Math.sqrt(2.0 / (tr.n() * d)) * sigma * sigma);
    }

    @Test
    void gaussianDeterminismAndStreams() {
        DataOptions o = DataOptions.defaults().withSizes(50, 50).withSeed(8);
        Split a = Datasets.load("gaussian", o), b = Datasets.load("gaussian", o), c = Datasets.load("gaussian", o.withSeed(9));
        assertArrayEquals(a.train().x(), b.train().x());
        assertArrayEquals(a.train().y(), b.train().y());
        assertFalse(java.util.Arrays.equals(a.train().x(), c.train().x()));
        assertFalse(java.util.Arrays.equals(a.train().x(), a.test().x()), "train and test are different draws");
        Split bigger = Datasets.load("gaussian", o.withSizes(80, 50));
        assertArrayEquals(a.test().x(), bigger.test().x(), "test set does not depend on n_train");
    }

    /**
     * Targets are t = f*(x) + σε; f* recomputed here from the teacher's weights independently of
     * Synthetic.Teacher.apply. Residual over N = n·out values: mean bound 6σ/√N, variance σ² with
     * relative sd √(2/N), bound 6 sd. Inputs: N(0, 1), same style of bounds.
     */
    @Test
    void teacherTargetsAreTeacherPlusNoise() {
        for (int hidden : new int[]{0, 16}) {
            int d = 8, o = 2, n = 5000;
            double sigma = 0.3;
            Split s = Datasets.load("teacher:dim=8,out=2,hidden=" + hidden + ",noise=0.3", DataOptions.defaults().withSizes(n, 100).withSeed(4));
            Dataset tr = s.train();
            assertTrue(tr.isRegression());
            assertEquals(o, tr.outputs());
            assertSame(tr.targets(), tr.mseTargets());
            Synthetic.Teacher t = Synthetic.teacher(new Synthetic.TeacherSpec(d, o, hidden, sigma), 4);
            double rs = 0, rs2 = 0, xs = 0, xs2 = 0;
            for (int i = 0; i < n; i++) {
                double[] a = new double[Math.max(hidden, 1)];
                for (int u = 0; u < hidden; u++) {
                    double z = 0;
                    for (int j = 0; j < d; j++) z += t.w1()[u * d + j] * tr.x()[i * d + j];
                    a[u] = Math.tanh(z);
                }
                for (int q = 0; q < o; q++) {
                    double f = 0;
                    if (hidden == 0) for (int j = 0; j < d; j++) f += t.w1()[q * d + j] * tr.x()[i * d + j];
                    else for (int u = 0; u < hidden; u++) f += t.w2()[q * hidden + u] * a[u];
                    double r = tr.targets()[i * o + q] - f;
                    rs += r;
                    rs2 += r * r;
                }
                for (int j = 0; j < d; j++) {
                    xs += tr.x()[i * d + j];
                    xs2 += tr.x()[i * d + j] * tr.x()[i * d + j];
                }
            }
            int nr = n * o, nx = n * d;
            assertEquals(0, rs / nr, 6 * sigma / Math.sqrt(nr));
            assertEquals(sigma * sigma, rs2 / nr, 6 * Math.sqrt(2.0 / nr) * sigma * sigma + 1e-6);
            assertEquals(0, xs / nx, 6 / Math.sqrt(nx));
            assertEquals(1, xs2 / nx, 6 * Math.sqrt(2.0 / nx));
        }
    }

    @Test
    void nonsenseParameters() {
        DataOptions o = DataOptions.defaults();
        assertTrue(userError(() -> Datasets.load("gaussian:k=5,dim=3", o)).contains("dim >= k"));
        assertTrue(userError(() -> Datasets.load("gaussian:k=1", o)).contains("at least 2"));
        assertTrue(userError(() -> Datasets.load("gaussian:sep=-1", o)).contains("sep"));
        assertTrue(userError(() -> Datasets.load("gaussian:noise=NaN", o)).contains("noise"));
        assertTrue(userError(() -> Datasets.load("gaussian:k=2.5", o)).contains("whole number"));
        assertTrue(userError(() -> Datasets.load("gaussian:width=3", o)).contains("unknown parameter 'width'"));
        assertTrue(userError(() -> Datasets.load("gaussian:k", o)).contains("key=value"));
        assertTrue(userError(() -> Datasets.load("gaussian:k=two", o)).contains("not a number"));
        assertTrue(userError(() -> Datasets.load("gaussian", o.withClasses(0, 1))).contains("--classes"));
        assertTrue(userError(() -> Datasets.load("teacher:hidden=-1", o)).contains("hidden"));
        assertTrue(userError(() -> Datasets.load("teacher:out=0", o)).contains("out"));
    }
}
