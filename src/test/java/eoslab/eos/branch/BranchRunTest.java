package eoslab.eos.branch;

import eoslab.backend.CpuBackend;
import eoslab.data.DataOptions;
import eoslab.data.Datasets;
import eoslab.data.Split;
import eoslab.eos.PrototypeOptions;
import eoslab.eos.Prototypes;
import eoslab.io.SafetensorsReader;
import eoslab.optim.Optimizer;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The fork is a bit-exact continuation of the baseline, and t* / t** are detected on the grid. */
class BranchRunTest {
    /**
     * A tiny setting that enters EoS mid-run: ReLU MLP 8-16-16-2 on two Gaussian clusters (n = 64),
     * GD η = 0.5 (threshold 4): λ_1 crosses 4 at step 16 and then hovers around 4.3–4.8.
     */
    static BranchConfig tiny(double c) {
        return new BranchConfig("test", "gaussian:k=2,dim=8,sep=3", new int[0], 64, 32, 0, new int[]{16, 16}, 1.0, "mse", "gd", 0.5, 0.9, 0,
                60, 4, c, new long[]{0}, new PrototypeOptions(2, 5, 3.0, false, 0), 1, 12, 1e-6, "f32", 4096, null);
    }

    record Setup(BranchRun run, Prototypes.Built built) {
    }

    static Setup setup(BranchConfig cfg) {
        Split sp = Datasets.load(cfg.data(), new DataOptions(null, cfg.n(), cfg.nTest(), null, cfg.dataSeed()));
        Prototypes.Built b = Prototypes.build(sp.train(), cfg.prototypes());
        return new Setup(new BranchRun(cfg, CpuBackend.INSTANCE, b.train(), sp.test(), b.set()), b);
    }

    @Test
    void forkStateIsTheBaselineStateAtTStarAndCEqualsOneReproducesTheBaseline(@TempDir Path tmp) throws Exception {
        BranchConfig cfg = tiny(1.0);
        Setup s = setup(cfg);
        BranchRun.Outcome o = s.run().run(0, tmp, null);
        assertEquals(16L, o.tStar(), "λ_1 first ≥ 2/η = 4 on the grid at step 16 in this setting");

        // 1. the checkpoint holds, bit for bit, the state a fresh baseline has after t* steps
        Optimizer opt = s.run().optimizer(cfg.lr(), 0);
        Tensor x = opt.initialState(s.run().model().init(0, cfg.initScale()));
        for (long t = 0; t < o.tStar(); t++) opt.step(t, x, null, 0);
        float[] ref = x.toFloats();
        try (SafetensorsReader r = SafetensorsReader.open(tmp.resolve(BranchRun.FORK))) {
            assertEquals(Long.toString(o.tStar()), r.metadata().get("eoslab.step"));
            float[] saved = r.floats("eoslab.optimizer.state", ref.length);
            for (int i = 0; i < ref.length; i++) {
                assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(saved[i]), "state element " + i + " at t*");
            }
        }

        // 2. with c = 1 the exit branch's lines equal the baseline's, every field but the branch name
        List<String> base = Files.readAllLines(tmp.resolve(BranchRun.BASELINE)), exit = Files.readAllLines(tmp.resolve(BranchRun.EXIT));
        assertEquals(base.size(), exit.size(), "both branches log on the same grid");
        assertEquals(16, base.size(), "steps 0, 4, …, 60");
        for (int i = 0; i < base.size(); i++) {
            String e = exit.get(i).replace("\"branch\":\"exit\"", "\"branch\":\"baseline\"");
            if (o.baseline().get(i).step() < o.tStar()) e = e.replace("\"shared\":true", "\"shared\":false");
            assertEquals(base.get(i), e, "grid line " + i + " (step " + o.baseline().get(i).step() + ")");
        }
        assertTrue(exit.get(3).contains("\"shared\":true") && exit.get(4).contains("\"shared\":false"), "the prefix before t* = 16 is marked shared");
    }

    @Test
    void halvedLearningRateBranchesAtTStarAndFindsItsOwnThreshold(@TempDir Path tmp) throws Exception {
        BranchConfig cfg = tiny(0.5);
        BranchRun.Outcome o = setup(cfg).run().run(0, tmp, null);
        assertEquals(16L, o.tStar());
        GridRecord b = BranchSummary.at(o.baseline(), 16), e = BranchSummary.at(o.exit(), 16);
        // at t* nothing has happened yet on the exit branch: same weights, same diagnostics
        assertFalse(e.shared());
        assertEquals(0.25, e.lr());
        assertEquals(8.0, e.threshold(), 1e-12, "exit threshold 2/(cη)");
        assertEquals(b.etaT(), e.etaT(), "both branches on the baseline's η·t axis");
        for (String m : GridRecord.GROUP_METRICS) assertArrayEquals(b.group(m), e.group(m), m + " at t*");
        assertEquals(b.lambda1(), e.lambda1());
        // afterwards the branches differ
        assertNotEquals(BranchSummary.at(o.baseline(), 20).trainLoss(), BranchSummary.at(o.exit(), 20).trainLoss());
        // t** is the first own exit line at or above 2/(cη), or null
        Long expect = null;
        for (GridRecord r : o.exit()) if (!r.shared() && r.lambda1() >= 8.0) {
            expect = r.step();
            break;
        }
        assertEquals(expect, o.tStarStar());
        // and the files reload to the same outcome
        List<GridRecord> reread = GridRecord.readAll(tmp.resolve(BranchRun.EXIT));
        assertEquals(o.exit().size(), reread.size());
        assertEquals(o.exit().getLast().toMap(), reread.getLast().toMap());
    }

    @Test
    void tStarIsTheFirstLoggedStepAtOrAboveTheThreshold() {
        long[] steps = {0, 32, 64, 96, 128};
        assertEquals(64L, BranchRun.firstAtOrAbove(steps, new double[]{1, 150, 200, 180, 210}, 200), "equality counts (λ_1 ≥ 2/η)");
        assertEquals(96L, BranchRun.firstAtOrAbove(steps, new double[]{1, 150, 199.999, 200.5, 150}, 200), "the first crossing, later dips ignored");
        assertEquals(0L, BranchRun.firstAtOrAbove(steps, new double[]{250, 1, 1, 1, 1}, 200), "already above at initialisation");
        assertNull(BranchRun.firstAtOrAbove(steps, new double[]{1, 2, 3, 4, 199.9}, 200), "never reached");
        assertNull(BranchRun.firstAtOrAbove(steps, new double[]{Double.NaN, 1, 1, 1, 1}, 200), "NaN never counts");
        assertThrows(IllegalArgumentException.class, () -> BranchRun.firstAtOrAbove(new long[]{0, 32, 32}, new double[]{1, 2, 3}, 2));
        assertThrows(IllegalArgumentException.class, () -> BranchRun.firstAtOrAbove(new long[]{0, 32}, new double[]{1}, 2));
    }

    @Test
    void recordsRoundTripThroughJson() {
        GridRecord r = new GridRecord(32, 0.32, "exit", false, 0.005, 400, 0.1, 0.9, Double.NaN, Double.NaN, 201.5, 1e-5, 0.3, -2, 5, 1e-3,
                new double[]{1, 2, 3, 4}, new double[]{5, 6, 7, 8}, new double[]{-1, 0, 1, 2}, new double[]{0.1, 0.2, 0.3, 0.4},
                new double[]{1, 0, 1, 4}, new double[]{-3, 3, 0, 1}, new double[]{9, 8, 7, 6});
        Map<String, Object> m = r.toMap();
        GridRecord back = GridRecord.fromJson(eoslab.io.Json.parse("test", eoslab.io.Json.line(m)), "test");
        assertEquals(m, back.toMap());
        assertTrue(Double.isNaN(back.testLoss()), "NaN survives as the string \"NaN\"");
    }
}
