package eoslab.backend.cuda;

/**
 * Child-JVM entry point of CudaTransformerKernelsTest: with {@code -Deoslab.cuda.libpath} pointing
 * at the host emulator (native/emulator), run {@link TransformerChecks} on CudaBackend. Prints
 * "TRANSFORMER OK" and exits 0 when everything held.
 */
public final class TransformerEmulatorMain {
    public static void main(String[] args) {
        if (CudaBackend.unavailableReason() != null) fail("CUDA unavailable: " + CudaBackend.unavailableReason());
        try (CudaBackend gpu = CudaBackend.open()) {
            if (eoslab.gpt.TransformerKernels.of(gpu) != gpu.transformerKernels()) fail("TransformerKernels.of(cuda) is not the backend's kernels");
            TransformerChecks.run(gpu, System.out, 1);
        } catch (AssertionError | RuntimeException e) {
            e.printStackTrace(System.out);
            fail(e.toString());
        }
        System.out.println("TRANSFORMER OK");
    }

    private static void fail(String why) {
        System.out.println("TRANSFORMER FAILED: " + why);
        System.exit(1);
    }
}
