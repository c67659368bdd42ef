package eoslab.backend.cuda;

import java.util.List;

/**
 * Child-JVM entry point of {@link CudaGemmPrecisionEmulatorTest}: with {@code -Deoslab.cuda.libpath}
 * pointing at the host emulator, run {@link GemmPrecisionChecks} on CudaBackend with the tight
 * same-rounding tolerance (the emulated cublasGemmEx rounds like CpuGemm). Prints
 * "PRECISION OK" and exits 0 when every case held.
 */
public final class GemmPrecisionEmulatorMain {
    public static void main(String[] args) {
        List<String> fails;
        try (CudaBackend gpu = CudaBackend.open()) {
            fails = GemmPrecisionChecks.run(gpu, true, System.out);
        }
        for (String f : fails) System.out.println("FAIL " + f);
        if (!fails.isEmpty()) System.exit(1);
        System.out.println("PRECISION OK");
    }
}
