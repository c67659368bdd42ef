package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The device allocator under memory pressure, on the host emulator with 64 MiB of "device" memory:
 * tensors that were dropped but not yet collected must come back when an allocation runs out (the
 * JVM does not collect because the device is full), and an allocation that cannot fit must end in
 * one out-of-memory error, not a hang.
 */
class CudaAllocatorEmulatorTest {
    static final long DEVICE_BYTES = 64L << 20;

    @Test
    void droppedTensorsComeBackWhenTheDeviceIsFull() throws Exception {
        String out = HostEmulator.run(Main.class, "512m", 120, Map.of("EOSLAB_EMULATOR_MEMORY", Long.toString(DEVICE_BYTES)));
        assertTrue(out.contains("ALLOCATOR OK"), out);
    }

    /** Child-JVM entry point: prints "ALLOCATOR OK" and exits 0 when the checks hold. */
    public static final class Main {
        public static void main(String[] args) {
            try (CudaBackend gpu = CudaBackend.open()) {
                if (!gpu.deviceName().equals("eoslab host emulator")) throw new AssertionError("not the emulator: " + gpu.deviceName());
                // 40 MB and 36 MB tensors, each dropped before the next: only one fits at a time, so
                // every allocation after the first needs the previous block back (same size class:
                // from the cache; the other size: after the cache is freed)
                for (int i = 0; i < 6; i++) {
                    long n = (i % 2 == 0 ? 10L : 9L) << 20;   // floats
                    Tensor t = gpu.zeros(DType.F32, n);
                    gpu.fill(t, i + 1);
                    double s = gpu.dot(t, t), want = (double) n * (i + 1) * (i + 1);
                    if (s != want) throw new AssertionError("tensor " + i + ": sum of squares " + s + ", expected " + want);
                }
                Tensor keep = gpu.zeros(DType.F32, 10L << 20);
                try {
                    gpu.zeros(DType.F32, 10L << 20);   // 80 MB live > 64 MiB: must fail, once
                    throw new AssertionError("allocated more than the device has");
                } catch (CudaException e) {
                    if (!e.getMessage().contains("OUT_OF_MEMORY")) throw new AssertionError("unexpected error: " + e.getMessage());
                }
                if (keep.size != 10L << 20) throw new AssertionError("kept tensor lost");
            } catch (Throwable e) {
                System.out.println("ALLOCATOR FAILED: " + e);
                e.printStackTrace(System.out);
                System.exit(1);
            }
            System.out.println("ALLOCATOR OK");
        }
    }
}
