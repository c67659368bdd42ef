package eoslab.backend.cuda;

/**
 * A CUDA, cuBLAS or cuSOLVER call returned an error status. The message names the call, the
 * status name and its number, e.g. {@code cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2)}.
 */
public class CudaException extends RuntimeException {
    /** The C function that failed (its exported symbol name). */
    public final String call;
    /** The status it returned (CUresult, cublasStatus_t or cusolverStatus_t); -1 when there was none. */
    public final int code;

    public CudaException(String call, int code, String message) {
        super(message);
        this.call = call;
        this.code = code;
    }
}
