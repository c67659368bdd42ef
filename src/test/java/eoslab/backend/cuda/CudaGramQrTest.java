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
 * The one-pass float64 Gram kernel (kernels/gram.cu) and CholeskyQR2 with its cuSOLVER fallback on
 * a CUDA backend, by {@link GramQrChecks}: on a GPU where there is one, and always (where nvcc and
 * g++ exist) on the host emulator of native/emulator in a child JVM, as CudaEmulatorTest does. The
 * emulator checks indexing, the slab/tile/row-group logic, the fixed-order reductions and the
 * launch plumbing; only the GPU run checks real scheduling and speed.
 */
class CudaGramQrTest {
    @Test
    void gramAndCholeskyQr2OnTheHostEmulator() throws IOException, InterruptedException {
        assumeTrue(CudaKernelBuildTest.nvccPresent(), "no nvcc: no kernels.fatbin to load");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/g++")) || Files.isExecutable(Path.of("/usr/local/bin/g++")), "no g++");
        Path dir = Path.of("target/cuda-emulator-gram").toAbsolutePath();
        Process build = new ProcessBuilder("bash", "native/emulator/build.sh", dir.toString()).redirectErrorStream(true).start();
        String buildLog = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(build.waitFor(120, TimeUnit.SECONDS), "emulator build timed out");
        assertEquals(0, build.exitValue(), buildLog);

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = Path.of("target/classes").toAbsolutePath() + ":" + Path.of("target/test-classes").toAbsolutePath();
        Process p = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx1g",
                "-D" + NativeLibrary.LIBPATH_PROPERTY + "=" + dir, "-cp", cp, GramQrEmulatorMain.class.getName()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "emulator run timed out");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("GRAM QR OK"), out);
    }

    @Test
    void gramAndCholeskyQr2OnAGpu() {
        assumeTrue(CudaBackend.available() && Cusolver.loaded(), "no CUDA GPU with cuSOLVER");
        try (CudaBackend gpu = CudaBackend.open()) {
            GramQrChecks.run(gpu);
        }
    }
}
