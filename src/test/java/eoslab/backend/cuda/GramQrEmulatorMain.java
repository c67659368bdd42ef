package eoslab.backend.cuda;

/**
 * Child-JVM entry point of {@link CudaGramQrTest} on the host emulator (native/emulator): runs
 * {@link GramQrChecks} on an emulated CudaBackend; prints "GRAM QR OK" and exits 0 when they hold.
 */
public final class GramQrEmulatorMain {
    public static void main(String[] args) {
        try (CudaBackend gpu = CudaBackend.open()) {
            if (!gpu.deviceName().equals("eoslab host emulator")) throw new AssertionError("not the emulator: " + gpu.deviceName());
            GramQrChecks.run(gpu);
        } catch (Throwable e) {
            System.out.println("GRAM QR FAILED: " + e);
            e.printStackTrace(System.out);
            System.exit(1);
        }
        System.out.println("GRAM QR OK");
    }
}
