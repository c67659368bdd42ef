package eoslab.backend.cuda;

import java.util.List;

/**
 * Child-JVM entry point of {@link CudaAdamWEmulatorTest}: with {@code -Deoslab.cuda.libpath}
 * pointing at the host emulator, run {@link AdamWChecks} on CudaBackend. Prints "ADAMW OK" and
 * exits 0 when every case gave the CPU's bits.
 */
public final class AdamWEmulatorMain {
    public static void main(String[] args) {
        List<String> fails;
        try (CudaBackend gpu = CudaBackend.open()) {
            fails = AdamWChecks.run(gpu, System.out);
        }
        for (String f : fails) System.out.println("FAIL " + f);
        if (!fails.isEmpty()) System.exit(1);
        System.out.println("ADAMW OK");
    }
}
