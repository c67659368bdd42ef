package eoslab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import eoslab.backend.CpuBackend;
import eoslab.curvature.LinearOperator;
import eoslab.gpt.Gpt2;
import eoslab.gpt.Gpt2Checkpoint;
import eoslab.gpt.GptTrainer;
import eoslab.io.Json;
import eoslab.io.SafetensorsReader;
import eoslab.nn.ParamSpec;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static eoslab.cli.CliErrorTest.oneLineError;
import static eoslab.cli.CliErrorTest.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code eoslab train --model gpt-tiny} end to end on a small text file with the byte tokenizer:
 * the files and checkpoint layout, bit-exact resume for every optimizer, the sharpness values
 * against the Hessian they claim to be of, and one-line errors for bad input.
 */
class GptTrainCommandTest {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    /** About 6 kB of text: enough windows for T = 8 in both the 90% and the 10% stream. */
    static Path corpus(Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 150; i++) sb.append("In the beginning ").append(i % 7 == 0 ? "God created" : "was the word").append(" and line ").append(i).append(".\n");
        Path f = dir.resolve("corpus.txt");
        Files.writeString(f, sb.toString());
        return f;
    }

    /** A 1-block model (C = 16, 2 heads, context 16) on bytes: about 7k parameters. */
    static List<String> tiny(Path text, String optimizer, int steps, Path out) {
        return new ArrayList<>(List.of("train", "--model", "gpt-tiny", "--layers", "1", "--channels", "16", "--heads", "2",
                "--data", "text:" + text, "--tokenizer", "bytes", "--seq-len", "8", "--batch-size", "4", "--accum", "2",
                "--optimizer", optimizer, "--lr", optimizer.equals("adamw") ? "0.003" : "0.1", "--weight-decay", "0.01",
                "--steps", "" + steps, "--log-every", "1", "--sharpness-every", "2", "--top-k", "2", "--lanczos-steps", "12",
                "--val-batches", "2", "--seed", "3", "--out", out.toString()));
    }

    static void ok(List<String> args) {
        CliErrorTest.Run r = run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void trainsAndWritesEveryFileWithGpt2Names(@TempDir Path tmp) throws Exception {
        Path text = corpus(tmp), out = tmp.resolve("run");
        ok(tiny(text, "adamw", 4, out));
        for (String f : List.of("config.json", "metrics.jsonl", "timing.jsonl", "checkpoint.safetensors", "loss.png", "sharpness.png", "summary.json")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(5, lines.size(), "steps 0..4");
        JsonNode m0 = tree(lines.get(0)), m2 = tree(lines.get(2));
        // GPT-2 init gives near-uniform next-token probabilities: loss ≈ ln 256 = 5.545
        assertEquals(Math.log(256), m0.get("train_loss").asDouble(), 0.05);
        assertEquals(Math.log(256), m0.get("val_loss").asDouble(), 0.05);
        assertTrue(m0.get("precond_lambda_max").isNull(), "undefined at t = 0 (v = 0)");
        assertTrue(m2.get("precond_lambda_max").asDouble() > 0);
        assertEquals(2, m2.get("eigenvalues").size());
        assertFalse(tree(lines.get(1)).has("lambda_max"), "λ_max only every --sharpness-every steps");
        assertTrue(tree(lines.get(4)).get("train_loss").asDouble() < m0.get("train_loss").asDouble(), "AdamW lowers the loss");
        JsonNode cfg = Json.readTree(out.resolve("config.json"));
        assertEquals(2, cfg.get("accum").asInt());
        assertEquals(2, cfg.get("resolved").get("micro_batch").asInt());
        assertEquals(32, cfg.get("resolved").get("tokens_per_step").asInt());

        Path ck = out.resolve("checkpoint.safetensors");
        try (SafetensorsReader r = SafetensorsReader.open(ck)) {
            assertArrayEquals(new long[]{256, 16}, r.shape("wte.weight"));
            assertArrayEquals(new long[]{16, 16}, r.shape("wpe.weight"));
            assertArrayEquals(new long[]{48, 16}, r.shape("h.0.attn.c_attn.weight"), "(out, in), nn.Linear's layout");
            assertArrayEquals(new long[]{64, 16}, r.shape("h.0.mlp.c_fc.weight"));
            assertTrue(r.has("ln_f.bias") && r.has("eoslab.optimizer.exp_avg") && r.has("eoslab.optimizer.exp_avg_sq"));
            assertEquals("4", r.metadata().get("eoslab.step"));
        }
        // the GPT-2 checkpoint reader opens it with the right shape and the same weights
        var shape = Gpt2Checkpoint.config(ck, 0);
        assertEquals(1, shape.layers());
        assertEquals(2, shape.heads());
        GptTrainer tr = new GptTrainer(GptTrainer.configOf(ck), CpuBackend.INSTANCE, QUIET);
        double[] w = Gpt2Checkpoint.load(ck, new Gpt2(shape));
        assertArrayEquals(tr.opt.params(tr.loadCheckpoint(ck).x()).toDoubles(), w, 0);
    }

    @Test
    void resumeIsBitExactForEveryOptimizer(@TempDir Path tmp) throws Exception {
        Path text = corpus(tmp);
        for (String opt : List.of("adamw", "sgd", "momentum")) {
            Path a = tmp.resolve(opt + "-a"), b = tmp.resolve(opt + "-b");
            // λ_max (and its warm start in the checkpoint) for AdamW only, to keep the test short
            String every = opt.equals("adamw") ? "2" : "0";
            ok(List.of(with(tiny(text, opt, 6, a), "--sharpness-every", every)));
            ok(List.of(with(tiny(text, opt, 3, b), "--sharpness-every", every)));
            ok(List.of("train", "--resume", b.toString(), "--steps", "6"));
            assertEquals(Files.readAllLines(a.resolve("metrics.jsonl")), Files.readAllLines(b.resolve("metrics.jsonl")),
                    opt + ": 6 steps straight and 3 + 3 resumed log the same lines");
            try (SafetensorsReader ra = SafetensorsReader.open(a.resolve("checkpoint.safetensors"));
                 SafetensorsReader rb = SafetensorsReader.open(b.resolve("checkpoint.safetensors"))) {
                int tensors = 0;
                for (var info : ra.tensors()) {
                    assertArrayEquals(ra.floats(info.name()), rb.floats(info.name()), 0, opt + ": " + info.name());
                    tensors++;
                }
                assertEquals(ra.tensors().size(), rb.tensors().size());
                assertTrue(tensors > 12);
            }
            assertArrayEquals(Files.readAllBytes(a.resolve("checkpoint.safetensors")), Files.readAllBytes(b.resolve("checkpoint.safetensors")),
                    opt + ": the checkpoint files are byte-identical");
        }
    }

    @Test
    void sharpnessIsAnEigenvalueOfTheFixedBatchHessianAndItsPreconditionedForm(@TempDir Path tmp) throws Exception {
        // float64 run; then check the logged λ against the operators rebuilt independently from the
        // checkpoint: residual ‖A v − λ v‖ ≤ 1e-3·|λ| (the Lanczos tolerance is 1e-5 relative) for the
        // Ritz vector the tracker kept, and λ_max(H) ≥ the Rayleigh quotient of random vectors.
        Path text = corpus(tmp), out = tmp.resolve("run");
        ok(List.of(with(tiny(text, "adamw", 2, out), "--dtype", "f64", "--lanczos-tol", "1e-5", "--lanczos-steps", "16")));
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        JsonNode last = tree(lines.get(2));
        double lam = last.get("lambda_max").asDouble(), pre = last.get("precond_lambda_max").asDouble();
        Path ck = out.resolve("checkpoint.safetensors");
        GptTrainer tr = new GptTrainer(GptTrainer.configOf(ck), CpuBackend.INSTANCE, QUIET);
        GptTrainer.State s = tr.loadCheckpoint(ck);   // at step 2, with the warm starts of the step-0 solve only
        var be = CpuBackend.INSTANCE;
        Tensor w = tr.opt.params(s.x());
        int d = tr.model.numParams();
        // re-measure with the restored tracker state: the same numbers as the log (determinism)
        Map<String, Object> again = tr.measure(2, s.x());
        assertEquals(lam, (Double) again.get("lambda_max"), 0);
        assertEquals(pre, (Double) again.get("precond_lambda_max"), 0);
        double[][] checks = {{lam}, {pre}};
        LinearOperator[] ops = {tr.sharpnessBatch.hessian(w, 0), tr.preconditionedHessian(s.x(), 2)};
        Tensor[] vecs = {tr.sharpness.vectors(), tr.precondSharpness.vectors()};
        for (int q = 0; q < 2; q++) {
            Tensor v = vecs[q].view(0, d), av = be.zeros(DType.F64, d);
            ops[q].apply(v, av, 1);
            double[] x = v.toDoubles(), y = av.toDoubles();
            double nx = 0, res = 0;
            for (int i = 0; i < d; i++) nx += x[i] * x[i];
            for (int i = 0; i < d; i++) res += Math.pow(y[i] - checks[q][0] * x[i] / Math.sqrt(nx), 2);
            assertTrue(Math.sqrt(res) / Math.sqrt(nx) <= 1e-3 * Math.abs(checks[q][0]), (q == 0 ? "H" : "P^-1/2 H P^-1/2") + " residual " + Math.sqrt(res));
        }
        // the preconditioned operator is P^{-1/2} H P^{-1/2}, built here by hand from the checkpoint's v
        double[] vv = Arrays.copyOfRange(s.x().toDoubles(), 2 * d, 3 * d), e = new double[d];
        var r = new java.util.Random(4);
        for (int i = 0; i < d; i++) e[i] = r.nextGaussian();
        double c2 = 1 - Math.pow(0.95, 2);
        double[] sc = new double[d], pe = new double[d];
        for (int i = 0; i < d; i++) {
            sc[i] = 1 / Math.sqrt(Math.sqrt(vv[i] / c2) + 1e-8);
            pe[i] = sc[i] * e[i];
        }
        Tensor hp = be.zeros(DType.F64, d), got = be.zeros(DType.F64, d);
        ops[0].apply(be.fromDoubles(DType.F64, pe), hp, 1);
        ops[1].apply(be.fromDoubles(DType.F64, e), got, 1);
        double[] h = hp.toDoubles(), g = got.toDoubles();
        for (int i = 0; i < d; i++) assertEquals(sc[i] * h[i], g[i], 1e-12 * (1 + Math.abs(g[i])), "P^-1/2 H P^-1/2 e at " + i);
        for (ParamSpec p : tr.model.params()) assertTrue(p.size() > 0);
    }

    @Test
    void badInputIsOneLine(@TempDir Path tmp) throws Exception {
        Path text = corpus(tmp), out = tmp.resolve("bad");
        List<String> base = tiny(text, "adamw", 2, out);
        oneLineError(run(with(base, "--model", "gpt3")), "--model", "gpt2", "gpt-tiny");
        oneLineError(run(with(base, "--seq-len", "32")), "--seq-len 32", "context 16");
        oneLineError(run(with(base, "--batch-size", "6", "--accum", "4")), "--batch-size 6", "--accum 4");
        oneLineError(run(with(base, "--data", "text:" + tmp.resolve("missing.txt"))), "missing.txt");
        oneLineError(run(with(base, "--data", "fashion-mnist")), "--data", "text:PATH");
        oneLineError(run(with(base, "--optimizer", "gd")), "--optimizer", "adamw");
        oneLineError(run(with(base, "--heads", "3")), "--model gpt-tiny", "multiple of heads");
        oneLineError(run(with(base, "--sharpness-every", "3", "--log-every", "2")), "--sharpness-every 3", "--log-every 2");
        oneLineError(run(with(base, "--hidden", "64")), "--hidden", "not used with --model gpt-tiny");
        oneLineError(run("train", "--accum", "2", "--out", out.toString()), "--accum", "GPT models");
        Files.writeString(tmp.resolve("short.txt"), "too short");
        oneLineError(run(with(base, "--data", "text:" + tmp.resolve("short.txt"))), "short.txt");
        assertFalse(Files.exists(out.resolve("metrics.jsonl")), "no files for bad input");
    }

    /**
     * --init-from: a run started from another run's checkpoint begins where that one ended (its
     * validation loss on the same fixed batches, bit for bit), records the file in config.json, and a
     * file of another shape is one line naming both shapes.
     */
    @Test
    void initFromStartsFromACheckpointsParameters(@TempDir Path tmp) throws Exception {
        Path text = corpus(tmp), a = tmp.resolve("a"), b = tmp.resolve("b");
        ok(tiny(text, "adamw", 3, a));
        Path ckpt = a.resolve("checkpoint.safetensors");
        ok(List.of(with(tiny(text, "sgd", 1, b), "--init-from", ckpt.toString())));
        List<String> la = Files.readAllLines(a.resolve("metrics.jsonl")), lb = Files.readAllLines(b.resolve("metrics.jsonl"));
        double end = tree(la.get(la.size() - 1)).get("val_loss").asDouble(), start = tree(lb.get(0)).get("val_loss").asDouble();
        assertEquals(end, start, 0.0, "step 0 of the new run is the checkpoint's parameters");
        assertTrue(Math.abs(start - Math.log(256)) > 1e-3, "not a fresh init");
        assertEquals(ckpt.toString(), Json.readTree(b.resolve("config.json")).get("init_from").asText());
        oneLineError(run(with(tiny(text, "sgd", 1, tmp.resolve("c")), "--channels", "32", "--init-from", ckpt.toString())),
                "--init-from", "C=16", "C=32");
        oneLineError(run(with(tiny(text, "sgd", 1, tmp.resolve("d")), "--init-from", tmp.resolve("none.safetensors").toString())),
                "--init-from", "none.safetensors");
        assertFalse(Files.exists(tmp.resolve("c")) || Files.exists(tmp.resolve("d")), "nothing written on bad input");
    }

    static JsonNode tree(String line) {
        return Json.parse("metrics line", line);
    }

    /** {@code args} with each option's value replaced (or the option appended). */
    static String[] with(List<String> args, String... kv) {
        List<String> a = new ArrayList<>(args);
        for (int i = 0; i < kv.length; i += 2) {
            int at = a.indexOf(kv[i]);
            if (at >= 0) a.set(at + 1, kv[i + 1]);
            else a.addAll(List.of(kv[i], kv[i + 1]));
        }
        return a.toArray(String[]::new);
    }
}
