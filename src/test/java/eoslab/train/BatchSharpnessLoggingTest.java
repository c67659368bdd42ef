package eoslab.train;

import com.fasterxml.jackson.databind.JsonNode;
import eoslab.backend.CpuBackend;
import eoslab.io.Json;
import eoslab.linalg.DenseMatrix;
import eoslab.optim.BatchSchedule;
import eoslab.sd.SdEstimators;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Batch sharpness logged during training (Andreyev &amp; Beneventano 2024): each logged value is the mean
 * of g_Bᵀ H_B g_B / ‖g_B‖² over its minibatches, checked against dense minibatch Hessians; logging it
 * leaves the trajectory untouched; each log step draws fresh minibatches of the run's size.
 */
class BatchSharpnessLoggingTest {
    static TrainConfig config(String optimizer, int batch, int bs) {
        // float64 so the dense reference agrees to rounding
        return new TrainConfig("gaussian:k=3,dim=5,sep=3", new int[0], 60, 20, null, "mlp", new int[]{6}, "tanh", true, 1.0,
                "mse", optimizer, 0.3, 0.9, 0, batch, 20, 7, 10, 1, 12, 1e-8, "f64", "cpu", 64, 0, bs);
    }

    static List<JsonNode> metrics(Path dir) throws Exception {
        return Files.readAllLines(dir.resolve(Trainer.METRICS)).stream().map(l -> {
            try {
                return Json.mapper().readTree(l);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }).toList();
    }

    /** g_Bᵀ H_B g_B / ‖g_B‖² from the dense Hessian of the minibatch loss (d HVPs against unit vectors). */
    static double rayleigh(Trainer tr, Tensor w, int[] rows) {
        double[] nd = quotient(tr, w, rows);
        return nd[0] / nd[1];
    }

    /** {g_Bᵀ H_B g_B, ‖g_B‖²} from the dense minibatch Hessian. */
    static double[] quotient(Trainer tr, Tensor w, int[] rows) {
        DenseMatrix h = SdEstimators.minibatchHessian(tr.train, w, rows, 8);
        Tensor g = CpuBackend.INSTANCE.zeros(DType.F64, tr.train.dim());
        tr.train.evaluate(w, rows, g, null, 0, null, null);
        double[] gv = g.toDoubles();
        double num = 0, den = 0;
        for (int i = 0; i < gv.length; i++) {
            double hi = 0;
            for (int j = 0; j < gv.length; j++) hi += h.get(i, j) * gv[j];
            num += gv[i] * hi;
            den += gv[i] * gv[i];
        }
        return new double[] {num, den};
    }

    @Test
    void loggedValueIsTheMeanRayleighQuotientOfDenseMinibatchHessians(@TempDir Path tmp) throws Exception {
        for (TrainConfig cfg : List.of(config("sgd", 12, 4), config("gd", 0, 3))) {
            Path dir = tmp.resolve(cfg.optimizer());
            Files.createDirectories(dir);
            Trainer tr = new Trainer(cfg, CpuBackend.INSTANCE, TrainerTest.QUIET);
            tr.run(tr.initial(), dir, null);
            List<JsonNode> ms = metrics(dir);
            assertEquals(3, ms.size(), "steps 0, 10, 20");
            // the final state is the checkpoint at step 20: recompute its batch sharpness densely
            Tensor w = tr.opt.params(tr.loadCheckpoint(dir.resolve(Trainer.CHECKPOINT)).x());
            BatchSchedule s = tr.batchSharpnessSchedule();
            long[] batches = tr.batchSharpnessBatches(20);
            assertEquals(cfg.batchSize() == 0 ? 1 : 4, batches.length, "full batch: the gradient's Rayleigh quotient, once");
            double[] q = new double[batches.length];
            double mean = 0, num = 0, den = 0;
            for (int i = 0; i < batches.length; i++) {
                double[] nd = quotient(tr, w, s.batch(batches[i]));
                q[i] = nd[0] / nd[1];
                mean += q[i] / batches.length;
                num += nd[0];
                den += nd[1];
            }
            double got = ms.get(2).get("batch_sharpness").asDouble();
            // float64 HVPs against a dense Hessian from the same HVPs: rounding only, atol 1e-12 + rtol 1e-9
            assertEquals(mean, got, 1e-12 + 1e-9 * Math.abs(mean), cfg.optimizer() + ": batch sharpness at step 20");
            assertEquals(num / den, ms.get(2).get("batch_sharpness_ratio").asDouble(), 1e-12 + 1e-9 * Math.abs(num / den),
                    cfg.optimizer() + ": the ratio-of-expectations form");
            if (batches.length > 1) {
                double var = 0;
                for (double v : q) var += (v - mean) * (v - mean);
                double se = Math.sqrt(var / (q.length - 1) / q.length);
                assertEquals(se, ms.get(2).get("batch_sharpness_se").asDouble(), 1e-12 + 1e-9 * se, "standard error of the mean");
            } else {
                assertTrue(ms.get(2).get("batch_sharpness_se").isNull() || ms.get(2).get("batch_sharpness_se").asText().equals("NaN"),
                        "one batch: no standard error");
            }
        }
    }

    @Test
    void loggingItLeavesTheTrajectoryAloneAndDrawsFreshBatchesOfTheRunsSize(@TempDir Path tmp) throws Exception {
        Path with = tmp.resolve("with"), without = tmp.resolve("without");
        Files.createDirectories(with);
        Files.createDirectories(without);
        Trainer a = new Trainer(config("sgd", 12, 4), CpuBackend.INSTANCE, TrainerTest.QUIET);
        Trainer b = new Trainer(config("sgd", 12, 0), CpuBackend.INSTANCE, TrainerTest.QUIET);
        a.run(a.initial(), with, null);
        b.run(b.initial(), without, null);
        List<JsonNode> ma = metrics(with), mb = metrics(without);
        for (int i = 0; i < ma.size(); i++) {
            assertEquals(mb.get(i).get("train_loss").asDouble(), ma.get(i).get("train_loss").asDouble(), 0.0, "same SGD trajectory");
            assertEquals(mb.get(i).get("lambda_max").asDouble(), ma.get(i).get("lambda_max").asDouble(), 0.0);
            assertFalse(mb.get(i).has("batch_sharpness"));
        }
        double[] wa = a.opt.params(a.loadCheckpoint(with.resolve(Trainer.CHECKPOINT)).x()).toDoubles();
        double[] wb = b.opt.params(b.loadCheckpoint(without.resolve(Trainer.CHECKPOINT)).x()).toDoubles();
        assertArrayEquals(wb, wa, 0.0, "final weights bit for bit");

        // minibatches of B = 12, distinct within a log step, different from one log step to the next,
        // and not the training batches of the same indices (a stream of their own)
        BatchSchedule s = a.batchSharpnessSchedule(), noise = new BatchSchedule(a.cfg.seed(), a.train.n(), 12);
        for (long i = 0; i < 100; i++) assertFalse(java.util.Arrays.equals(noise.batch(i), s.batch(i)), "batch " + i + " is the training batch");
        Set<String> seen = new HashSet<>();
        for (long t : new long[] {0, 10, 20}) {
            Set<Integer> rows = new HashSet<>();
            for (long i : a.batchSharpnessBatches(t)) {
                int[] r = s.batch(i);
                assertEquals(12, r.length);
                for (int x : r) rows.add(x);
                assertTrue(seen.add(java.util.Arrays.toString(r)), "a fresh batch at step " + t);
            }
            assertEquals(48, rows.size(), "the 4 batches of one log step are disjoint (one epoch holds 5)");
        }
    }

    @Test
    void theCheckpointAnalysisReportsThirtyTwoMinibatchesOfTheRunsSize(@TempDir Path tmp) throws Exception {
        TrainConfig cfg = config("sgd", 12, 0);
        Trainer tr = new Trainer(cfg, CpuBackend.INSTANCE, TrainerTest.QUIET);
        tr.run(tr.initial(), tmp, null);
        Trainer.State st = tr.loadCheckpoint(tmp.resolve(Trainer.CHECKPOINT));
        eoslab.sd.SdOptions so = eoslab.sd.SdOptions.defaults(eoslab.sd.SdOptions.Method.EXACT, 12, 3).withBatches(1);
        eoslab.sd.CheckpointAnalysis.Report rep = eoslab.sd.CheckpointAnalysis.analyze(tr, st,
                new eoslab.sd.CheckpointAnalysis.Options(List.of(so), null, false, 1e-6, 2, 1, 1, 0.01, 0.05, 5));
        Tensor w = tr.opt.params(st.x());
        BatchSchedule s = tr.batchSharpnessSchedule();
        double mean = 0;
        for (int i = 0; i < eoslab.sd.CheckpointAnalysis.BATCH_SHARPNESS_BATCHES; i++) mean += rayleigh(tr, w, s.batch(i)) / 32;
        assertEquals(mean, rep.batchSharpness(), 1e-12 + 1e-9 * Math.abs(mean), "mean over 32 dense minibatch Rayleigh quotients");
        assertEquals(32L, ((Number) rep.map().get("batch_sharpness_batches")).longValue());
    }

    @Test
    void runsFromBeforeTheFieldExistedResumeWithItOff() {
        TrainConfig cfg = config("sgd", 12, 4);
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>(cfg.toMap());
        assertEquals(4, m.remove("batch_sharpness"));
        TrainConfig old = TrainConfig.fromMap(m);
        assertEquals(0, old.batchSharpness());
        assertEquals(config("sgd", 12, 0), old, "everything else as saved");
    }
}
