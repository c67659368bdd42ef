package eoslab.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;

/**
 * Panama bindings to the dense cuSOLVER API (cusolverDn.h), jextract style; every function returns
 * the raw {@code cusolverStatus_t} (0 = CUSOLVER_STATUS_SUCCESS) for {@link CudaStatus#check}.
 * Column-major like LAPACK: a row-major (r, c) matrix is seen as its transpose.
 *
 * <p>Used for device QR (geqrf + orgqr: the Benettin/QR step of the Lyapunov tracker) and the
 * symmetric eigensolver (syevd: small projected or full minibatch Hessians). The {@code devInfo}
 * argument is a device int; LAPACK's convention: 0 = success, -i = argument i was illegal,
 * +i = (syevd) i off-diagonal elements did not converge.
 */
public final class Cusolver {
    private Cusolver() {
    }

    static final NativeLibrary LIB = NativeLibrary.open("cuSOLVER", "libcusolver.so.12", "libcusolver.so.13", "libcusolver.so");

    /** cusolverEigMode_t. */
    public static final int CUSOLVER_EIG_MODE_NOVECTOR = 0, CUSOLVER_EIG_MODE_VECTOR = 1;
    /** cublasFillMode_t. */
    public static final int CUBLAS_FILL_MODE_LOWER = 0, CUBLAS_FILL_MODE_UPPER = 1;

    /** cusolverStatus_t names (cusolver_common.h). */
    static final Map<Integer, String> STATUS = Map.ofEntries(
            Map.entry(0, "CUSOLVER_STATUS_SUCCESS"), Map.entry(1, "CUSOLVER_STATUS_NOT_INITIALIZED"),
            Map.entry(2, "CUSOLVER_STATUS_ALLOC_FAILED"), Map.entry(3, "CUSOLVER_STATUS_INVALID_VALUE"),
            Map.entry(4, "CUSOLVER_STATUS_ARCH_MISMATCH"), Map.entry(5, "CUSOLVER_STATUS_MAPPING_ERROR"),
            Map.entry(6, "CUSOLVER_STATUS_EXECUTION_FAILED"), Map.entry(7, "CUSOLVER_STATUS_INTERNAL_ERROR"),
            Map.entry(8, "CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED"), Map.entry(9, "CUSOLVER_STATUS_NOT_SUPPORTED"),
            Map.entry(10, "CUSOLVER_STATUS_ZERO_PIVOT"), Map.entry(11, "CUSOLVER_STATUS_INVALID_LICENSE"));

    private static final FunctionDescriptor GEQRF_BUF = FunctionDescriptor.of(JAVA_INT,
            ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS);
    private static final FunctionDescriptor GEQRF = FunctionDescriptor.of(JAVA_INT,
            ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS);
    private static final FunctionDescriptor ORGQR_BUF = FunctionDescriptor.of(JAVA_INT,
            ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
    private static final FunctionDescriptor ORGQR = FunctionDescriptor.of(JAVA_INT,
            ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS);
    private static final FunctionDescriptor SYEVD_BUF = FunctionDescriptor.of(JAVA_INT,
            ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
    private static final FunctionDescriptor SYEVD = FunctionDescriptor.of(JAVA_INT,
            ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS);

    private static final NativeLibrary.Binding
            cusolverGetProperty = LIB.bind("cusolverGetProperty",
                    "cusolverStatus_t cusolverGetProperty(libraryPropertyType type, int *value)",
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS)),
            cusolverGetVersion = LIB.bind("cusolverGetVersion", "cusolverStatus_t cusolverGetVersion(int *version)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS)),
            cusolverDnCreate = LIB.bind("cusolverDnCreate", "cusolverStatus_t cusolverDnCreate(cusolverDnHandle_t *handle)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS)),
            cusolverDnDestroy = LIB.bind("cusolverDnDestroy", "cusolverStatus_t cusolverDnDestroy(cusolverDnHandle_t handle)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS)),
            cusolverDnSetStream = LIB.bind("cusolverDnSetStream",
                    "cusolverStatus_t cusolverDnSetStream(cusolverDnHandle_t handle, cudaStream_t streamId)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS)),
            cusolverDnSgeqrf_bufferSize = LIB.bind("cusolverDnSgeqrf_bufferSize",
                    "cusolverStatus_t cusolverDnSgeqrf_bufferSize(cusolverDnHandle_t handle, int m, int n, float *A, int lda, int *Lwork)",
                    GEQRF_BUF),
            cusolverDnDgeqrf_bufferSize = LIB.bind("cusolverDnDgeqrf_bufferSize",
                    "cusolverStatus_t cusolverDnDgeqrf_bufferSize(cusolverDnHandle_t handle, int m, int n, double *A, int lda, int *Lwork)",
                    GEQRF_BUF),
            cusolverDnSgeqrf = LIB.bind("cusolverDnSgeqrf",
                    "cusolverStatus_t cusolverDnSgeqrf(cusolverDnHandle_t handle, int m, int n, float *A, int lda, float *TAU, "
                            + "float *Workspace, int Lwork, int *devInfo)", GEQRF),
            cusolverDnDgeqrf = LIB.bind("cusolverDnDgeqrf",
                    "cusolverStatus_t cusolverDnDgeqrf(cusolverDnHandle_t handle, int m, int n, double *A, int lda, double *TAU, "
                            + "double *Workspace, int Lwork, int *devInfo)", GEQRF),
            cusolverDnSorgqr_bufferSize = LIB.bind("cusolverDnSorgqr_bufferSize",
                    "cusolverStatus_t cusolverDnSorgqr_bufferSize(cusolverDnHandle_t handle, int m, int n, int k, const float *A, "
                            + "int lda, const float *tau, int *lwork)", ORGQR_BUF),
            cusolverDnDorgqr_bufferSize = LIB.bind("cusolverDnDorgqr_bufferSize",
                    "cusolverStatus_t cusolverDnDorgqr_bufferSize(cusolverDnHandle_t handle, int m, int n, int k, const double *A, "
                            + "int lda, const double *tau, int *lwork)", ORGQR_BUF),
            cusolverDnSorgqr = LIB.bind("cusolverDnSorgqr",
                    "cusolverStatus_t cusolverDnSorgqr(cusolverDnHandle_t handle, int m, int n, int k, float *A, int lda, "
                            + "const float *tau, float *work, int lwork, int *info)", ORGQR),
            cusolverDnDorgqr = LIB.bind("cusolverDnDorgqr",
                    "cusolverStatus_t cusolverDnDorgqr(cusolverDnHandle_t handle, int m, int n, int k, double *A, int lda, "
                            + "const double *tau, double *work, int lwork, int *info)", ORGQR),
            cusolverDnSsyevd_bufferSize = LIB.bind("cusolverDnSsyevd_bufferSize",
                    "cusolverStatus_t cusolverDnSsyevd_bufferSize(cusolverDnHandle_t handle, cusolverEigMode_t jobz, "
                            + "cublasFillMode_t uplo, int n, const float *A, int lda, const float *W, int *lwork)", SYEVD_BUF),
            cusolverDnDsyevd_bufferSize = LIB.bind("cusolverDnDsyevd_bufferSize",
                    "cusolverStatus_t cusolverDnDsyevd_bufferSize(cusolverDnHandle_t handle, cusolverEigMode_t jobz, "
                            + "cublasFillMode_t uplo, int n, const double *A, int lda, const double *W, int *lwork)", SYEVD_BUF),
            cusolverDnSsyevd = LIB.bind("cusolverDnSsyevd",
                    "cusolverStatus_t cusolverDnSsyevd(cusolverDnHandle_t handle, cusolverEigMode_t jobz, cublasFillMode_t uplo, "
                            + "int n, float *A, int lda, float *W, float *work, int lwork, int *info)", SYEVD),
            cusolverDnDsyevd = LIB.bind("cusolverDnDsyevd",
                    "cusolverStatus_t cusolverDnDsyevd(cusolverDnHandle_t handle, cusolverEigMode_t jobz, cublasFillMode_t uplo, "
                            + "int n, double *A, int lda, double *W, double *work, int lwork, int *info)", SYEVD);

    static List<NativeLibrary.Binding> bindings() {
        return LIB.bindings();
    }

    public static boolean loaded() {
        return LIB.loaded();
    }

    public static int cusolverGetProperty(int type, MemorySegment value) {
        try { return (int) cusolverGetProperty.handle().invokeExact(type, value); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cusolverGetVersion(MemorySegment version) {
        try { return (int) cusolverGetVersion.handle().invokeExact(version); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cusolverDnCreate(MemorySegment handle) {
        try { return (int) cusolverDnCreate.handle().invokeExact(handle); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cusolverDnDestroy(MemorySegment handle) {
        try { return (int) cusolverDnDestroy.handle().invokeExact(handle); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cusolverDnSetStream(MemorySegment handle, MemorySegment stream) {
        try { return (int) cusolverDnSetStream.handle().invokeExact(handle, stream); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cusolverDnSgeqrf_bufferSize(MemorySegment h, int m, int n, MemorySegment a, int lda, MemorySegment lwork) {
        try { return (int) cusolverDnSgeqrf_bufferSize.handle().invokeExact(h, m, n, a, lda, lwork); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cusolverDnDgeqrf_bufferSize(MemorySegment h, int m, int n, MemorySegment a, int lda, MemorySegment lwork) {
        try { return (int) cusolverDnDgeqrf_bufferSize.handle().invokeExact(h, m, n, a, lda, lwork); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cusolverDnSgeqrf(MemorySegment h, int m, int n, MemorySegment a, int lda, MemorySegment tau,
                                       MemorySegment work, int lwork, MemorySegment devInfo) {
        try { return (int) cusolverDnSgeqrf.handle().invokeExact(h, m, n, a, lda, tau, work, lwork, devInfo); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cusolverDnDgeqrf(MemorySegment h, int m, int n, MemorySegment a, int lda, MemorySegment tau,
                                       MemorySegment work, int lwork, MemorySegment devInfo) {
        try { return (int) cusolverDnDgeqrf.handle().invokeExact(h, m, n, a, lda, tau, work, lwork, devInfo); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cusolverDnSorgqr_bufferSize(MemorySegment h, int m, int n, int k, MemorySegment a, int lda,
                                                  MemorySegment tau, MemorySegment lwork) {
        try { return (int) cusolverDnSorgqr_bufferSize.handle().invokeExact(h, m, n, k, a, lda, tau, lwork); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cusolverDnDorgqr_bufferSize(MemorySegment h, int m, int n, int k, MemorySegment a, int lda,
                                                  MemorySegment tau, MemorySegment lwork) {
        try { return (int) cusolverDnDorgqr_bufferSize.handle().invokeExact(h, m, n, k, a, lda, tau, lwork); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cusolverDnSorgqr(MemorySegment h, int m, int n, int k, MemorySegment a, int lda, MemorySegment tau,
                                       MemorySegment work, int lwork, MemorySegment info) {
        try { return (int) cusolverDnSorgqr.handle().invokeExact(h, m, n, k, a, lda, tau, work, lwork, info); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cusolverDnDorgqr(MemorySegment h, int m, int n, int k, MemorySegment a, int lda, MemorySegment tau,
                                       MemorySegment work, int lwork, MemorySegment info) {
        try { return (int) cusolverDnDorgqr.handle().invokeExact(h, m, n, k, a, lda, tau, work, lwork, info); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cusolverDnSsyevd_bufferSize(MemorySegment h, int jobz, int uplo, int n, MemorySegment a, int lda,
                                                  MemorySegment w, MemorySegment lwork) {
        try { return (int) cusolverDnSsyevd_bufferSize.handle().invokeExact(h, jobz, uplo, n, a, lda, w, lwork); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cusolverDnDsyevd_bufferSize(MemorySegment h, int jobz, int uplo, int n, MemorySegment a, int lda,
                                                  MemorySegment w, MemorySegment lwork) {
        try { return (int) cusolverDnDsyevd_bufferSize.handle().invokeExact(h, jobz, uplo, n, a, lda, w, lwork); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cusolverDnSsyevd(MemorySegment h, int jobz, int uplo, int n, MemorySegment a, int lda, MemorySegment w,
                                       MemorySegment work, int lwork, MemorySegment info) {
        try { return (int) cusolverDnSsyevd.handle().invokeExact(h, jobz, uplo, n, a, lda, w, work, lwork, info); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cusolverDnDsyevd(MemorySegment h, int jobz, int uplo, int n, MemorySegment a, int lda, MemorySegment w,
                                       MemorySegment work, int lwork, MemorySegment info) {
        try { return (int) cusolverDnDsyevd.handle().invokeExact(h, jobz, uplo, n, a, lda, w, work, lwork, info); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }
}
