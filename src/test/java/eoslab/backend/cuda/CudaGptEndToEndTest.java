package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * GPT training and the Lyapunov tracker end to end on the CUDA backend against the CPU
 * ({@link GptEndToEndMain}: cases and tolerances there): on the host emulator in a child JVM (as
 * {@link CudaEmulatorTest}; skipped without nvcc or g++) and in process on a GPU.
 */
class CudaGptEndToEndTest {
    @Test
    void onTheGpu() throws IOException {   // no @TempDir parameter: bin/eoslab-test selects it as CudaGptEndToEndTest#onTheGpu
        assumeTrue(CudaBackend.available(), () -> "no CUDA GPU: " + CudaBackend.unavailableReason());
        Path tmp = Files.createTempDirectory("eoslab-gpt-e2e");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<String> fails = GptEndToEndMain.run(tmp, new PrintStream(log, true, StandardCharsets.UTF_8));
        System.out.print(log.toString(StandardCharsets.UTF_8));
        assertTrue(fails.isEmpty(), String.join("\n", fails));
    }

    @Test
    void onTheHostEmulator() throws IOException, InterruptedException {
        assumeTrue(CudaKernelBuildTest.nvccPresent(), "no nvcc: no kernels.fatbin to load");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/g++")) || Files.isExecutable(Path.of("/usr/local/bin/g++")), "no g++");
        Path dir = Path.of("target/cuda-emulator-gpt").toAbsolutePath();
        Process build = new ProcessBuilder("bash", "native/emulator/build.sh", dir.toString()).redirectErrorStream(true).start();
        String buildLog = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(build.waitFor(120, TimeUnit.SECONDS), "emulator build timed out");
        assertEquals(0, build.exitValue(), buildLog);

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");   // the test classpath: classes, test classes and the dependencies (Jackson, picocli, XChart)
        Process p = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx1g",
                "-Djava.awt.headless=true", "-D" + NativeLibrary.LIBPATH_PROPERTY + "=" + dir, "-cp", cp, GptEndToEndMain.class.getName()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(240, TimeUnit.SECONDS), "emulator run timed out");
        System.out.println(out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("GPT END TO END OK"), out);
    }
}
