package eoslab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import eoslab.eos.branch.BranchExperiment;
import eoslab.eos.branch.BranchRun;
import eoslab.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** {@code eoslab branch --model}: the App. C architecture ablations run end to end on tiny image data. */
class BranchModelOptionsTest {
    /** 40 Fashion-MNIST pullovers/coats of the committed subset, 4 steps, grid every 4: a few seconds. */
    static String[] tinyImageArgs(Path out, String... extra) {
        String[] base = {"--data", "fashion-mnist", "--n", "40", "--n-test", "20", "--init-scale", "1", "--lr", "0.05", "--steps", "4",
                "--log-every", "4", "--seeds", "0", "--m", "2", "--k", "5", "--lanczos-steps", "8", "--out", out.toString()};
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
    void tinyCnnBranchRunWritesItsFiles(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("cnn");
        StringWriter err = new StringWriter();
        assertEquals(0, exec(err, tinyImageArgs(out, "--model", "cnn", "--hidden", "4,4,4,8")), err.toString());
        JsonNode conf = Json.readTree(out.resolve(BranchExperiment.CONFIG));
        assertEquals("cnn", conf.get("model").asText());
        // conv 1→4, 4→4, 4→4 (3x3, biases) + fc 4·7·7→8 + 8→2: 40+148+148+1576+18 = 1930 parameters
        assertEquals(1930, conf.get("resolved").get("parameters").asInt());
        assertTrue(conf.get("resolved").get("model").asText().startsWith("CNN 1x28x28"), conf.get("resolved").get("model").asText());
        Path d = BranchExperiment.seedDir(out, 0);
        assertEquals(2, Files.readAllLines(d.resolve(BranchRun.BASELINE)).size(), "grid 0, 4");
        assertTrue(Files.size(out.resolve(BranchExperiment.SUMMARY_MD)) > 0);
    }

    @Test
    void convolutionalModelsNeedImageDataAndTheirOwnWidths(@TempDir Path tmp) {
        StringWriter err = new StringWriter();
        assertNotEquals(0, exec(err, tinyImageArgs(tmp.resolve("a"), "--model", "cnn", "--hidden", "4,4")));
        assertTrue(err.toString().contains("--model cnn takes --hidden with 4 widths"), err.toString());
        err = new StringWriter();
        assertNotEquals(0, exec(err, "--data", "gaussian:k=2,dim=8,sep=3", "--n", "64", "--n-test", "32", "--model", "resnet14", "--m", "2", "--k", "5",
                "--steps", "4", "--log-every", "4", "--out", tmp.resolve("b").toString()));
        assertTrue(err.toString().contains("needs image data"), err.toString());
        err = new StringWriter();
        assertNotEquals(0, exec(err, tinyImageArgs(tmp.resolve("c"), "--model", "vit")));
        assertTrue(err.toString().contains("--model must be one of mlp, cnn, resnet14"), err.toString());
    }

    @Test
    void analysisOptionsAreOffByDefaultAndResolve() {
        BranchCommand a = new BranchCommand();
        new CommandLine(a).parseArgs();
        assertEquals(0, a.config().naturalEvery());
        assertFalse(a.config().robustness());
        assertEquals("cpu", a.config().preset(), "the analyses do not make the preset custom");
        BranchCommand b = new BranchCommand();
        new CommandLine(b).parseArgs("--natural-outliers", "--natural-every", "3", "--robustness", "--model", "resnet14");
        assertEquals(3, b.config().naturalEvery());
        assertTrue(b.config().robustness());
        assertEquals(0, b.config().hidden().length, "resnet14 without --hidden takes the paper's 16,32,64, not the preset's MLP widths");
        BranchCommand c = new BranchCommand();
        new CommandLine(c).parseArgs("--natural-every", "3");
        assertThrows(eoslab.util.UserError.class, c::config, "--natural-every needs --natural-outliers");
    }
}
