package eoslab.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.dynamics.LyapunovConfig;
import eoslab.dynamics.LyapunovSpectrum;
import eoslab.dynamics.LyapunovTracker;
import eoslab.gpt.Gpt2;
import eoslab.gpt.GptConfig;
import eoslab.gpt.GptObjective;
import eoslab.gpt.TextBatches;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The pieces of {@code eoslab bench gpt2} that carry math or could bias a timing: the SGD map's
 * tangent (its Jacobian, by central differences in float64), that the tracker's profiling and its
 * run from a given Q_0 change no number, and that the (f) breakdown is made of the tracker's own phases.
 */
class Gpt2BenchTest {
    static final Backend BE = CpuBackend.INSTANCE;
    static final GptConfig MICRO = new GptConfig(11, 6, 1, 2, 8);

    static GptObjective objective() {
        Random r = new Random(1);
        int[] stream = new int[100];
        for (int i = 0; i < stream.length; i++) stream[i] = r.nextInt(11);
        return new GptObjective(BE, DType.F64, new Gpt2(MICRO), new TextBatches(stream, 2, 5, 3));
    }

    static double[] step(Gpt2Bench.SgdMap map, long t, double[] w) {
        Tensor x = BE.fromDoubles(DType.F64, w);
        map.step(t, x, null, 0);
        return x.toDoubles();
    }

    /** (φ(w + hδ) − φ(w − hδ)) / 2h for the direction stored at dirs[off, off + d). */
    static double[] central(Gpt2Bench.SgdMap map, long t, double[] w, double[] dirs, int off, double h) {
        double[] wp = w.clone(), wm = w.clone();
        for (int i = 0; i < w.length; i++) {
            wp[i] += h * dirs[off + i];
            wm[i] -= h * dirs[off + i];
        }
        double[] fp = step(map, t, wp), fm = step(map, t, wm), out = new double[w.length];
        for (int i = 0; i < w.length; i++) out[i] = (fp[i] - fm[i]) / (2 * h);
        return out;
    }

    /** δw' = δw − η H δw is the Jacobian of w' = w − η ∇L_{B_t}(w): central differences, h = 1e-5, float64. */
    @Test
    void sgdTangentIsTheJacobianOfTheStep() {
        GptObjective f = objective();
        int d = (int) f.dim(), k = 2;
        long t = 4;
        Gpt2Bench.SgdMap map = new Gpt2Bench.SgdMap(f, 0.5);
        double[] w = f.model().init(2, 1.0);
        Random r = new Random(3);
        double[] dirs = new double[k * d];
        for (int i = 0; i < dirs.length; i++) dirs[i] = r.nextGaussian();
        Tensor x = BE.fromDoubles(DType.F64, w), tg = BE.fromDoubles(DType.F64, dirs);
        map.step(t, x, tg, k);
        assertArrayEquals(step(map, t, w), x.toDoubles(), 0, "stepping with tangents gives the same state");
        double[] jv = tg.toDoubles();
        for (int j = 0; j < k; j++) {
            // Richardson-extrapolated central differences, (4 D(h/2) − D(h))/3 with h = 1e-4 (δ has norm ~√d, so h·|δ| ~ 3e-3): O(h⁴) truncation
            double[] d1 = central(map, t, w, dirs, j * d, 1e-4), d2 = central(map, t, w, dirs, j * d, 0.5e-4);
            for (int i = 0; i < d; i++) {
                double fd = (4 * d2[i] - d1[i]) / 3, got = jv[j * d + i];
                // atol 1e-8 + rtol 1e-6: the remaining truncation and float64 rounding; a wrong tangent
                // (missing η, sign, directions mixed up) is off by O(η|Hδ|) ~ 0.1
                assertTrue(Math.abs(fd - got) <= 1e-8 + 1e-6 * Math.abs(fd), "J δ_" + j + "[" + i + "]: FD " + fd + " vs tangent " + got);
            }
            // and it is not the identity: η H δ is a visible change (a test that cannot fail otherwise)
            double moved = 0;
            for (int i = 0; i < d; i++) moved = Math.max(moved, Math.abs(jv[j * d + i] - dirs[j * d + i]));
            assertTrue(moved > 1e-4, "tangent moved by " + moved);
        }
    }

    /** Profiling only adds syncs and clock reads; a given Q_0 equal to the seeded one gives the same run. */
    @Test
    void profilingAndAGivenQ0ChangeNoNumber() {
        GptObjective f = objective();
        LyapunovConfig cfg = new LyapunovConfig(3, 4, 2, 1, 2, 0L, 1.0, 0L, 0L, eoslab.dynamics.qr.QrMethod.CHOLESKY_QR2, Double.NaN);
        double[] w0 = f.model().init(2, 1.0);
        LyapunovSpectrum plain = new LyapunovTracker(new Gpt2Bench.SgdMap(f, 0.5), cfg).run(BE.fromDoubles(DType.F64, w0));

        Gpt2Bench.SgdMap map = new Gpt2Bench.SgdMap(f, 0.5);
        LyapunovTracker tr = new LyapunovTracker(map, cfg).profiled();
        LyapunovSpectrum prof = tr.run(BE.fromDoubles(DType.F64, w0));
        assertArrayEquals(plain.exponents(), prof.exponents(), 0);
        LyapunovTracker.Profile p = tr.lastProfile();
        assertEquals(6, p.stepSeconds().length);
        assertEquals(6, p.qrSeconds().length);
        double sum = 0;
        for (int i = 0; i < 6; i++) {
            assertTrue(p.stepSeconds()[i] > 0 && p.qrSeconds()[i] > 0, "phase " + i);
            sum += p.stepSeconds()[i] + p.qrSeconds()[i];
        }
        assertTrue(p.totalSeconds() >= sum, "total " + p.totalSeconds() + " < phases " + sum);

        Tensor q0 = LyapunovTracker.randomOrthonormal(BE, map, map.dim(), 3, cfg.seed());
        LyapunovSpectrum given = new LyapunovTracker(new Gpt2Bench.SgdMap(f, 0.5), cfg).run(BE.fromDoubles(DType.F64, w0), q0, null);
        assertArrayEquals(plain.exponents(), given.exponents(), 0);
        assertTrue(Math.abs(plain.exponents()[0]) > 0, "a nonzero exponent: " + plain.exponents()[0]);
        assertEquals(null, new LyapunovTracker(map, cfg).lastProfile(), "no profile unless asked");
    }

    /** (f) per sample: tracker step = map step + QR + rest, and the map step = loss evaluation + update. */
    @Test
    void lyapunovBreakdownIsMadeOfTheTrackersPhases() {
        Gpt2Bench.Setup s = new Gpt2Bench.Setup(new GptConfig(16, 8, 1, 2, 8), 2, 8, DType.F32, 0, 1, 3);
        Gpt2Bench.Problem p = Gpt2Bench.Problem.of(BE, s, Gpt2Bench.randomTokens(s));
        for (Gpt2Bench.MapKind kind : Gpt2Bench.MapKind.values()) {
            Gpt2Bench.LyapunovResult r = Gpt2Bench.lyapunov(p, s, kind, 4, 1e-3);
            assertEquals(kind == Gpt2Bench.MapKind.ADAMW ? 3 * p.loss().dim() : p.loss().dim(), r.stateDim());
            assertEquals(3, r.step().n());
            assertTrue(r.hvp().median() > 0 && r.qr().median() > 0 && r.update().median() >= 0 && r.rest().median() >= 0, kind + ": " + r);
            assertTrue(r.step().median() >= r.hvp().median(), kind + ": step " + r.step() + " < evaluation " + r.hvp());
            assertEquals(4, r.lambda().length);
        }
    }

    @Test
    void settingsAreValidated() {
        GptConfig tiny = GptConfig.tiny();
        assertThrows(IllegalArgumentException.class, () -> new Gpt2Bench.Setup(tiny, 1, 17, DType.F32, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Gpt2Bench.Setup(tiny, 0, 16, DType.F32, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Gpt2Bench.Setup(tiny, 1, 16, DType.I32, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Gpt2Bench.Setup(tiny, 1, 16, DType.F32, 0, 0, 0));
        assertEquals(2.5, Gpt2Bench.median(new double[] {4, 1, 3, 2}));
    }

    /** Q_0's raw block: k distinct random vectors in [-1, 1). */
    @Test
    void tiledBlockHoldsDistinctRandomVectors() {
        Tensor v = Gpt2Bench.tiledBlock(BE, DType.F64, 10, 3, 1);
        double[] x = v.toDoubles();
        assertEquals(30, x.length);
        assertTrue(x[0] != x[10] && x[10] != x[20], "vectors differ");
        for (double e : x) assertTrue(e >= -1 && e < 1);
    }

    /** The same-model fixture: its F32 weights and batch, loaded back into eoslab's model, give the stored float64 loss. */
    @Test
    void checkFixtureReloadsToItsOwnLoss(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Gpt2Bench.Setup s = new Gpt2Bench.Setup(new GptConfig(16, 8, 1, 2, 8), 2, 8, DType.F32, 3, 0, 1);
        java.nio.file.Path file = dir.resolve("check.safetensors");
        double loss = Gpt2Bench.writeCheck(file, s);
        try (var r = eoslab.io.SafetensorsReader.open(file)) {
            Gpt2 m = new Gpt2(s.model());
            double[] w = new double[m.numParams()];
            for (var p : m.params()) {
                float[] a = r.floats(p.name());
                for (int i = 0; i < a.length; i++) w[(int) p.offset() + i] = a[i];
            }
            int[] x = r.ints("check.x", 2, 8), y = r.ints("check.y", 2, 8);
            var b = new eoslab.nn.Batch(BE.fromInts(x), BE.fromInts(y), null, 2);
            double again = m.lossGradHvp(BE, BE.fromDoubles(DType.F64, w), b, eoslab.nn.Loss.CE, 0.5, null, null, 0, null, null, null);
            assertEquals(loss, r.doubles("check.loss")[0], 0);
            assertEquals(loss, again, 1e-14 * Math.abs(loss), "reloaded weights and batch give the stored loss");
            assertEquals(m.numParams(), r.doubles("check.grad").length);
            assertEquals(String.join(",", m.params().stream().map(p -> p.name()).toList()), r.metadata().get("order"));
        }
    }
}
