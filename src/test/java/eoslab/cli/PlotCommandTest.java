package eoslab.cli;

import eoslab.io.Plots;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

import static eoslab.cli.CliErrorTest.oneLineError;
import static eoslab.cli.CliErrorTest.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code eoslab plot}: the comparison figure holds each run's logged λ_max and its own threshold 2/η
 * in the same color; one run is redrawn in place, also mid-run; bad input is one error line and
 * writes nothing.
 */
class PlotCommandTest {
    /** A small full-batch GD run: threshold 2/η. */
    static Path train(Path tmp, String name, double lr) {
        Path out = tmp.resolve(name);
        CliErrorTest.Run r = run("train", "--data", "gaussian:k=3,dim=6,sep=3", "--n", "60", "--n-test", "20", "--hidden", "8",
                "--activation", "tanh", "--lr", "" + lr, "--steps", "30", "--log-every", "5", "--top-k", "1", "--seed", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        return out;
    }

    static BufferedImage png(Path p) throws Exception {
        BufferedImage im = ImageIO.read(p.toFile());
        assertNotNull(im, p + " is a PNG");
        return im;
    }

    @Test
    void comparisonDrawsEachRunWithItsOwnThreshold(@TempDir Path tmp) throws Exception {
        Path a = train(tmp, "a", 0.2), b = train(tmp, "b", 0.4), cmp = tmp.resolve("cmp");
        CliErrorTest.Run r = run("plot", a.toString(), b.toString(), "--out", cmp.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(1100, png(cmp.resolve("sharpness.png")).getWidth());
        assertEquals(560, png(cmp.resolve("loss.png")).getHeight());
        assertTrue(r.out().contains("a (η=0.2): 7 records, last step 30") && r.out().contains("threshold 10,"), r.out());
        assertTrue(r.out().contains("b (η=0.4)") && r.out().contains("threshold 5,"), r.out());

        // what the figure holds: λ_max as logged, against η·t, and 2/η dashed in the run's color
        List<PlotCommand.Run> rs = List.of(PlotCommand.read(a, null), PlotCommand.read(b, null));
        List<Plots.Series> s = PlotCommand.sharpnessSeries(rs, "eta_t", "lambda_max");
        assertEquals(4, s.size());
        for (int i = 0; i < 2; i++) {
            Plots.Series lam = s.get(2 * i), th = s.get(2 * i + 1);
            List<Map<String, Object>> ms = rs.get(i).metrics();
            double eta = i == 0 ? 0.2 : 0.4;
            assertEquals(ms.size(), lam.y().length);
            for (int j = 0; j < ms.size(); j++) {
                assertEquals(((Number) ms.get(j).get("lambda_max")).doubleValue(), lam.y()[j], 0.0);
                assertEquals(eta * ((Number) ms.get(j).get("step")).doubleValue(), lam.x()[j], 1e-12, "x = η·t");
            }
            assertEquals(i, lam.color());
            assertEquals(i, th.color());
            assertTrue(th.dashed() && !lam.dashed());
            assertArrayEquals(new double[] {2 / eta, 2 / eta}, th.y(), 1e-12);
            assertArrayEquals(new double[] {0, eta * 30}, th.x(), 1e-12, "the threshold spans the run");
        }
        // --x step and labels
        List<Plots.Series> ls = PlotCommand.lossSeries(rs, "step");
        assertEquals(30.0, ls.get(0).x()[ls.get(0).x().length - 1]);
        assertTrue(ls.get(1).dashed() && ls.get(1).name().endsWith(": test"));
        r = run("plot", a.toString(), b.toString(), "--out", cmp.toString(), "--x", "step", "--labels", "slow,fast", "--scale", "2");
        assertEquals(0, r.code(), r.err());
        assertEquals(2200, png(cmp.resolve("sharpness.png")).getWidth());
        assertTrue(r.out().startsWith("slow: 7 records"), r.out());
    }

    @Test
    void oneRunIsRedrawnInPlaceAlsoWhileItIsBeingWritten(@TempDir Path tmp) throws Exception {
        Path a = train(tmp, "a", 0.2);
        Files.delete(a.resolve("loss.png"));
        Files.delete(a.resolve("sharpness.png"));
        // a record being appended by a running job: no newline yet
        Files.writeString(a.resolve("metrics.jsonl"), "{\"step\":35,\"eta_t\":7.0,\"train_lo", StandardOpenOption.APPEND);
        CliErrorTest.Run r = run("plot", a.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("7 records, last step 30"), r.out());
        assertEquals(900, png(a.resolve("loss.png")).getWidth());
        png(a.resolve("sharpness.png"));
    }

    @Test
    void gpt2RunsAreRedrawnAndCompared(@TempDir Path tmp) throws Exception {
        Path text = GptTrainCommandTest.corpus(tmp), g = tmp.resolve("gpt"), m = train(tmp, "mlp", 0.2);
        GptTrainCommandTest.ok(GptTrainCommandTest.tiny(text, "adamw", 4, g));
        Files.delete(g.resolve("sharpness.png"));
        CliErrorTest.Run r = run("plot", g.toString());
        assertEquals(0, r.code(), r.err());
        png(g.resolve("sharpness.png"));
        assertTrue(r.out().contains("λ_max(P⁻¹H)"), "AdamW's threshold applies to the preconditioned sharpness: " + r.out());

        PlotCommand.Run gr = PlotCommand.read(g, null);
        assertTrue(gr.gpt() && gr.adam());
        List<Plots.Series> s = PlotCommand.sharpnessSeries(List.of(gr), "eta_t", "lambda_max");
        // --sharpness-every 2 over 4 steps at the constant η = 0.003: η·t = 0, 0.006, 0.012
        assertArrayEquals(new double[] {0, 0.006, 0.012}, s.getFirst().x(), 1e-15);
        assertTrue(Double.isNaN(s.getFirst().y()[0]), "λ_max(P⁻¹H) is undefined at t = 0 (v = 0): not drawn");
        assertEquals(PlotCommand.threshold(gr), s.get(1).y()[0], 0.0);
        assertTrue(PlotCommand.threshold(gr) > 1000, "AdamW's threshold (2 + 2β₁)/((1 − β₁)η) at η = 0.003");

        Path cmp = tmp.resolve("cmp");
        r = run("plot", g.toString(), m.toString(), "--out", cmp.toString());
        assertEquals(0, r.code(), r.err());
        png(cmp.resolve("loss.png"));
        png(cmp.resolve("sharpness.png"));
    }

    @Test
    void sgdRunsLogBatchSharpnessByDefaultAndComparesIt(@TempDir Path tmp) throws Exception {
        Path[] runs = new Path[2];
        for (int i = 0; i < 2; i++) {
            runs[i] = tmp.resolve("sgd" + i);
            CliErrorTest.Run r = run("train", "--data", "gaussian:k=3,dim=6,sep=3", "--n", "60", "--n-test", "20", "--hidden", "8",
                    "--optimizer", "sgd", "--batch-size", "10", "--lr", i == 0 ? "0.2" : "0.4", "--steps", "20", "--log-every", "10",
                    "--seed", "1", "--out", runs[i].toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("batch sharpness"), "the summary says where batch sharpness went: " + r.out());
        }
        PlotCommand.Run r0 = PlotCommand.read(runs[0], null);
        assertEquals(16, ((Number) r0.config().get("batch_sharpness")).intValue(), "16 minibatches by default for SGD");
        List<Plots.Series> s = PlotCommand.sharpnessSeries(List.of(r0), "step", "batch_sharpness");
        for (int j = 0; j < r0.metrics().size(); j++) {
            assertEquals(((Number) r0.metrics().get(j).get("batch_sharpness")).doubleValue(), s.getFirst().y()[j], 0.0);
        }
        assertArrayEquals(new double[] {10, 10}, s.get(1).y(), 1e-12, "2/η at η = 0.2");
        Path cmp = tmp.resolve("cmp");
        CliErrorTest.Run r = run("plot", runs[0].toString(), runs[1].toString(), "--out", cmp.toString(), "--sharpness", "batch_sharpness");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(", batch sharpness "), r.out());
        png(cmp.resolve("sharpness.png"));
        // a full-batch GD run logs none (unless asked), so it cannot be compared on it
        Path gd = train(tmp, "gd", 0.2);
        assertFalse(PlotCommand.read(gd, null).metrics().getFirst().containsKey("batch_sharpness"));
        oneLineError(run("plot", runs[0].toString(), gd.toString(), "--out", tmp.resolve("c2").toString(), "--sharpness", "batch_sharpness"),
                "gd", "batch_sharpness", "--batch-sharpness");
        assertFalse(Files.exists(tmp.resolve("c2")));
    }

    @Test
    void badInputIsOneLineAndWritesNothing(@TempDir Path tmp) throws Exception {
        Path a = train(tmp, "a", 0.2), b = train(tmp, "b", 0.4), cmp = tmp.resolve("cmp");
        oneLineError(run("plot", tmp.resolve("nope").toString()), "nope", "no such run directory");
        Files.createDirectories(tmp.resolve("empty"));
        oneLineError(run("plot", tmp.resolve("empty").toString()), "empty", "metrics.jsonl");
        oneLineError(run("plot", a.toString(), b.toString()), "2 runs", "--out");
        oneLineError(run("plot", a.toString(), b.toString(), "--out", cmp.toString(), "--labels", "one"), "--labels", "2 runs");
        oneLineError(run("plot", a.toString(), "--x", "time"), "--x");
        oneLineError(run("plot", a.toString(), "--scale", "9"), "--scale");
        Path file = tmp.resolve("f.png");
        Files.writeString(file, "x");
        oneLineError(run("plot", a.toString(), b.toString(), "--out", file.toString()), "is a file");
        // a damaged record in the middle is named by its line
        List<String> lines = Files.readAllLines(b.resolve("metrics.jsonl"));
        lines.set(2, lines.get(2).substring(0, 20));
        Files.write(b.resolve("metrics.jsonl"), lines);
        oneLineError(run("plot", a.toString(), b.toString(), "--out", cmp.toString()), "metrics.jsonl line 3");
        lines.set(2, "null");
        Files.write(b.resolve("metrics.jsonl"), lines);
        oneLineError(run("plot", a.toString(), b.toString(), "--out", cmp.toString()), "metrics.jsonl line 3", "numeric step");
        lines.set(2, "{\"train_loss\": 1.0}");
        Files.write(b.resolve("metrics.jsonl"), lines);
        oneLineError(run("plot", a.toString(), b.toString(), "--out", cmp.toString()), "metrics.jsonl line 3", "numeric step");
        assertFalse(Files.exists(cmp), "nothing written");
        // comparison figures may not land in a run's own directory
        String before = Files.readString(a.resolve("metrics.jsonl"));
        oneLineError(run("plot", a.toString(), a.toString(), "--out", a.toString()), "run's directory", "another --out");
        assertEquals(before, Files.readString(a.resolve("metrics.jsonl")));
    }
}
