package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The AdamW kernels on a real GPU against CpuBackend, bit for bit ({@link AdamWChecks}: float64
 * +, −, ×, ÷ and √ are IEEE round-to-nearest on the GPU and the kernels are built with
 * --fmad=false). Skipped, not failed, where there is no GPU.
 */
class CudaAdamWParityTest {
    @Test
    void adamwKernelsGiveTheCpuBits() {
        assumeTrue(CudaBackend.available(), () -> "no CUDA GPU: " + CudaBackend.unavailableReason());
        try (CudaBackend gpu = CudaBackend.open()) {
            List<String> fails = AdamWChecks.run(gpu, System.out);
            assertTrue(fails.isEmpty(), String.join("\n", fails));
        }
    }
}
