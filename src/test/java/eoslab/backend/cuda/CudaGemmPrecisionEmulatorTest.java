package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;


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
        String out = HostEmulator.run(GemmPrecisionEmulatorMain.class, "512m", 120);
        assertTrue(out.contains("gemm bf16:") && out.contains("gemm tf32:"), out);
        assertTrue(out.contains("PRECISION OK"), out);
    }
}
