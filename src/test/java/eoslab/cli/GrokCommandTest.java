package eoslab.cli;

import eoslab.backend.CpuBackend;
import eoslab.io.Json;
import eoslab.io.SafetensorsReader;
import eoslab.train.TrainConfig;
import eoslab.train.Trainer;
import eoslab.util.UserError;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** {@code eoslab grok} on a tiny modulus: the files it writes, the checkpoints it saves, the SD hook. */
class GrokCommandTest {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
    static final String[] TINY = {"--p", "11", "--hidden", "8", "--epochs", "30", "--checkpoints", "6", "--lanczos-steps", "12", "--lr", "0.3"};

    static String[] args(Path out, String... extra) {
        String[] a = new String[TINY.length + 2 + extra.length];
        System.arraycopy(TINY, 0, a, 0, TINY.length);
        a[TINY.length] = "--out";
        a[TINY.length + 1] = out.toString();
        System.arraycopy(extra, 0, a, TINY.length + 2, extra.length);
        return a;
    }

    @Test
    void checkpointStepsAreEvenAndIncludeBothEnds() {
        long[] s = GrokCommand.checkpointSteps(20000, 100);
        assertEquals(100, s.length);
        assertEquals(0, s[0]);
        assertEquals(20000, s[99]);
        for (int i = 1; i < s.length; i++) assertEquals(20000.0 / 99, s[i] - s[i - 1], 1.0, "spacing at " + i);
        assertArrayEquals(new long[]{0, 1, 2, 3}, GrokCommand.checkpointSteps(3, 100), "fewer steps than checkpoints: every step once");
    }

    @Test
    void configIsTheSpecSetting() {
        GrokCommand c = new GrokCommand();
        new CommandLine(c).parseArgs();
        TrainConfig cfg = c.config();
        assertEquals("modadd:p=97,train=0.4", cfg.data());
        assertArrayEquals(new int[]{32}, cfg.hidden(), "2-layer MLP, 32 hidden");
        assertEquals("gelu", cfg.activation());
        assertEquals("ce", cfg.lossName());
        assertEquals("momentum", cfg.optimizer());
        assertTrue(cfg.weightDecay() > 0, "weight decay on");
        // minibatches: steps = epochs · ⌊n/B⌋ with n = 3764 training pairs
        new CommandLine(c).parseArgs("--batch-size", "512", "--epochs", "10");
        assertEquals(10L * (3764 / 512), c.config().steps());
    }

    @Test
    void badOptionsAreUserErrors() {
        for (String[] bad : new String[][]{{"--checkpoints", "1"}, {"--epochs", "0"}, {"--batch-size", "4000"}, {"--p", "1"}, {"--jump-acc", "0"}}) {
            GrokCommand c = new GrokCommand();
            new CommandLine(c).parseArgs(bad);
            assertThrows(UserError.class, c::config, String.join(" ", bad));
        }
    }

    @Test
    void shortRunWritesWellFormedOutputs(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        CommandLine cl = new CommandLine(new GrokCommand());
        cl.setOut(new java.io.PrintWriter(OutputStream.nullOutputStream()));
        PrintStream oldOut = System.out, oldErr = System.err;
        int rc;
        try {
            System.setOut(QUIET);
            System.setErr(QUIET);
            rc = cl.execute(args(out));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        assertEquals(0, rc);

        List<String> lines = Files.readAllLines(out.resolve(GrokCommand.JSONL));
        assertEquals(6, lines.size(), "steps 0, 6, …, 30");
        double lastTrainAcc = 0;
        for (int i = 0; i < lines.size(); i++) {
            JsonNode m = Json.parse("grok.jsonl", lines.get(i));
            assertEquals(6L * i, m.get("step").asLong());
            assertEquals(6.0 * i, m.get("epoch").asDouble(), 0.0, "full batch: one step per epoch");
            for (String k : new String[]{"train_acc", "test_acc"}) {
                double a = m.get(k).asDouble();
                assertTrue(a >= 0 && a <= 1, k + " = " + a);
                // accuracies are counts over n = 48 train / 73 test pairs
                double n = k.equals("train_acc") ? 48 : 73;
                assertEquals(Math.rint(a * n), a * n, 1e-9, k + " is a fraction of " + n);
            }
            assertTrue(m.get("train_loss").asDouble() > 0 && m.get("test_loss").asDouble() > 0);
            assertTrue(m.get("lambda_max").asDouble() > 0, "CE Hessian at init has a positive top eigenvalue");
            assertEquals((2 + 2 * 0.9) / 0.3, m.get("threshold").asDouble(), 1e-12);
            assertTrue(m.get("weight_norm").asDouble() > 0);
            double sd = m.get("sd").asDouble(Double.NaN);
            int d = 2 * 11 * 8 + 8 + 8 * 11 + 11; // p = 11, hidden 8
            assertTrue(sd >= 0 && sd <= d, "SD at each checkpoint, within [0, d]: " + m.get("sd"));
            assertTrue(Files.isRegularFile(GrokCommand.checkpointFile(out, 6L * i)), "checkpoint of step " + 6 * i);
            lastTrainAcc = m.get("train_acc").asDouble();
        }
        assertEquals(out.resolve("checkpoints/step_000030.safetensors"), GrokCommand.checkpointFile(out, 30));
        try (var files = Files.list(out.resolve(GrokCommand.CHECKPOINTS))) {
            assertEquals(6, files.count());
        }

        // a checkpoint is a Trainer checkpoint: PyTorch shapes, momentum, and it reloads to the logged accuracy
        Path last = GrokCommand.checkpointFile(out, 30);
        try (SafetensorsReader r = SafetensorsReader.open(last)) {
            assertArrayEquals(new long[]{8, 22}, r.shape("layers.0.weight"), "Linear(2p, 8): the summed embeddings");
            assertArrayEquals(new long[]{11, 8}, r.shape("layers.2.weight"));
            assertTrue(r.has("eoslab.optimizer.momentum"));
            assertEquals("30", r.metadata().get("eoslab.step"));
        }
        Trainer tr = new Trainer(Trainer.configOf(last), CpuBackend.INSTANCE, QUIET);
        Trainer.State s = tr.loadCheckpoint(last);
        assertEquals(lastTrainAcc, tr.train.lossAndAccuracy(tr.opt.params(s.x()))[1], 0.0);

        BufferedImage png = ImageIO.read(out.resolve(GrokCommand.PNG).toFile());
        assertEquals(900, png.getWidth());
        assertEquals(3 * 360, png.getHeight(), "accuracy, λ_max and SD panels");
        JsonNode sum = Json.readTree(out.resolve(GrokCommand.SUMMARY));
        assertEquals(30, sum.get("steps").asLong());
        assertTrue(sum.has("train_jump_step") && sum.has("test_jump_step") && sum.has("grokked"));
        assertTrue(Files.isRegularFile(out.resolve(Trainer.CONFIG)));

        // a second run into the same folder needs --force
        assertThrows(UserError.class, () -> GrokCommand.prepare(out, false));
    }

    @Test
    void sdProbeValuesAreLoggedAndPlotted(@TempDir Path tmp) throws Exception {
        GrokCommand c = new GrokCommand();
        new CommandLine(c).parseArgs("--p", "11", "--hidden", "8", "--epochs", "8", "--lr", "0.3", "--lanczos-steps", "12");
        Trainer tr = new Trainer(c.config(), CpuBackend.INSTANCE, QUIET);
        long d = tr.model.numParams();
        // a probe that reports something checkable about what it was handed: the step and the dimension
        GrokCommand.Result r = GrokCommand.run(tr, tmp, 3, 0.95, (f, w, cfg, step) -> {
            assertEquals(d, w.size, "SD gets the weights, not the momentum state");
            assertEquals(0.3, cfg.lr());
            assertEquals(0.9, cfg.momentum());
            assertSame(tr.train, f, "the training-set objective");
            return step + 0.5;
        }, null);
        assertEquals(3, r.records().size());
        List<String> lines = Files.readAllLines(tmp.resolve(GrokCommand.JSONL));
        for (int i = 0; i < 3; i++) {
            JsonNode m = Json.parse("grok.jsonl", lines.get(i));
            assertEquals(m.get("step").asLong() + 0.5, m.get("sd").asDouble());
        }
        assertEquals(3 * 360, ImageIO.read(tmp.resolve(GrokCommand.PNG).toFile()).getHeight(), "SD panel added");
        Map<String, Object> last = r.records().getLast();
        assertEquals(8L, last.get("step"));
    }
}
