package eoslab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import eoslab.eos.PrototypeSet;
import eoslab.eos.branch.BranchConfig;
import eoslab.eos.branch.BranchExperiment;
import eoslab.eos.branch.BranchFigures;
import eoslab.eos.branch.BranchRun;
import eoslab.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** {@code eoslab branch} end to end on a tiny Gaussian task: every file, the summary, --replot, option errors. */
class BranchCommandTest {
    static String[] tinyArgs(Path out, String... extra) {
        String[] base = {"--data", "gaussian:k=2,dim=8,sep=3", "--n", "64", "--n-test", "32", "--hidden", "16,16", "--init-scale", "1",
                "--lr", "0.5", "--steps", "40", "--log-every", "4", "--seeds", "0,1", "--m", "2", "--k", "5", "--lanczos-steps", "12",
                "--out", out.toString()};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    static int exec(StringWriter err, String... args) {
        CommandLine cl = new CommandLine(new BranchCommand());
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void tinyRunWritesEveryFileAndReplotRebuildsTheSummary(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("exp");
        StringWriter err = new StringWriter();
        assertEquals(0, exec(err, tinyArgs(out)), err.toString());
        for (String f : new String[]{BranchExperiment.CONFIG, BranchExperiment.SUMMARY_MD, BranchExperiment.SUMMARY_JSON, BranchFigures.SHARPNESS,
                BranchFigures.LOSS, BranchFigures.DELTA, BranchFigures.COS2, BranchFigures.INFLUENCE, BranchFigures.SELECTOR}) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        for (String f : new String[]{BranchFigures.SHARPNESS, BranchFigures.LOSS, BranchFigures.DELTA}) {
            assertNotNull(ImageIO.read(out.resolve(f).toFile()), f + " is a readable PNG");
        }
        for (long seed : new long[]{0, 1}) {
            Path d = BranchExperiment.seedDir(out, seed);
            for (String f : new String[]{BranchExperiment.PROTOTYPES, BranchRun.BASELINE, BranchRun.EXIT, BranchRun.FORK}) assertTrue(Files.exists(d.resolve(f)), d + "/" + f);
            assertEquals(11, Files.readAllLines(d.resolve(BranchRun.BASELINE)).size(), "grid 0, 4, …, 40");
            assertEquals(16, PrototypeSet.load(d.resolve(BranchExperiment.PROTOTYPES)).tracked().length, "4 groups × 2 classes × m = 2");
        }
        JsonNode s = Json.readTree(out.resolve(BranchExperiment.SUMMARY_JSON));
        assertEquals(4, s.get("groups").size());
        assertEquals(2, s.get("seeds").size());
        assertFalse(s.get("seeds").get(0).get("t_star").isNull(), "this setting reaches the threshold");
        JsonNode conf = Json.readTree(out.resolve(BranchExperiment.CONFIG));
        assertEquals(0.25, conf.get("exit_lr").asDouble());
        assertEquals(4.0, conf.get("resolved").get("threshold").asDouble(), 1e-12);

        // --replot rebuilds the same table from the files alone
        String md = Files.readString(out.resolve(BranchExperiment.SUMMARY_MD));
        Files.delete(out.resolve(BranchExperiment.SUMMARY_MD));
        Files.delete(out.resolve(BranchFigures.DELTA));
        assertEquals(0, exec(err, "--replot", "--out", out.toString()), err.toString());
        assertEquals(md, Files.readString(out.resolve(BranchExperiment.SUMMARY_MD)));
        assertTrue(Files.exists(out.resolve(BranchFigures.DELTA)));

        // an existing experiment is not overwritten without --force
        StringWriter e2 = new StringWriter();
        assertNotEquals(0, exec(e2, tinyArgs(out)));
        assertTrue(e2.toString().contains("--force"), e2.toString());
    }

    @Test
    void presetsAndOverridesResolveAndBadOptionsAreRejected() {
        BranchCommand c = new BranchCommand();
        new CommandLine(c).parseArgs("--preset", "paper", "--data", "cifar10:/nowhere", "--optimizer", "sgd", "--c", "0.25");
        BranchConfig cfg = c.config();
        assertArrayEquals(new int[]{1, 9}, cfg.classes(), "CIFAR-10 automobile vs truck");
        assertEquals(128, cfg.batchSize(), "SGD defaults to the paper's batch 128");
        assertEquals(0.0025, cfg.exitLr(), 1e-15);
        assertEquals(10_000, cfg.steps());
        assertEquals(5, cfg.seeds().length);
        assertEquals("paper+overrides", cfg.preset());

        BranchCommand d = new BranchCommand();
        new CommandLine(d).parseArgs("--random-direction", "--alpha", "10", "--loss", "ce");
        BranchConfig cpu = d.config();
        assertTrue(cpu.prototypes().randomDirection());
        assertEquals(10, cpu.prototypes().alpha());
        assertEquals("ce", cpu.lossName());
        assertArrayEquals(new int[]{2, 4}, cpu.classes());

        for (String[] bad : new String[][]{{"--classes", "1,2,3"}, {"--c", "0"}, {"--optimizer", "sgd", "--batch-size", "0"}, {"--seeds", "1,1"},
                {"--preset", "huge"}, {"--log-every", "0"}}) {
            BranchCommand b = new BranchCommand();
            new CommandLine(b).parseArgs(bad);
            assertThrows(eoslab.util.UserError.class, b::config, String.join(" ", bad));
        }
    }
}
