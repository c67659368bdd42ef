package eoslab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import eoslab.backend.CpuBackend;
import eoslab.gpt.GptObjective;
import eoslab.gpt.GptSweep;
import eoslab.gpt.GptTrainer;
import eoslab.gpt.TextBatches;
import eoslab.io.Json;
import eoslab.linalg.SymmetricEigen;
import eoslab.sd.CheckpointAnalysis;
import eoslab.sd.SdEstimators;
import eoslab.sd.SdOptions;
import eoslab.sd.SharpnessDimension;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static eoslab.cli.CliErrorTest.oneLineError;
import static eoslab.cli.CliErrorTest.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code eoslab hessian} and {@code eoslab sd} on a GPT-2 checkpoint (a micro GPT, d = 1292, float64,
 * trained 2 steps of SGD with a cosine schedule so that η at the checkpoint, η_2 = 0.4, differs from
 * the peak 0.5): the top eigenvalues against dense Hessians of the same windows, the threshold at η_2,
 * and exact SD against the sweep's analysis of the same checkpoint and against SD computed here from
 * dense minibatch Hessians.
 */
class GptCurvatureCommandsTest {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
    /** η_t of the run below at t = 2: 0.1 + ½(1 + cos(π (2 − 1)/(4 − 1)))(0.5 − 0.1) = 0.4. */
    static final double ETA2 = 0.1 + 0.5 * (1 + Math.cos(Math.PI / 3)) * 0.4, WD = 0.01;

    static Path train(Path tmp) throws Exception {
        Path text = GptTrainCommandTest.corpus(tmp), out = tmp.resolve("run");
        CliErrorTest.Run r = run("train", "--model", "gpt-tiny", "--layers", "1", "--heads", "1", "--channels", "4", "--context", "4",
                "--data", "text:" + text, "--tokenizer", "bytes", "--batch-size", "2", "--optimizer", "sgd", "--lr", "0.5",
                "--lr-schedule", "cosine", "--warmup-steps", "1", "--decay-steps", "4", "--min-lr", "0.1",
                "--weight-decay", "" + WD, "--steps", "2", "--log-every", "1", "--val-batches", "1", "--dtype", "f64", "--seed", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        return out;
    }

    static JsonNode json(String... args) {
        CliErrorTest.Run r = run(args);
        assertEquals(0, r.code(), r.err());
        return Json.parse("stdout", r.out());
    }

    /** Eigenvalues, descending, of the dense Hessian (d, d) assembled from d exact HVPs. */
    static double[] denseEigenvalues(GptObjective f, Tensor w, long t) {
        return SymmetricEigen.eigenvalues(SdEstimators.dense(f.hessian(w, t), 128));
    }

    @Test
    void hessianTopEigenvaluesAreThoseOfTheDenseHessianOfTheSameWindows(@TempDir Path tmp) throws Exception {
        Path runDir = train(tmp);
        Path ck = runDir.resolve("checkpoint.safetensors");
        GptTrainer tr = new GptTrainer(GptTrainer.configOf(ck), CpuBackend.INSTANCE, QUIET);
        Tensor w = tr.opt.params(tr.loadCheckpoint(ck).x());
        assertEquals(1292, tr.model.numParams());

        JsonNode h = json("hessian", runDir.toString(), "--top-k", "3", "--tol", "1e-10", "--trace-probes", "4", "--batch-sharpness", "2", "--ggn");
        assertEquals(2, h.get("step").asLong());
        double[] ref = denseEigenvalues(tr.sharpnessBatch, w, 0);   // the run's fixed sharpness batch
        for (int i = 0; i < 3; i++) {
            double got = h.get("eigenvalues").get(i).asDouble();
            // Lanczos at residual 1e-10 in float64 against a dense eigensolver: atol 1e-9 + rtol 1e-8
            assertEquals(ref[i], got, 1e-9 + 1e-8 * Math.abs(ref[i]), "λ_" + (i + 1) + " of the fixed batch");
        }
        assertEquals(ETA2, h.get("lr").asDouble(), 1e-15, "η_t at the checkpoint's step, not the peak");
        assertEquals(2 / ETA2, h.get("threshold").asDouble(), 1e-12, "2/η_t");
        assertEquals(ref[0] / (2 / ETA2), h.get("lambda_max_over_threshold").asDouble(), 1e-8 * Math.abs(ref[0]));
        assertEquals(2 / ETA2, h.get("batch_sharpness").get("threshold").asDouble(), 1e-12);
        assertTrue(Double.isFinite(h.get("batch_sharpness").get("estimate").asDouble()));
        assertTrue(Double.isFinite(h.get("trace").get("estimate").asDouble()));
        // --ggn: the Gauss-Newton matrix of the same fixed batch (G itself is checked in Gpt2GgnTest)
        double[] gRef = SymmetricEigen.eigenvalues(SdEstimators.dense(tr.sharpnessBatch.ggnOperator(w, 0), 128));
        for (int i = 0; i < 3; i++) {
            assertEquals(gRef[i], h.get("ggn").get("eigenvalues").get(i).asDouble(), 1e-9 + 1e-8 * Math.abs(gRef[i]), "GGN λ_" + (i + 1));
        }
        assertTrue(gRef[gRef.length - 1] >= -1e-10 * gRef[0], "G is PSD");
        // tr H ≥ Σ of the positive top eigenvalues is not guaranteed for an estimate; the dense trace is:
        double denseTrace = Arrays.stream(ref).sum();
        assertEquals(denseTrace, h.get("trace").get("estimate").asDouble(), 10 * h.get("trace").get("std_error").asDouble() + 1e-9,
                "Hutchinson within 10 standard errors of the dense trace");

        // --batches 2: the Hessian of the mean loss over 2 fresh batches of B = 2 windows = one batch of 4
        // windows of the stream seeded by --seed, assembled here without accumulation
        JsonNode h2 = json("hessian", runDir.toString(), "--top-k", "2", "--tol", "1e-10", "--trace-probes", "0", "--batch-sharpness", "0",
                "--batches", "2", "--seed", "9");
        GptObjective four = new GptObjective(tr.be, DType.F64, tr.model, new TextBatches(tr.data.train(), 4, 4, 9));
        double[] ref2 = denseEigenvalues(four, w, 0);
        for (int i = 0; i < 2; i++) {
            double got = h2.get("eigenvalues").get(i).asDouble();
            assertEquals(ref2[i], got, 1e-9 + 1e-8 * Math.abs(ref2[i]), "λ_" + (i + 1) + " of 2 fresh batches");
        }
        assertNotEquals(ref[0], ref2[0], "a different batch, a different Hessian");
        oneLineError(run("hessian", runDir.toString(), "--batches", "-1"), "--batches", ">= 0");
    }

    @Test
    void exactSdAgreesWithTheSweepAnalysisAndWithDenseMinibatchHessians(@TempDir Path tmp) throws Exception {
        Path runDir = train(tmp);
        Path ck = runDir.resolve("checkpoint.safetensors");
        JsonNode j = json("sd", runDir.toString(), "--method", "exact", "--batches", "2", "--sd-seed", "7", "--trace-probes", "4");
        JsonNode e = j.get("sd").get("exact");
        assertEquals(ETA2, e.get("update_map").get("lr").asDouble(), 1e-15, "SD's Jacobian at η_t of the checkpoint's step");
        assertEquals(ETA2, j.get("lr_at_step").asDouble(), 1e-15);

        // the sweep's analysis of the same checkpoint, with the CLI's defaults
        GptTrainer tr = new GptTrainer(GptTrainer.configOf(ck), CpuBackend.INSTANCE, QUIET);
        GptTrainer.State s = tr.loadCheckpoint(ck);
        SdOptions so = new SdOptions(SdOptions.Method.EXACT, 2, 0, 64, 1e-8, 200, 100, 0, 7, 16);
        CheckpointAnalysis.Report rep = GptSweep.analyze(tr, s, new CheckpointAnalysis.Options(List.of(so), null, false, 1e-4, 4, 1, 1, 0.01, 0.05, 10), false);
        double sd = rep.sd().get(SdOptions.Method.EXACT).sd();
        assertEquals(sd, e.get("sd").asDouble(), 0, "the same computation on the same checkpoint");
        assertEquals(rep.lambdaMax(), j.get("lambda_max").asDouble(), 0);

        // SD from dense minibatch Hessians built here: B_i = step i of the windows seeded by --sd-seed,
        // exponents = mean over i of the sorted ln(|1 − η_2(α + λ)| + ε)
        Tensor w = tr.opt.params(s.x());
        GptObjective f = new GptObjective(tr.be, DType.F64, tr.model, new TextBatches(tr.data.train(), 2, 4, 7));
        int d = tr.model.numParams();
        double[] lambda = new double[d], lamPeak = new double[d];   // at η_2, and at the peak η = 0.5 for contrast
        for (int b = 0; b < 2; b++) {
            double[] alpha = denseEigenvalues(f, w, b);
            double[][] zs = new double[2][d];
            for (int i = 0; i < d; i++) {
                zs[0][i] = Math.log(Math.abs(1 - ETA2 * (alpha[i] + WD)) + 1e-8);
                zs[1][i] = Math.log(Math.abs(1 - 0.5 * (alpha[i] + WD)) + 1e-8);
            }
            for (double[] z : zs) Arrays.sort(z);
            for (int k = 0; k < d; k++) {
                lambda[k] += zs[0][d - 1 - k] / 2;
                lamPeak[k] += zs[1][d - 1 - k] / 2;
            }
        }
        double ref = SharpnessDimension.ofExponents(lambda).sd();
        // the same dense eigenproblems: atol 1e-9 + rtol 1e-9
        assertEquals(ref, e.get("sd").asDouble(), 1e-9 + 1e-9 * ref, "exact SD at η_2");
        assertTrue(ref > 0 && ref < d);
        // at the peak η the value differs: the schedule matters
        assertNotEquals(SharpnessDimension.ofExponents(lamPeak).sd(), e.get("sd").asDouble(), 1e-6);

        oneLineError(run("sd", runDir.toString(), "--method", "exact", "--preconditioned-sd"), "--preconditioned-sd", "adamw");
    }
}
