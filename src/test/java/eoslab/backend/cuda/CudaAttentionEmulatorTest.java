package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * kernels/attention.cu against {@link eoslab.gpt.CpuAttention} on the host emulator (native/emulator:
 * the .cu compiled for the CPU, block threads as coroutines, __syncthreads a yield), as
 * {@link CudaEmulatorTest} does for the Backend kernels: a child JVM runs {@link AttentionEmulatorMain}
 * (tolerances there). Skipped without nvcc (no fatbin to load) or g++. The same cases run in process
 * on a real GPU when one is available (what the emulator cannot check: GPU arithmetic, scheduling,
 * races, the SASS). Also checks that the tile constants of attention.cu and {@link CudaAttention} agree.
 */
class CudaAttentionEmulatorTest {
    @Test
    void tileConstantsMatchJava() throws IOException {
        assumeTrue(Files.isRegularFile(Path.of("kernels/attention.cu")), "no kernels/attention.cu here (not the source tree)");
        String src = Files.readString(Path.of("kernels/attention.cu"));
        assertEquals(CudaAttention.TILE_F32, define(src, "ATT_TILE_F32"));
        assertEquals(CudaAttention.TILE_F64, define(src, "ATT_TILE_F64"));
        assertEquals(CudaAttention.HS_MAX, define(src, "ATT_HS_MAX"));
        assertTrue(Files.readString(Path.of("kernels/eoslab.cu")).contains("#include \"attention.cu\""));
    }

    static int define(String src, String name) {
        Matcher m = Pattern.compile("#define " + name + " (\\d+)").matcher(src);
        assertTrue(m.find(), name + " not defined in kernels/attention.cu");
        return Integer.parseInt(m.group(1));
    }

    @Test
    void attentionKernelsMatchTheCpuReferenceOnAGpu() {
        assumeTrue(CudaBackend.available(), "no CUDA GPU: " + CudaBackend.unavailableReason());
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        int failures;
        try (CudaBackend gpu = CudaBackend.open()) {
            failures = AttentionEmulatorMain.check(gpu, new java.io.PrintStream(log, true, StandardCharsets.UTF_8));
        }
        assertEquals(0, failures, log.toString(StandardCharsets.UTF_8));
    }

    @Test
    void attentionKernelsMatchTheCpuReferenceOnTheEmulator() throws IOException, InterruptedException {
        String out = HostEmulator.run(AttentionEmulatorMain.class, "1g", 180);
        assertTrue(out.contains("ATTENTION OK"), out);
    }
}
