package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * cuBLASLt's bias epilogue for linear layers ({@link LtChecks}): always on the host emulator (where
 * nvcc and g++ exist), and on a GPU where there is one with libcublasLt.
 */
class CudaLtTest {
    @Test
    void biasEpilogueOnTheHostEmulator() throws IOException, InterruptedException {
        String out = HostEmulator.run(LtEmulatorMain.class, "1g", 180);
        assertTrue(out.contains("LT OK"), out);
    }

    @Test
    void biasEpilogueOnAGpu() {
        assumeTrue(CudaBackend.available() && CublasLt.loaded(), "no CUDA GPU with cuBLASLt");
        try (CudaBackend gpu = CudaBackend.open()) {
            LtChecks.run(gpu, false);
        }
    }
}
