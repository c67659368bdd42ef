package eoslab.train;

import eoslab.backend.CpuBackend;
import eoslab.io.SafetensorsReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Checkpoints, resume and the run's files. */
class TrainerTest {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    static TrainConfig config(String optimizer, int batch, long steps) {
        return config(optimizer, batch, steps, 0);
    }

    /** With batch sharpness over {@code bs} minibatches at each log step. */
    static TrainConfig config(String optimizer, int batch, long steps, int bs) {
        return new TrainConfig("gaussian:k=3,dim=6,sep=3", new int[0], 96, 48, null, "mlp", new int[]{8}, "tanh", true, 1.0,
                "ce", optimizer, 0.3, 0.9, 1e-3, batch, steps, 5, 5, 2, 8, 1e-6, "f32", "cpu", 40, 15, bs);
    }

    @Test
    void resumeReproducesTheUninterruptedRunBitForBit(@TempDir Path tmp) throws Exception {
        // with batch sharpness logged: its minibatches are a function of (seed, step) too
        for (TrainConfig full : List.of(config("sgd", 16, 40, 3), config("momentum", 0, 40, 2))) {
            Path a = tmp.resolve(full.optimizer() + "-a"), b = tmp.resolve(full.optimizer() + "-b");
            Files.createDirectories(a);
            Files.createDirectories(b);
            Trainer ta = new Trainer(full, CpuBackend.INSTANCE, QUIET);
            ta.run(ta.initial(), a, null);

            // stop at 22 (the last checkpoint is at 15), then resume to 40 in a fresh process-like trainer
            Trainer tb = new Trainer(full.withSteps(22), CpuBackend.INSTANCE, QUIET);
            tb.run(tb.initial(), b, null);
            Trainer tc = new Trainer(full, CpuBackend.INSTANCE, QUIET);
            Path ck = b.resolve(Trainer.CHECKPOINT);
            Trainer.State s = tc.loadCheckpoint(ck);
            assertEquals(22, s.step());
            eoslab.io.JsonlWriter.truncateAfterStep(b.resolve(Trainer.METRICS), s.step() - 1);
            tc.run(s, b, null);

            List<String> la = Files.readAllLines(a.resolve(Trainer.METRICS)), lb = Files.readAllLines(b.resolve(Trainer.METRICS));
            assertEquals(9, la.size(), "steps 0, 5, …, 40");
            assertEquals(la, lb, full.optimizer() + ": resumed metrics.jsonl equals the uninterrupted one");
        }
    }

    @Test
    void checkpointHoldsPyTorchNamedTensorsAndTheConfig(@TempDir Path tmp) throws Exception {
        TrainConfig cfg = config("momentum", 0, 10);
        Trainer t = new Trainer(cfg, CpuBackend.INSTANCE, QUIET);
        t.run(t.initial(), tmp, null);
        try (SafetensorsReader r = SafetensorsReader.open(tmp.resolve(Trainer.CHECKPOINT))) {
            assertArrayEquals(new long[]{8, 6}, r.shape("layers.0.weight"));      // (out, in)
            assertArrayEquals(new long[]{8}, r.shape("layers.0.bias"));
            assertArrayEquals(new long[]{3, 8}, r.shape("layers.2.weight"));
            assertEquals("10", r.metadata().get("eoslab.step"));
            assertTrue(r.has("eoslab.optimizer.momentum"));
        }
        assertEquals(cfg, Trainer.configOf(tmp.resolve(Trainer.CHECKPOINT)));
    }
}
