package eoslab.backend.cuda;

/**
 * CUDA cannot be used here at all: no driver library, no device, no cuBLAS, or a build without
 * kernels. The message says which and what to do; it is meant for the user, not a stack trace.
 */
public final class CudaUnavailableException extends CudaException {
    public CudaUnavailableException(String message) {
        super("(none)", -1, message);
    }

    public CudaUnavailableException(String call, int code, String message) {
        super(call, code, message);
    }
}
