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
 * CudaBackend's BF16/TF32 GEMMs (cublasGemmEx, cublasGemmStridedBatchedEx) end to end on the host
 * emulator (native/emulator, as {@link CudaEmulatorTest}): the FFM descriptors as called, the
 * row-major → column-major operand swap with the extra type arguments, the compute type chosen
 * per precision, and the C-broadcast loop, against CpuGemm at the same precision with the tight
 * same-rounding tolerance of {@link GemmPrecisionChecks}. What it cannot check is what real
 * cuBLAS does with the compute type; {@link CudaGemmPrecisionParityTest} does on a GPU.
 */
class CudaGemmPrecisionEmulatorTest {
    @Test
    void bf16AndTf32GemmsMatchTheCpuOnTheHostEmulator() throws IOException, InterruptedException {
        assumeTrue(CudaKernelBuildTest.nvccPresent(), "no nvcc: no kernels.fatbin to load");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/g++")) || Files.isExecutable(Path.of("/usr/local/bin/g++")), "no g++");
        Path dir = Path.of("target/cuda-emulator-precision").toAbsolutePath();
        Process build = new ProcessBuilder("bash", "native/emulator/build.sh", dir.toString()).redirectErrorStream(true).start();
        String buildLog = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(build.waitFor(120, TimeUnit.SECONDS), "emulator build timed out");
        assertEquals(0, build.exitValue(), buildLog);

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = Path.of("target/classes").toAbsolutePath() + ":" + Path.of("target/test-classes").toAbsolutePath();
        Process p = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx512m",
                "-D" + NativeLibrary.LIBPATH_PROPERTY + "=" + dir, "-cp", cp, GemmPrecisionEmulatorMain.class.getName()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "emulator run timed out");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("gemm bf16:") && out.contains("gemm tf32:"), out);
        assertTrue(out.contains("PRECISION OK"), out);
    }
}
