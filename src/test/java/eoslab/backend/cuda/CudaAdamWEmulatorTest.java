package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;


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
        String out = HostEmulator.run(AdamWEmulatorMain.class, "512m", 120);
        assertTrue(out.contains("adamw: 28 cases, 0 failed"), out);
        assertTrue(out.contains("ADAMW OK"), out);
    }
}
