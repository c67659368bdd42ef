package eoslab.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The lean runtime image (native/dist/build-dist.sh with EOSLAB_DIST_PLOTS=0) has no java.desktop:
 * a command run on it must still finish, write its data files, skip its PNGs and say so once. Checked
 * in a child JVM whose observable modules are limited to the ones that image links.
 */
class LeanRuntimeTest {
    @Test
    void trainRunsWithoutJavaDesktopAndSkipsOnlyThePlots(@TempDir Path tmp) throws Exception {
        Path text = GptTrainCommandTest.corpus(tmp), out = tmp.resolve("run");
        String log = eoslab(GptTrainCommandTest.tiny(text, "adamw", 2, out));
        assertEquals(1, log.split("plots skipped", -1).length - 1, "one note, however many plots: " + log);
        assertFalse(log.contains(".png"), "the file list names no PNG: " + log);
        eoslab(List.of("train", "--resume", out.toString(), "--steps", "3"));   // reads config.json back (Jackson)
        for (String f : List.of("config.json", "metrics.jsonl", "checkpoint.safetensors", "summary.json")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        assertFalse(Files.exists(out.resolve("loss.png")));
        assertFalse(Files.exists(out.resolve("sharpness.png")));
        assertEquals(4, Files.readAllLines(out.resolve("metrics.jsonl")).size(), "steps 0..3 after the resume");
    }

    /** eoslab's main in a child JVM on the lean image's modules; its output, after checking it exited 0. */
    private static String eoslab(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--limit-modules", "java.base,java.logging,java.xml,jdk.incubator.vector", "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child did not finish");
        assertEquals(0, p.exitValue(), log);
        return log;
    }
}
