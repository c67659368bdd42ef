package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * BF16 and TF32 GEMMs on a real GPU (cuBLAS tensor cores) against CpuGemm at the same precision,
 * with the tolerance derived in {@link GemmPrecisionChecks} for a cuBLAS that may round, truncate
 * or skip either operand, or use TF32 under FAST_16BF: |gpu − cpu| ≤ (6u + 5u² + (3K + 8)·2⁻²⁴)·
 * (|α||A||B| + |β C₀|). Skipped, not failed, where there is no GPU.
 */
class CudaGemmPrecisionParityTest {
    @Test
    void bf16AndTf32GemmsAgreeWithTheCpuEmulation() {
        assumeTrue(CudaBackend.available(), () -> "no CUDA GPU: " + CudaBackend.unavailableReason());
        try (CudaBackend gpu = CudaBackend.open()) {
            List<String> fails = GemmPrecisionChecks.run(gpu, false, System.out);
            assertTrue(fails.isEmpty(), String.join("\n", fails));
        }
    }
}
