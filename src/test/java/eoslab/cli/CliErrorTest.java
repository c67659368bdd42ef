package eoslab.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Bad input gets one clear error line that names the option or file, a non-zero exit, no stack
 * trace, and no output files.
 */
class CliErrorTest {
    record Run(int code, String err, String out) {
    }

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter(), out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream sysOut = new ByteArrayOutputStream(), sysErr = new ByteArrayOutputStream();
        System.setOut(new PrintStream(sysOut, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(sysErr, true, StandardCharsets.UTF_8));
        try {
            int code = cl.execute(args);
            return new Run(code, err + sysErr.toString(StandardCharsets.UTF_8), out + sysOut.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** The error output, minus the device log line, is exactly one line containing every fragment. */
    static void oneLineError(Run r, String... fragments) {
        assertNotEquals(0, r.code, "non-zero exit");
        String[] lines = r.err.lines().filter(l -> !l.startsWith("eoslab: device")).toArray(String[]::new);
        assertTrue(lines.length >= 1, "an error line: [" + r.err + "] out: [" + r.out + "] code " + r.code);
        assertTrue(lines[0].startsWith("eoslab: error: "), lines[0]);
        for (String f : fragments) assertTrue(lines[0].contains(f), "'" + f + "' in: " + lines[0]);
        assertFalse(r.err.contains("\tat ") || r.err.contains("Exception in"), "no stack trace: " + r.err);
    }

    @Test
    void badOptionValuesNameTheOption(@TempDir Path tmp) {
        Path out = tmp.resolve("run");
        oneLineError(run("train", "--lr", "-1", "--out", out.toString()), "--lr");
        oneLineError(run("train", "--optimizer", "adamw", "--out", out.toString()), "--optimizer");
        oneLineError(run("train", "--hidden", "512,x", "--out", out.toString()), "--hidden");
        oneLineError(run("train", "--steps", "0", "--out", out.toString()), "--steps");
        oneLineError(run("train", "--activation", "swish", "--out", out.toString()), "swish");
        oneLineError(run("train", "--optimizer", "sgd", "--out", out.toString()), "--batch-size");
        oneLineError(run("train", "--device", "tpu", "--out", out.toString()), "tpu");
        assertFalse(Files.exists(out), "nothing written for a rejected configuration");
    }

    @Test
    void badDataNamesTheDataAndWritesNothing(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        oneLineError(run("train", "--data", "mnist:" + tmp.resolve("nowhere"), "--out", out.toString()), "nowhere");
        oneLineError(run("train", "--classes", "2,11", "--out", out.toString()), "11");
        oneLineError(run("train", "--n", "999999", "--out", out.toString()), "999999");
        // a truncated IDX file
        Path dir = tmp.resolve("idx");
        Files.createDirectories(dir);
        for (String f : new String[]{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
            Files.write(dir.resolve(f), new byte[]{0, 0, 8, 3, 0, 0, 0, 5});
        }
        oneLineError(run("train", "--data", "mnist:" + dir, "--out", out.toString()), "train-images-idx3-ubyte");
        assertFalse(Files.exists(out), "nothing written for bad data");
    }

    @Test
    void badCheckpointsAreRejectedInOneLine(@TempDir Path tmp) throws Exception {
        Path bogus = tmp.resolve("bogus.safetensors");
        Files.write(bogus, "this is not a safetensors file".getBytes(StandardCharsets.UTF_8));
        oneLineError(run("hessian", bogus.toString()), "bogus.safetensors");
        oneLineError(run("hessian", tmp.resolve("missing").toString()), "missing");
        oneLineError(run("train", "--resume", tmp.resolve("missing").toString()), "missing");
    }

    @Test
    void unknownOptionsPrintUsageHint() {
        Run r = run("train", "--learning-rate", "0.1");
        assertEquals(2, r.code);
        assertTrue(r.err.startsWith("eoslab: error: Unknown option") && r.err.contains("'--learning-rate'"), r.err);
        assertTrue(r.err.contains("eoslab train --help"), "points to the help: " + r.err);
        assertFalse(r.err.contains("\tat "));
    }

    @Test
    void existingRunIsNotOverwrittenSilently(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        Files.createDirectories(out);
        Files.writeString(out.resolve("metrics.jsonl"), "{\"step\":0}\n");
        oneLineError(run("train", "--data", "gaussian:k=2,dim=4", "--n", "32", "--hidden", "4", "--steps", "2", "--out", out.toString()), "--resume", "--force");
        assertEquals("{\"step\":0}\n", Files.readString(out.resolve("metrics.jsonl")));
    }
}
