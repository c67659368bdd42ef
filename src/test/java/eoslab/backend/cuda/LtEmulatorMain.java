package eoslab.backend.cuda;

/**
 * Child-JVM entry point of {@link CudaLtTest} on the host emulator (native/emulator, with its
 * libcublasLt.so.13): runs {@link LtChecks}; prints "LT OK" and exits 0 when they hold.
 */
public final class LtEmulatorMain {
    public static void main(String[] args) {
        try (CudaBackend gpu = CudaBackend.open()) {
            if (!gpu.deviceName().equals("eoslab host emulator")) throw new AssertionError("not the emulator: " + gpu.deviceName());
            LtChecks.run(gpu, true);
        } catch (Throwable e) {
            System.out.println("LT FAILED: " + e);
            e.printStackTrace(System.out);
            System.exit(1);
        }
        System.out.println("LT OK");
    }
}
