package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The host emulator's cuLaunchKernel refuses what an sm_80/sm_90 GPU refuses (blockDim.x,y ≤ 1024,
 * ≤ 1024 threads per block, gridDim.y,z ≤ 65535, gridDim.x ≤ 2^31 − 1) with the driver's
 * CUDA_ERROR_INVALID_VALUE (1), so a launch shape that only a GPU would reject fails in CI too.
 * Each limit is probed on both sides: the legal edge must run, one past it must be refused.
 */
class CudaLaunchLimitsEmulatorTest {
    @Test
    void emulatorEnforcesTheHardwareLaunchLimits() throws IOException, InterruptedException {
        String out = HostEmulator.run(LaunchLimitsEmulatorMain.class, "256m", 120);
        for (String ok : new String[] {"grid.y=65535", "block=1024x1"}) assertTrue(out.contains("OK " + ok + "\n"), ok + " must launch:\n" + out);
        for (String bad : new String[] {"grid.y=65536", "grid.x=2^31", "block=1025x1", "block=1x1025", "block=1024x2", "block=65536x65536", "grid.y=0"})
            assertTrue(out.contains("REFUSED " + bad + " 1\n"), bad + " must be refused with CUDA_ERROR_INVALID_VALUE:\n" + out);
        assertTrue(out.contains("REFUSED fill_f32 block=128 (blockThreads 256)"), out);
        assertTrue(out.contains("REFUSED embeddingBackward C=2^24+1 embeddingBackward: C = 16777217 needs more than 65535 column blocks"), out);
        assertTrue(out.contains("LIMITS DONE"), out);
    }
}
