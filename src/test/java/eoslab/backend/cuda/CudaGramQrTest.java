package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;


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
        String out = HostEmulator.run(GramQrEmulatorMain.class, "1g", 180);
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
