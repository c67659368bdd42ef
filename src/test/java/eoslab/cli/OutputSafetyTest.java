package eoslab.cli;

import eoslab.backend.cuda.CudaBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static eoslab.cli.CliErrorTest.oneLineError;
import static eoslab.cli.CliErrorTest.run;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * No command overwrites an earlier result, or writes among another command's files, unasked; a resumed
 * run refuses options it would otherwise ignore; a missing GPU is the user's error, not an internal one.
 */
class OutputSafetyTest {
    static final String[] SMALL = {"--data", "gaussian:k=3,dim=6,sep=3", "--n", "40", "--n-test", "10", "--hidden", "6", "--steps", "6",
            "--log-every", "3"};

    static String[] with(String[] a, String... b) {
        return SdCommandsTest.concat(a, b);
    }

    @Test
    void demoAndLyapunovKeepEarlierResultsUnlessForced(@TempDir Path tmp) throws Exception {
        // a train run in --out: the demo may not replace it without --force
        Path run = tmp.resolve("run");
        assertEquals(0, run(with(SdCommandsTest.concat(new String[]{"train"}, SMALL), "--out", run.toString())).code());
        String before = Files.readString(run.resolve("metrics.jsonl"));
        oneLineError(run("demo", "--steps", "1", "--out", run.toString()), "already holds a run", "--force");
        assertEquals(before, Files.readString(run.resolve("metrics.jsonl")), "untouched");
        // another command's files: not the demo's to write among
        Path other = tmp.resolve("other");
        Files.createDirectories(other);
        Files.writeString(other.resolve("prototypes.json"), "{}");
        oneLineError(run("demo", "--steps", "1", "--out", other.toString()), "holds other files", "prototypes.json");
        assertFalse(Files.exists(other.resolve("metrics.jsonl")));

        Path ly = tmp.resolve("ly");
        CliErrorTest.Run r = run("lyapunov", "--system", "henon", "--steps", "200", "--burn-in", "10", "--out", ly.toString());
        assertEquals(0, r.code(), r.err());
        String json = Files.readString(ly.resolve("lyapunov.json"));
        oneLineError(run("lyapunov", "--system", "henon", "--steps", "100", "--burn-in", "10", "--out", ly.toString()),
                "already holds a Lyapunov result", "--force");
        assertEquals(json, Files.readString(ly.resolve("lyapunov.json")), "untouched");
        r = run("lyapunov", "--system", "henon", "--steps", "100", "--burn-in", "10", "--out", ly.toString(), "--force");
        assertEquals(0, r.code(), r.err());
        assertNotEquals(json, Files.readString(ly.resolve("lyapunov.json")), "replaced when asked");
    }

    @Test
    void resumeRefusesOptionsItWouldIgnore(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        assertEquals(0, run(with(SdCommandsTest.concat(new String[]{"train"}, SMALL), "--out", run.toString())).code());
        String before = Files.readString(run.resolve("metrics.jsonl"));
        Path fork = tmp.resolve("fork");
        oneLineError(run("train", "--resume", run.toString(), "--steps", "9", "--out", fork.toString()), "--out", "--resume");
        oneLineError(run("train", "--resume", run.toString(), "--steps", "9", "--lr", "0.5"), "--lr", "saved configuration");
        assertFalse(Files.exists(fork));
        assertEquals(before, Files.readString(run.resolve("metrics.jsonl")), "the run is untouched");
        oneLineError(run("train", "--resume", tmp.resolve("nope").toString()), "nope", "no such file or directory");
        CliErrorTest.Run ok = run("train", "--resume", run.toString(), "--steps", "9", "--no-progress");
        assertEquals(0, ok.code(), ok.err());
    }

    @Test
    void aDivergingRunStopsWithTheDivergenceMessageNotAnEigenSolverError(@TempDir Path tmp) {
        // the loss reaches Infinity at a log step: no Lanczos or batch sharpness on that state, exit 3
        CliErrorTest.Run r = run("train", "--data", "gaussian:k=3,dim=6", "--n", "60", "--n-test", "20", "--hidden", "8", "--lr", "50",
                "--steps", "40", "--log-every", "1", "--optimizer", "sgd", "--batch-size", "10", "--batch-sharpness", "4",
                "--no-progress", "--out", tmp.resolve("d").toString());
        assertEquals(3, r.code(), r.err());
        assertTrue(r.err().contains("training diverged"), r.err());
        assertFalse(r.err().contains("internal error") || r.err().contains("eigen"), r.err());
    }

    @Test
    void cudaWithoutAGpuIsAUserError(@TempDir Path tmp) {
        assumeTrue(CudaBackend.unavailableReason() != null, "this machine has a usable GPU");
        CliErrorTest.Run r = run("demo", "--device", "cuda", "--steps", "1", "--out", tmp.resolve("c").toString());
        assertEquals(2, r.code(), r.err());
        oneLineError(r, "--device cuda");
        assertFalse(r.err().contains("internal error") || r.err().contains("Exception"), r.err());
        assertFalse(Files.exists(tmp.resolve("c")));
    }

    @Test
    void benchQrRunsWithItsCpuDefaultsAndRefusesTooLargeTensors() {
        CliErrorTest.Run r = run("bench", "qr", "--d", "3000", "--k", "4", "--warmup", "0", "--repeats", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("method=gram") && r.out().contains("method=cholqr2") && !r.out().contains("method=cusolver"), r.out());
        assertFalse(r.out().contains("NaN%"), "no percentage of an unknown peak: " + r.out());
        oneLineError(run("bench", "qr", "--d", "100000000", "--k", "32"), "--d 100000000", "2^31");
    }

    @Test
    void plotPointsIntoASweepDirectory(@TempDir Path tmp) throws Exception {
        Path sweep = tmp.resolve("sweep"), run = sweep.resolve("lr_0.1_bs_8");
        Files.createDirectories(run);
        Files.writeString(run.resolve("metrics.jsonl"), "");
        oneLineError(run("plot", sweep.toString()), "lr_0.1_bs_8", "subdirectories");
    }
}
