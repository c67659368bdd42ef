package eoslab.eos.branch;

import com.fasterxml.jackson.databind.JsonNode;
import eoslab.backend.CpuBackend;
import eoslab.data.DataOptions;
import eoslab.data.Datasets;
import eoslab.data.Split;
import eoslab.eos.Centroids;
import eoslab.eos.Prototypes;
import eoslab.eos.Robustness;
import eoslab.io.Json;
import eoslab.optim.Optimizer;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** --robustness: §5.2's PGD accuracy and OOD loss for both branches at t** and at the end. */
class BranchRobustnessTest {
    @Test
    void robustnessJsonHoldsTheEvaluationsAtTStarStarAndTheEnd(@TempDir Path tmp) throws Exception {
        // c = 0.9: exit threshold 2/(0.45) ≈ 4.44, which the exit branch reaches some grid steps after t* = 16
        BranchConfig cfg = BranchRunTest.tiny(0.9).withRobustness(true);
        Path out = tmp.resolve("exp");
        BranchExperiment.Result res = BranchExperiment.run(cfg, CpuBackend.INSTANCE, out, new PrintStream(OutputStream.nullOutputStream()));
        BranchRun.Outcome o = res.outcomes().getFirst();
        assertEquals(16L, o.tStar());
        assertNotNull(o.tStarStar(), "this setting reaches 2/(cη) on the exit branch");
        assertTrue(o.tStarStar() > o.tStar(), "t** after t*, so the baseline at t** is a replay of several steps");

        JsonNode j = Json.readTree(BranchExperiment.seedDir(out, 0).resolve(BranchRun.ROBUSTNESS));
        assertEquals(o.tStarStar().longValue(), j.get("t_star_star").asLong());
        assertEquals(0.03, j.get("pgd").get("epsilon").asDouble());
        assertEquals(10, j.get("pgd").get("steps").asInt());
        assertEquals(0.0075, j.get("pgd").get("step_size").asDouble(), 1e-15);
        List<String> seen = new ArrayList<>();
        for (JsonNode e : j.get("evaluations")) {
            seen.add(e.get("branch").asText() + "@" + e.get("at").asText() + ":" + e.get("step").asLong());
            assertEquals(7, e.get("ood_loss").size(), "α_test ∈ {0, 1, 2, 3, 5, 7, 10}");
            double acc = e.get("pgd_accuracy").asDouble();
            assertTrue(acc >= 0 && acc <= 1);
        }
        long tss = o.tStarStar(), end = cfg.steps();
        assertEquals(List.of("baseline@t**:" + tss, "exit@t**:" + tss, "baseline@end:" + end, "exit@end:" + end), seen);

        // independently: the baseline after t** steps from the initialisation, attacked on the boundary test
        // points recomputed here from the unmodified training set; exact equality (same arithmetic, same rows)
        Split sp = Datasets.load(cfg.data(), new DataOptions(null, cfg.n(), cfg.nTest(), null, cfg.dataSeed()));
        Prototypes.Built b = Prototypes.build(sp.train(), cfg.prototypes());
        BranchRun run = new BranchRun(cfg.withRobustness(false), CpuBackend.INSTANCE, b.train(), sp.test(), b.set());
        Optimizer opt = run.optimizer(cfg.lr(), 0);
        Tensor x = opt.initialState(run.model().init(0, cfg.initScale()));
        for (long t = 0; t < tss; t++) opt.step(t, x, null, 0);
        int perClass = j.get("pgd").get("per_class").asInt();
        assertEquals(Math.min(25, Math.min(count(sp.test().y(), 0), count(sp.test().y(), 1))), perClass, "25 per class, or all of the smaller class");
        int[] rows = Prototypes.boundaryTestPoints(sp.train(), sp.test(), perClass, 50);
        Robustness.PgdResult ref = Robustness.pgdAccuracy(run.model(), opt.params(x), CpuBackend.INSTANCE, cfg.loss(), sp.test(), rows);
        JsonNode baseTss = j.get("evaluations").get(0);
        assertEquals(ref.accuracy(), baseTss.get("pgd_accuracy").asDouble(), 0.0);
        assertEquals(ref.adversarial().loss(), baseTss.get("pgd_loss").asDouble(), 0.0);
        int[] inl = Prototypes.testInliers(Centroids.of(sp.train()), sp.test(), perClass);
        Robustness.OodCurve c = Robustness.oodLoss(run.model(), opt.params(x), CpuBackend.INSTANCE, cfg.loss(), Centroids.of(sp.train()), sp.test(), inl,
                new double[]{0, 1, 2, 3, 5, 7, 10});
        for (int i = 0; i < 7; i++) assertEquals(c.loss()[i], baseTss.get("ood_loss").get(i).asDouble(), 0.0, "OOD loss at α_test index " + i);
        // α_test = 0 is the clean loss of the inliers; the loss grows as they move away (MSE, a far-out point is misfit)
        assertTrue(c.loss()[6] > c.loss()[0], "OOD loss at α_test = 10 above α_test = 0");

        // the report: figures and the summary block
        for (String f : new String[]{BranchRobustness.PGD_FIG, BranchRobustness.OOD_FIG}) assertNotNull(ImageIO.read(out.resolve(f).toFile()), f);
        String md = Files.readString(out.resolve(BranchExperiment.SUMMARY_MD));
        assertTrue(md.contains("## Robustness (§5.2"), md);
        assertTrue(md.contains("| exit | end | 60 |"), md);
    }

    private static int count(int[] y, int c) {
        int k = 0;
        for (int v : y) if (v == c) k++;
        return k;
    }

    @Test
    void offByDefaultWritesNoRobustnessFile(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("exp");
        BranchExperiment.run(BranchRunTest.tiny(0.5), CpuBackend.INSTANCE, out, new PrintStream(OutputStream.nullOutputStream()));
        assertFalse(Files.exists(BranchExperiment.seedDir(out, 0).resolve(BranchRun.ROBUSTNESS)));
        assertFalse(Files.exists(out.resolve(BranchRobustness.PGD_FIG)));
        assertFalse(Files.readString(out.resolve(BranchExperiment.SUMMARY_MD)).contains("Robustness"));
    }
}
