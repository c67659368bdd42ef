package eoslab.backend.cuda;

import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * Child-JVM entry point of {@link CudaLaunchLimitsEmulatorTest}: launches fill_f32 on the host
 * emulator at shapes just inside and just past the sm_80/sm_90 launch limits, and prints one line
 * per shape: "OK name" when the launch was accepted, "REFUSED name code" when cuLaunchKernel
 * returned an error (the raw status: Kernels.Module.launch itself would refuse any block but the
 * kernel's {@link Kernels#blockThreads}). The test compares the lines with what the real driver does.
 */
public final class LaunchLimitsEmulatorMain {
    public static void main(String[] args) {
        try (CudaBackend gpu = CudaBackend.open()) {
            Tensor x = gpu.zeros(DType.F32, 4);
            // n = 0: every thread's grid-stride loop is empty, so the legal big grids cost nothing.
            try_(gpu, x, "grid.y=65535", 1, 65535, 256, 1);
            try_(gpu, x, "grid.y=65536", 1, 65536, 256, 1);
            // (gridDim.x = 2^31 - 1 is legal but the emulator would run its blocks one by one: not probed.)
            try_(gpu, x, "grid.x=2^31", Integer.MIN_VALUE, 1, 1, 1);   // the int 2^31 read as unsigned
            try_(gpu, x, "block=1024x1", 1, 1, 1024, 1);
            try_(gpu, x, "block=1025x1", 1, 1, 1025, 1);
            try_(gpu, x, "block=1x1025", 1, 1, 1, 1025);
            try_(gpu, x, "block=1024x2", 1, 1, 1024, 2);
            try_(gpu, x, "block=65536x65536", 1, 1, 65536, 65536);     // 2^32 threads: wraps to 0 in 32 bits
            try_(gpu, x, "grid.y=0", 1, 0, 256, 1);
            // Module.launch refuses a block other than Kernels.blockThreads (the size the register check used).
            try {
                gpu.launch("fill_f32", 1, 1, 128, 1, gpu.ptr(x), 0L, 1f);
                System.out.println("OK fill_f32 block=128");
            } catch (IllegalStateException e) {
                System.out.println("REFUSED fill_f32 block=128 (blockThreads " + Kernels.blockThreads("fill_f32") + ")");
            }
            // embeddingBackward at C = 2^24 + 1: 65537 column blocks of 256, one past the grid's y limit.
            // Refused by the shape check before any tensor size is looked at, so tiny tensors do.
            Tensor tok = gpu.fromInts(new int[] {0});
            try {
                gpu.transformerKernels().embeddingBackward(tok, x, x, x, 1, 1, (1 << 24) + 1);
                System.out.println("OK embeddingBackward C=2^24+1");
            } catch (IllegalArgumentException e) {
                System.out.println("REFUSED embeddingBackward C=2^24+1 " + e.getMessage());
            }
            gpu.sync();
        }
        System.out.println("LIMITS DONE");
    }

    private static void try_(CudaBackend gpu, Tensor x, String name, int gx, int gy, int bx, int by) {
        // launchStatus: the raw cuLaunchKernel status, past Module.launch's own check of the block size.
        int st = gpu.module().launchStatus("fill_f32", gx, gy, bx, by, gpu.ptr(x), 0L, 1f);
        System.out.println(st == 0 ? "OK " + name : "REFUSED " + name + " " + st);
    }
}
