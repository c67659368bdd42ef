package eoslab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import eoslab.backend.CpuBackend;
import eoslab.gpt.GptObjective;
import eoslab.gpt.GptTrainer;
import eoslab.io.Json;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static eoslab.cli.CliErrorTest.oneLineError;
import static eoslab.cli.CliErrorTest.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Batch sharpness of a GPT run (sgd): each logged value is the mean of ĝ_Bᵀ H_B ĝ_B over its batches,
 * checked against central differences of the batch gradient along ĝ_B in float64 (not the HVP code);
 * logging it leaves the trajectory alone; AdamW and a missing --sharpness-every are refused.
 */
class GptBatchSharpnessTest {
    static List<String> args(Path text, Path out, boolean bs) {
        List<String> a = new ArrayList<>(GptTrainCommandTest.tiny(text, "sgd", 4, out));
        a.addAll(List.of("--dtype", "f64"));
        if (bs) a.addAll(List.of("--batch-sharpness", "2"));
        return a;
    }

    static List<JsonNode> metrics(Path dir) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(dir.resolve("metrics.jsonl"))) out.add(Json.mapper().readTree(l));
        return out;
    }

    @Test
    void loggedValueMatchesFiniteDifferencesAndLeavesTheRunAlone(@TempDir Path tmp) throws Exception {
        Path text = GptTrainCommandTest.corpus(tmp), with = tmp.resolve("with"), without = tmp.resolve("without");
        GptTrainCommandTest.ok(args(text, with, true));
        GptTrainCommandTest.ok(args(text, without, false));
        List<JsonNode> a = metrics(with), b = metrics(without);
        assertEquals(b.size(), a.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(b.get(i).get("train_loss").asDouble(), a.get(i).get("train_loss").asDouble(), 0.0, "same trajectory, step " + i);
            assertEquals(a.get(i).has("lambda_max"), a.get(i).has("batch_sharpness"), "logged at the sharpness steps");
        }

        // at the final state (step 4): ĝᵀ H ĝ by central differences of the batch gradient along ĝ = g/‖g‖
        Path ck = with.resolve("checkpoint.safetensors");
        GptTrainer tr = new GptTrainer(GptTrainer.configOf(ck), CpuBackend.INSTANCE, new PrintStream(OutputStream.nullOutputStream()));
        Tensor w = tr.opt.params(tr.loadCheckpoint(ck).x());
        GptObjective f = tr.batchSharpnessObjective();
        long[] idx = tr.batchSharpnessIndices(4);
        assertArrayEquals(new long[] {8, 9}, idx, "fresh batches t·N … t·N + N − 1");
        double mean = 0, h = 1e-5;
        int d = (int) f.dim();
        for (long i : idx) {
            double[] g = grad(f, i, w.toDoubles());
            double norm = 0;
            for (double x : g) norm += x * x;
            norm = Math.sqrt(norm);
            double[] wp = w.toDoubles(), wm = w.toDoubles();
            for (int j = 0; j < d; j++) {
                wp[j] += h * g[j] / norm;
                wm[j] -= h * g[j] / norm;
            }
            double[] gp = grad(f, i, wp), gm = grad(f, i, wm);
            double q = 0;
            for (int j = 0; j < d; j++) q += g[j] / norm * (gp[j] - gm[j]) / (2 * h);
            mean += q / idx.length;
        }
        double got = a.getLast().get("batch_sharpness").asDouble();
        // central differences in float64: O(h²) ≈ 1e-10 relative; tolerance 1e-7 + 1e-5·|ref|
        assertEquals(mean, got, 1e-7 + 1e-5 * Math.abs(mean), "batch sharpness at step 4");
        assertTrue(a.getLast().get("batch_sharpness_se").asDouble() >= 0);
    }

    static double[] grad(GptObjective f, long batch, double[] w) {
        Tensor g = CpuBackend.INSTANCE.zeros(DType.F64, w.length);
        f.evaluate(batch, CpuBackend.INSTANCE.fromDoubles(DType.F64, w), g, null, 0, null);
        return g.toDoubles();
    }

    @Test
    void adamwAndAMissingSharpnessScheduleAreRefused(@TempDir Path tmp) throws Exception {
        Path text = GptTrainCommandTest.corpus(tmp), out = tmp.resolve("r");
        List<String> adam = new ArrayList<>(GptTrainCommandTest.tiny(text, "adamw", 2, out));
        adam.addAll(List.of("--batch-sharpness", "2"));
        oneLineError(run(adam.toArray(String[]::new)), "--batch-sharpness", "AdamW");
        List<String> noSharp = new ArrayList<>(GptTrainCommandTest.tiny(text, "sgd", 2, out));
        noSharp.set(noSharp.indexOf("--sharpness-every") + 1, "0");
        noSharp.addAll(List.of("--batch-sharpness", "2"));
        oneLineError(run(noSharp.toArray(String[]::new)), "--batch-sharpness", "--sharpness-every");
        assertFalse(Files.exists(out.resolve("metrics.jsonl")));
    }
}
