package eoslab.eos.branch;

import eoslab.backend.CpuBackend;
import eoslab.data.Dataset;
import eoslab.eos.NaturalOutliers;
import eoslab.eos.Stats;
import eoslab.io.Json;
import eoslab.nn.HessianOperator;
import eoslab.nn.Objective;
import eoslab.optim.Optimizer;
import eoslab.tensor.Tensor;
import eoslab.train.SharpnessTracker;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

/** --natural-outliers: Spearman ρ(centroid distance, cos²(∇ℓ_i, v_1)) over the untracked rows on the baseline grid. */
class BranchNaturalTest {
    @Test
    void naturalJsonlMatchesAnIndependentComputationAndTheFigureIsWritten(@TempDir Path tmp) throws Exception {
        BranchConfig cfg = BranchRunTest.tiny(0.5).withNaturalEvery(3); // grid every 4 → ρ at steps 0, 12, 24, 36, 48 and the last, 60
        Path out = tmp.resolve("exp");
        BranchExperiment.run(cfg, CpuBackend.INSTANCE, out, new PrintStream(OutputStream.nullOutputStream()));
        Path f = BranchExperiment.seedDir(out, 0).resolve(BranchRun.NATURAL);
        List<String> lines = Files.readAllLines(f);
        assertEquals(List.of(0L, 12L, 24L, 36L, 48L, 60L), lines.stream().map(l -> Json.parse("t", l).get("step").asLong()).toList());
        for (String l : lines) {
            JsonNode n = Json.parse("t", l);
            double rho = n.get("spearman").asDouble();
            assertTrue(rho >= -1 && rho <= 1, "ρ in [-1, 1]: " + l);
            assertEquals(64 - 16, n.get("n").asInt(), "the 8m = 16 prototype rows are excluded");
            assertEquals(0.5 * n.get("step").asLong(), n.get("eta_t").asDouble(), 1e-12);
        }
        assertNotNull(ImageIO.read(out.resolve(BranchFigures.NATURAL).toFile()), "fig_natural_spearman.png is a readable PNG");

        // step 0, independently: the same Lanczos v_1 at the initial weights, per-example gradients one
        // row at a time (the reference path, not the batched MLP one) and centroid distances by hand
        BranchRunTest.Setup s = BranchRunTest.setup(cfg);
        Optimizer opt = s.run().optimizer(cfg.lr(), 0);
        Tensor w = opt.params(opt.initialState(s.run().model().init(0, cfg.initScale())));
        SharpnessTracker tr = s.run().tracker(0);
        tr.estimate(new HessianOperator(s.run().objective(), w, null), 0);
        Tensor v1 = tr.last().vector(0);
        Dataset train = s.built().train();
        boolean[] tracked = new boolean[train.n()];
        for (int r : s.built().set().tracked()) tracked[r] = true;
        int[] rows = IntStream.range(0, train.n()).filter(i -> !tracked[i]).toArray();
        Dataset nat = train.subset(rows, "natural");
        double[] cos2 = NaturalOutliers.perExampleByRows(new Objective(CpuBackend.INSTANCE, cfg.dtype(), s.run().model(), cfg.loss(), nat, 4096), w, v1).cos2();
        int d = nat.features();
        double[][] mu = new double[2][d];
        int[] cnt = new int[2];
        for (int i = 0; i < nat.n(); i++) {
            cnt[nat.y()[i]]++;
            for (int p = 0; p < d; p++) mu[nat.y()[i]][p] += nat.x()[i * d + p];
        }
        double[] dist = new double[nat.n()];
        for (int i = 0; i < nat.n(); i++) {
            double q = 0;
            for (int p = 0; p < d; p++) {
                double t = nat.x()[i * d + p] - mu[nat.y()[i]][p] / cnt[nat.y()[i]];
                q += t * t;
            }
            dist[i] = Math.sqrt(q);
        }
        double ref = Stats.spearman(dist, cos2), got = Json.parse("t", lines.getFirst()).get("spearman").asDouble();
        // the batched and the row-by-row f32 gradients differ by rounding only; unless two cos² are tied to
        // within rounding the ranks agree exactly, so atol 1e-9 + rtol 0 (ρ itself is a float64 of ranks)
        assertEquals(ref, got, 1e-9, "ρ at step 0");
    }

    @Test
    void offByDefaultWritesNoNaturalFile(@TempDir Path tmp) throws Exception {
        BranchRun.Outcome o = BranchRunTest.setup(BranchRunTest.tiny(0.5)).run().run(0, tmp, null);
        assertFalse(Files.exists(tmp.resolve(BranchRun.NATURAL)));
        assertFalse(BranchRunTest.tiny(0.5).toMap().containsKey("natural_outliers_every"), "config.json unchanged when off");
        assertNotNull(o.tStar());
    }
}
