package eoslab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import eoslab.io.Json;
import eoslab.io.SafetensorsReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static eoslab.cli.CliErrorTest.oneLineError;
import static eoslab.cli.CliErrorTest.run;
import static eoslab.cli.GptTrainCommandTest.ok;
import static eoslab.cli.GptTrainCommandTest.tiny;
import static eoslab.cli.GptTrainCommandTest.tree;
import static eoslab.cli.GptTrainCommandTest.with;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code eoslab train --model gpt-tiny --lr-schedule cosine --warmup-steps W}: each logged step's
 * {@code lr} is η_t of the schedule, its threshold is at η_t, {@code eta_t} is Σ_{s<t} η_s; a run
 * resumed in the middle of the warmup repeats the uninterrupted run bit for bit; bad values are
 * one-line errors.
 */
class GptLrScheduleCommandTest {
    /** η = 0.003, W = 4, cosine to η_min = 0.0006 at D = 8 (= --steps). */
    static String[] scheduled(Path text, String optimizer, int steps, Path out) {
        return with(tiny(text, optimizer, steps, out), "--lr-schedule", "cosine", "--warmup-steps", "4", "--min-lr", "0.0006",
                "--decay-steps", "8", "--sharpness-every", "0", "--lr", "0.003");
    }

    static double eta(long t) {
        if (t < 4) return 0.003 * (t + 1) / 4;
        if (t >= 8) return 0.0006;
        return 0.0006 + 0.5 * (1 + Math.cos(Math.PI * (t - 4) / 4.0)) * (0.003 - 0.0006);
    }

    @Test
    void logsEtaTAndResumesMidWarmupBitExactly(@TempDir Path tmp) throws Exception {
        Path text = GptTrainCommandTest.corpus(tmp);
        for (String opt : List.of("adamw", "sgd")) {
            Path a = tmp.resolve(opt + "-a"), b = tmp.resolve(opt + "-b");
            ok(List.of(scheduled(text, opt, 8, a)));
            // stop at step 2 (inside the warmup), then resume to 8: --decay-steps is stored, so the
            // shorter first leg follows the same η_t
            ok(List.of(scheduled(text, opt, 2, b)));
            ok(List.of("train", "--resume", b.toString(), "--steps", "8"));
            List<String> la = Files.readAllLines(a.resolve("metrics.jsonl"));
            assertEquals(la, Files.readAllLines(b.resolve("metrics.jsonl")), opt + ": 8 steps straight and 2 + 6 resumed log the same lines");
            assertArrayEquals(Files.readAllBytes(a.resolve("checkpoint.safetensors")), Files.readAllBytes(b.resolve("checkpoint.safetensors")),
                    opt + ": byte-identical checkpoints");
            double elapsed = 0;
            for (int t = 0; t <= 8; t++) {
                JsonNode m = tree(la.get(t));
                assertEquals(t, m.get("step").asLong());
                // atol 1e-18 + rtol 1e-15: the same few float64 operations in another order
                assertEquals(eta(t), m.get("lr").asDouble(), 1e-18 + 1e-15 * eta(t), opt + " η_t at " + t);
                assertEquals(elapsed, m.get("eta_t").asDouble(), 1e-17 + 1e-14 * elapsed, opt + " Σ η_s before " + t);
                double thr = opt.equals("adamw") ? (2 + 2 * 0.9) / ((1 - 0.9) * eta(t)) : 2 / eta(t);
                assertEquals(thr, m.get("threshold").asDouble(), 1e-12 * thr, opt + " threshold at η_" + t);
                elapsed += eta(t);
            }
            JsonNode cfg = Json.readTree(a.resolve("config.json"));
            assertEquals("cosine", cfg.get("lr_schedule").asText());
            assertEquals(8, cfg.get("decay_steps").asLong());
            try (SafetensorsReader r = SafetensorsReader.open(a.resolve("checkpoint.safetensors"))) {
                assertTrue(r.metadata().get("eoslab.gpt.config").contains("\"warmup_steps\":4"));
            }
        }
    }

    /**
     * Step t of a scheduled run equals step t of a constant run at η_t: 1 step of the warmup run (η_0 = η/4)
     * and 1 step of a constant run at η/4 write the same checkpoint parameters.
     */
    @Test
    void firstWarmupStepIsAConstantStepAtEtaOverW(@TempDir Path tmp) throws Exception {
        Path text = GptTrainCommandTest.corpus(tmp), a = tmp.resolve("a"), b = tmp.resolve("b");
        ok(List.of(with(tiny(text, "adamw", 1, a), "--lr", "0.004", "--warmup-steps", "1", "--sharpness-every", "0")));
        ok(List.of(with(tiny(text, "adamw", 1, b), "--lr", "0.004", "--sharpness-every", "0")));
        try (SafetensorsReader ra = SafetensorsReader.open(a.resolve("checkpoint.safetensors"));
             SafetensorsReader rb = SafetensorsReader.open(b.resolve("checkpoint.safetensors"))) {
            // W = 1: η_0 = η(0 + 1)/1 = η, so the two runs are the same run (tolerance 0)
            assertArrayEquals(rb.floats("h.0.mlp.c_fc.weight"), ra.floats("h.0.mlp.c_fc.weight"), 0);
        }
        Path c = tmp.resolve("c"), e = tmp.resolve("e");
        ok(List.of(with(tiny(text, "sgd", 1, c), "--lr", "0.4", "--warmup-steps", "4", "--lr-schedule", "cosine", "--decay-steps", "9",
                "--sharpness-every", "0")));
        ok(List.of(with(tiny(text, "sgd", 1, e), "--lr", "0.1", "--sharpness-every", "0")));
        try (SafetensorsReader rc = SafetensorsReader.open(c.resolve("checkpoint.safetensors"));
             SafetensorsReader re = SafetensorsReader.open(e.resolve("checkpoint.safetensors"))) {
            // W = 4: η_0 = 0.4/4 = 0.1 exactly in float64, so the SGD steps are identical (tolerance 0)
            for (String n : List.of("wte.weight", "h.0.attn.c_attn.weight", "ln_f.bias")) assertArrayEquals(re.floats(n), rc.floats(n), 0, n);
        }
    }

    @Test
    void badScheduleValuesAreOneLine(@TempDir Path tmp) throws Exception {
        Path text = GptTrainCommandTest.corpus(tmp), out = tmp.resolve("bad");
        List<String> base = tiny(text, "adamw", 10, out);
        oneLineError(run(with(base, "--warmup-steps", "11")), "--warmup-steps 11", "--steps 10");
        oneLineError(run(with(base, "--warmup-steps", "-1")), "--warmup-steps", ">= 0");
        oneLineError(run(with(base, "--lr-schedule", "cosine", "--min-lr", "0.01")), "--min-lr", "(0, --lr");
        oneLineError(run(with(base, "--lr-schedule", "cosine", "--min-lr", "-0.001")), "--min-lr");
        oneLineError(run(with(base, "--lr-schedule", "cosine", "--warmup-steps", "10")), "--warmup-steps 10", "--decay-steps");
        oneLineError(run(with(base, "--lr-schedule", "cosine", "--warmup-steps", "6", "--decay-steps", "5")), "--warmup-steps 6", "horizon 5");
        oneLineError(run(with(base, "--lr-schedule", "cosine", "--decay-steps", "-3")), "--decay-steps");
        oneLineError(run(with(base, "--lr-schedule", "linear")), "--lr-schedule", "constant or cosine");
        oneLineError(run(with(base, "--min-lr", "0.0001")), "--min-lr", "cosine");
        oneLineError(run("train", "--warmup-steps", "2", "--out", out.toString()), "--warmup-steps", "GPT models");
        assertFalse(Files.exists(out.resolve("metrics.jsonl")), "no files for bad input");
    }
}
