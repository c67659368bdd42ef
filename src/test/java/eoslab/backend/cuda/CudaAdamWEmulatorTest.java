package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * CudaBackend's AdamW kernels (kernels/optim.cu: adamw_update, adamw_tangents) end to end on the
 * host emulator (native/emulator, as {@link CudaEmulatorTest}): the launches' kernelParams by the
 * kernels' own C++ types, view offsets, and the arithmetic, against CpuBackend bit for bit
 * ({@link AdamWChecks}). Skipped where the emulator cannot be built (no nvcc for the fatbin, or no
 * g++). {@link CudaAdamWParityTest} runs the same checks on a GPU.
 */
class CudaAdamWEmulatorTest {
    @Test
    void adamwKernelsGiveTheCpuBitsOnTheHostEmulator() throws IOException, InterruptedException {
        assumeTrue(CudaKernelBuildTest.nvccPresent(), "no nvcc: no kernels.fatbin to load");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/g++")) || Files.isExecutable(Path.of("/usr/local/bin/g++")), "no g++");
        Path dir = Path.of("target/cuda-emulator-adamw").toAbsolutePath();
        Process build = new ProcessBuilder("bash", "native/emulator/build.sh", dir.toString()).redirectErrorStream(true).start();
        String buildLog = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(build.waitFor(120, TimeUnit.SECONDS), "emulator build timed out");
        assertEquals(0, build.exitValue(), buildLog);

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = Path.of("target/classes").toAbsolutePath() + ":" + Path.of("target/test-classes").toAbsolutePath();
        Process p = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx512m",
                "-D" + NativeLibrary.LIBPATH_PROPERTY + "=" + dir, "-cp", cp, AdamWEmulatorMain.class.getName()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "emulator run timed out");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("adamw: 28 cases, 0 failed"), out);
        assertTrue(out.contains("ADAMW OK"), out);
    }
}
