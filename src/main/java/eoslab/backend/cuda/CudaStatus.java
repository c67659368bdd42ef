package eoslab.backend.cuda;

import java.util.Map;

/**
 * The one place every CUDA driver, cuBLAS and cuSOLVER status is checked (STYLE.md principle 6:
 * every status is checked where it is returned and becomes an exception that names the call).
 * The library is known from the call's name: {@code cublas*}, {@code cusolver*}, else the driver.
 */
public final class CudaStatus {
    private CudaStatus() {
    }

    /** Driver names used when libcuda is absent or cannot name a code (cuda.h, enum cudaError_enum). */
    private static final Map<Integer, String> DRIVER_FALLBACK = Map.ofEntries(
            Map.entry(1, "CUDA_ERROR_INVALID_VALUE"), Map.entry(2, "CUDA_ERROR_OUT_OF_MEMORY"),
            Map.entry(3, "CUDA_ERROR_NOT_INITIALIZED"), Map.entry(4, "CUDA_ERROR_DEINITIALIZED"),
            Map.entry(35, "CUDA_ERROR_INSUFFICIENT_DRIVER"), Map.entry(100, "CUDA_ERROR_NO_DEVICE"),
            Map.entry(101, "CUDA_ERROR_INVALID_DEVICE"), Map.entry(200, "CUDA_ERROR_INVALID_IMAGE"),
            Map.entry(201, "CUDA_ERROR_INVALID_CONTEXT"), Map.entry(209, "CUDA_ERROR_NO_BINARY_FOR_GPU"),
            Map.entry(218, "CUDA_ERROR_INVALID_PTX"), Map.entry(222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"),
            Map.entry(500, "CUDA_ERROR_NOT_FOUND"), Map.entry(700, "CUDA_ERROR_ILLEGAL_ADDRESS"),
            Map.entry(701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"), Map.entry(702, "CUDA_ERROR_LAUNCH_TIMEOUT"),
            Map.entry(719, "CUDA_ERROR_LAUNCH_FAILED"), Map.entry(999, "CUDA_ERROR_UNKNOWN"));

    /** Throw a {@link CudaException} naming {@code call} when {@code code} is not 0 (success in all three libraries). */
    public static void check(String call, int code) {
        if (code != 0) throw new CudaException(call, code, call + " failed: " + name(call, code) + " (" + code + ")" + hint(call, code));
    }

    /** The status name for {@code code} as returned by {@code call}. */
    public static String name(String call, int code) {
        String n;
        if (call.startsWith("cublas")) n = Cublas.STATUS.get(code);
        else if (call.startsWith("cusolver")) n = Cusolver.STATUS.get(code);
        else {
            n = CudaDriver.errorName(code);
            if (n == null) n = DRIVER_FALLBACK.get(code);
        }
        return n == null ? "unknown status" : n;
    }

    private static String hint(String call, int code) {
        if (call.startsWith("cu") && !call.startsWith("cublas") && !call.startsWith("cusolver")) {
            return switch (code) {
                case 2 -> ": the GPU is out of memory (use a smaller batch or --device cpu)";
                case 35 -> ": the NVIDIA driver is older than this CUDA build needs (CUDA 13 needs driver >= 580)";
                case 100 -> ": no CUDA device is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES)";
                case 209 -> ": kernels.fatbin has no code for this GPU (built for sm_80, sm_90 and compute_90 PTX)";
                default -> "";
            };
        }
        return "";
    }
}
