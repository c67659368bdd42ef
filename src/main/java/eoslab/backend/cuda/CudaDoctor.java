package eoslab.backend.cuda;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import eoslab.backend.CpuBackend;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code eoslab doctor} says about CUDA: driver, devices, cuBLAS/cuSOLVER, kernels, and a
 * parity run of every Backend op on the GPU against the CPU reference. Works (and says what is
 * missing) on machines without any of it.
 */
public final class CudaDoctor {
    private CudaDoctor() {
    }

    /** One visible GPU. Memory in bytes; free memory only for the device the doctor opened (else -1). */
    public record Device(int ordinal, String name, int ccMajor, int ccMinor, int multiprocessors, long totalMemory) {
    }

    /**
     * The environment. Versions are the libraries' encoded integers (driver 13000 = 13.0) or
     * "major.minor.patch" strings; null when not found. {@code problem} is why CUDA cannot be used,
     * or null.
     */
    public record Report(String driverLibrary, int driverVersion, List<Device> devices, String cublasLibrary,
                         String cublasVersion, String cusolverLibrary, String cusolverVersion, String cublasLtLibrary,
                         boolean kernels, int kernelBytes, String problem) {
        public String format() {
            StringBuilder s = new StringBuilder();
            s.append("CUDA driver : ").append(driverLibrary == null ? "not found (libcuda.so.1)"
                    : driverLibrary + ", CUDA " + driverVersion / 1000 + "." + driverVersion % 1000 / 10).append('\n');
            if (devices.isEmpty()) s.append("GPUs        : none\n");
            for (Device d : devices) {
                s.append(String.format("GPU %-8d: %s, compute capability %d.%d, %d SMs, %.1f GiB%n", d.ordinal(), d.name(),
                        d.ccMajor(), d.ccMinor(), d.multiprocessors(), d.totalMemory() / (double) (1L << 30)));
            }
            s.append("cuBLAS      : ").append(cublasLibrary == null ? "not found" : cublasLibrary + " " + cublasVersion).append('\n');
            s.append("cuSOLVER    : ").append(cusolverLibrary == null ? "not found" : cusolverLibrary + " " + cusolverVersion).append('\n');
            s.append("cuBLASLt    : ").append(cublasLtLibrary == null ? "not found (optional: -Deoslab.cuda.lt=true needs it)"
                    : cublasLtLibrary + (Boolean.getBoolean("eoslab.cuda.lt") ? ", bias epilogue on (-Deoslab.cuda.lt=true)" : ", bias epilogue off (-Deoslab.cuda.lt=true turns it on)")).append('\n');
            s.append("kernels     : ").append(kernels ? Kernels.FATBIN + " (" + kernelBytes + " bytes, sm_80 sm_90 compute_90)"
                    : "missing (built without nvcc)").append('\n');
            s.append("CUDA usable : ").append(problem == null ? "yes" : "no: " + problem).append('\n');
            return s.toString();
        }
    }

    public static Report report() {
        String driverLib = CudaDriver.loaded() ? CudaDriver.LIB.loadedName : null;
        int driverVersion = 0;
        List<Device> devices = new ArrayList<>();
        if (driverLib != null) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment i = a.allocate(JAVA_INT);
                if (CudaDriver.cuDriverGetVersion(i) == 0) driverVersion = i.get(JAVA_INT, 0);
                if (CudaDriver.cuInit(0) == 0 && CudaDriver.cuDeviceGetCount(i) == 0) {
                    int count = i.get(JAVA_INT, 0);
                    for (int o = 0; o < count; o++) devices.add(device(a, o));
                }
            } catch (RuntimeException e) {
                // reported through problem below
            }
        }
        String cublasVersion = Cublas.loaded() ? libraryVersion(true) : null;
        String cusolverVersion = Cusolver.loaded() ? libraryVersion(false) : null;
        byte[] fatbin = Kernels.fatbin();
        boolean kernels = Kernels.isFatbin(fatbin);
        return new Report(driverLib, driverVersion, devices, Cublas.loaded() ? Cublas.LIB.loadedName : null, cublasVersion,
                Cusolver.loaded() ? Cusolver.LIB.loadedName : null, cusolverVersion, CublasLt.loaded() ? CublasLt.LIB.loadedName : null,
                kernels, fatbin == null ? 0 : fatbin.length,
                CudaBackend.unavailableReason());
    }

    private static Device device(Arena a, int ordinal) {
        MemorySegment i = a.allocate(JAVA_INT), l = a.allocate(JAVA_LONG);
        CudaStatus.check("cuDeviceGet", CudaDriver.cuDeviceGet(i, ordinal));
        int dev = i.get(JAVA_INT, 0);
        int[] attr = new int[3];
        int[] ids = {CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                CudaDriver.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT};
        for (int k = 0; k < 3; k++) {
            CudaStatus.check("cuDeviceGetAttribute", CudaDriver.cuDeviceGetAttribute(i, ids[k], dev));
            attr[k] = i.get(JAVA_INT, 0);
        }
        CudaStatus.check("cuDeviceTotalMem_v2", CudaDriver.cuDeviceTotalMem_v2(l, dev));
        return new Device(ordinal, CudaBackend.deviceName(dev), attr[0], attr[1], attr[2], l.get(JAVA_LONG, 0));
    }

    /** "13.1.0" from {cublas,cusolver}GetProperty (needs no GPU), or why not. */
    private static String libraryVersion(boolean cublas) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            int[] parts = new int[3];
            for (int p = 0; p < 3; p++) {
                int st = cublas ? Cublas.cublasGetProperty(p, v) : Cusolver.cusolverGetProperty(p, v);
                CudaStatus.check(cublas ? "cublasGetProperty" : "cusolverGetProperty", st);
                parts[p] = v.get(JAVA_INT, 0);
            }
            return parts[0] + "." + parts[1] + "." + parts[2];
        } catch (RuntimeException e) {
            return "(version unknown: " + e.getMessage() + ")";
        }
    }

    /** Open the GPU and run every parity case against CpuBackend.INSTANCE. */
    public static List<CudaParity.Result> parity(long seed) {
        try (CudaBackend gpu = CudaBackend.open()) {
            return CudaParity.runAll(gpu, CpuBackend.INSTANCE, seed);
        }
    }

    /**
     * Print the report and, when CUDA is usable, the parity table. Returns the exit code:
     * 0 when CUDA is unusable (nothing is wrong with the CPU build) or every parity case passed, 1 otherwise.
     */
    public static int run(PrintStream out, long seed) {
        Report r = report();
        out.print(r.format());
        if (r.problem() != null) return 0;
        out.println("parity (GPU vs CPU reference, |err| <= atol + rtol*|ref|):");
        int failed = 0;
        for (CudaParity.Result p : parity(seed)) {
            out.println("  " + p);
            if (!p.ok()) failed++;
        }
        out.println(failed == 0 ? "parity: all ops agree" : "parity: " + failed + " FAILED");
        return failed == 0 ? 0 : 1;
    }

}
