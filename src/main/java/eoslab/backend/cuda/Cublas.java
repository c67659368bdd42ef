package eoslab.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;

/**
 * Panama bindings to cuBLAS (v2 API, cublas_api.h of cuBLAS 13), jextract style; every function
 * returns the raw {@code cublasStatus_t} (0 = CUBLAS_STATUS_SUCCESS) for {@link CudaStatus#check}.
 *
 * <p>cuBLAS is column-major; eoslab is row-major. A row-major (r, c) matrix with leading dimension
 * ld is, read column-major, its transpose (c, r) with the same ld. So the row-major product
 * {@code C = op(A) op(B)} is computed as the column-major product {@code C^T = op(B)^T op(A)^T}:
 * swap the operands (B first, then A), swap m and n, keep each operand's own transpose flag and
 * leading dimension. {@link CudaBackend#gemm} does exactly that.
 *
 * <p>Pointers: {@code alpha}/{@code beta} are host pointers (the default CUBLAS_POINTER_MODE_HOST);
 * matrices are device pointers passed as {@code MemorySegment.ofAddress(devicePtr)}.
 * {@code long long int} strides → long; {@code int} and the enums → int; the handle → MemorySegment.
 */
public final class Cublas {
    private Cublas() {
    }

    static final NativeLibrary LIB = NativeLibrary.open("cuBLAS", "libcublas.so.13", "libcublas.so.12", "libcublas.so");

    /** cublasOperation_t. */
    public static final int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1;
    /** libraryPropertyType (library_types.h). */
    public static final int MAJOR_VERSION = 0, MINOR_VERSION = 1, PATCH_LEVEL = 2;
    /** cudaDataType (library_types.h): float32 storage, for A, B and C of the mixed-precision GEMMs. */
    public static final int CUDA_R_32F = 0;
    /**
     * cublasComputeType_t (cublas_api.h): float32 accumulation that may down-convert the float32
     * inputs to bfloat16 or TF32 (FAST_16BF), or to TF32 (FAST_TF32), on tensor cores. cuBLAS picks
     * which operands it converts and how (it may even use TF32 under FAST_16BF), hence the parity
     * tolerance of {@link eoslab.backend.GemmPrecision}'s error model, not bit equality.
     */
    public static final int CUBLAS_COMPUTE_32F = 68, CUBLAS_COMPUTE_32F_FAST_16BF = 75, CUBLAS_COMPUTE_32F_FAST_TF32 = 77;
    /** cublasGemmAlgo_t: let cuBLAS choose (its heuristics; tensor cores allowed by the compute type). */
    public static final int CUBLAS_GEMM_DEFAULT = -1;

    /** cublasStatus_t names (cublas_api.h). */
    static final Map<Integer, String> STATUS = Map.of(
            0, "CUBLAS_STATUS_SUCCESS", 1, "CUBLAS_STATUS_NOT_INITIALIZED", 3, "CUBLAS_STATUS_ALLOC_FAILED",
            7, "CUBLAS_STATUS_INVALID_VALUE", 8, "CUBLAS_STATUS_ARCH_MISMATCH", 11, "CUBLAS_STATUS_MAPPING_ERROR",
            13, "CUBLAS_STATUS_EXECUTION_FAILED", 14, "CUBLAS_STATUS_INTERNAL_ERROR", 15, "CUBLAS_STATUS_NOT_SUPPORTED",
            16, "CUBLAS_STATUS_LICENSE_ERROR");

    private static final FunctionDescriptor GEMM = FunctionDescriptor.of(JAVA_INT,
            ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
            ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
    private static final FunctionDescriptor GEMM_STRIDED = FunctionDescriptor.of(JAVA_INT,
            ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
            ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT);
    private static final FunctionDescriptor GEMM_EX = FunctionDescriptor.of(JAVA_INT,
            ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
            ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT,
            JAVA_INT, JAVA_INT);
    private static final FunctionDescriptor GEMM_STRIDED_EX = FunctionDescriptor.of(JAVA_INT,
            ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
            ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG,
            ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT);

    private static final NativeLibrary.Binding
            cublasCreate_v2 = LIB.bind("cublasCreate_v2", "cublasStatus_t cublasCreate_v2(cublasHandle_t *handle)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS)),
            cublasDestroy_v2 = LIB.bind("cublasDestroy_v2", "cublasStatus_t cublasDestroy_v2(cublasHandle_t handle)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS)),
            cublasGetVersion_v2 = LIB.bind("cublasGetVersion_v2",
                    "cublasStatus_t cublasGetVersion_v2(cublasHandle_t handle, int *version)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS)),
            cublasGetProperty = LIB.bind("cublasGetProperty",
                    "cublasStatus_t cublasGetProperty(libraryPropertyType type, int *value)",
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS)),
            cublasSetStream_v2 = LIB.bind("cublasSetStream_v2",
                    "cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS)),
            cublasSgemm_v2 = LIB.bind("cublasSgemm_v2",
                    "cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, "
                            + "int m, int n, int k, const float *alpha, const float *A, int lda, const float *B, int ldb, "
                            + "const float *beta, float *C, int ldc)", GEMM),
            cublasDgemm_v2 = LIB.bind("cublasDgemm_v2",
                    "cublasStatus_t cublasDgemm_v2(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, "
                            + "int m, int n, int k, const double *alpha, const double *A, int lda, const double *B, int ldb, "
                            + "const double *beta, double *C, int ldc)", GEMM),
            cublasSgemmStridedBatched = LIB.bind("cublasSgemmStridedBatched",
                    "cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa, "
                            + "cublasOperation_t transb, int m, int n, int k, const float *alpha, const float *A, int lda, "
                            + "long long int strideA, const float *B, int ldb, long long int strideB, const float *beta, "
                            + "float *C, int ldc, long long int strideC, int batchCount)", GEMM_STRIDED),
            cublasDgemmStridedBatched = LIB.bind("cublasDgemmStridedBatched",
                    "cublasStatus_t cublasDgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa, "
                            + "cublasOperation_t transb, int m, int n, int k, const double *alpha, const double *A, int lda, "
                            + "long long int strideA, const double *B, int ldb, long long int strideB, const double *beta, "
                            + "double *C, int ldc, long long int strideC, int batchCount)", GEMM_STRIDED),
            cublasGemmEx = LIB.bind("cublasGemmEx",
                    "cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, "
                            + "int m, int n, int k, const void *alpha, const void *A, cudaDataType Atype, int lda, "
                            + "const void *B, cudaDataType Btype, int ldb, const void *beta, void *C, cudaDataType Ctype, int ldc, "
                            + "cublasComputeType_t computeType, cublasGemmAlgo_t algo)", GEMM_EX),
            cublasGemmStridedBatchedEx = LIB.bind("cublasGemmStridedBatchedEx",
                    "cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t handle, cublasOperation_t transa, "
                            + "cublasOperation_t transb, int m, int n, int k, const void *alpha, const void *A, cudaDataType Atype, "
                            + "int lda, long long int strideA, const void *B, cudaDataType Btype, int ldb, long long int strideB, "
                            + "const void *beta, void *C, cudaDataType Ctype, int ldc, long long int strideC, int batchCount, "
                            + "cublasComputeType_t computeType, cublasGemmAlgo_t algo)", GEMM_STRIDED_EX);

    static List<NativeLibrary.Binding> bindings() {
        return LIB.bindings();
    }

    public static boolean loaded() {
        return LIB.loaded();
    }

    public static int cublasCreate_v2(MemorySegment handle) {
        try { return (int) cublasCreate_v2.handle().invokeExact(handle); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasDestroy_v2(MemorySegment handle) {
        try { return (int) cublasDestroy_v2.handle().invokeExact(handle); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasGetVersion_v2(MemorySegment handle, MemorySegment version) {
        try { return (int) cublasGetVersion_v2.handle().invokeExact(handle, version); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasGetProperty(int type, MemorySegment value) {
        try { return (int) cublasGetProperty.handle().invokeExact(type, value); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasSetStream_v2(MemorySegment handle, MemorySegment stream) {
        try { return (int) cublasSetStream_v2.handle().invokeExact(handle, stream); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasSgemm_v2(MemorySegment handle, int transa, int transb, int m, int n, int k,
                                     MemorySegment alpha, MemorySegment a, int lda, MemorySegment b, int ldb,
                                     MemorySegment beta, MemorySegment c, int ldc) {
        try {
            return (int) cublasSgemm_v2.handle().invokeExact(handle, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasDgemm_v2(MemorySegment handle, int transa, int transb, int m, int n, int k,
                                     MemorySegment alpha, MemorySegment a, int lda, MemorySegment b, int ldb,
                                     MemorySegment beta, MemorySegment c, int ldc) {
        try {
            return (int) cublasDgemm_v2.handle().invokeExact(handle, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasSgemmStridedBatched(MemorySegment handle, int transa, int transb, int m, int n, int k,
                                                MemorySegment alpha, MemorySegment a, int lda, long strideA,
                                                MemorySegment b, int ldb, long strideB, MemorySegment beta,
                                                MemorySegment c, int ldc, long strideC, int batchCount) {
        try {
            return (int) cublasSgemmStridedBatched.handle().invokeExact(handle, transa, transb, m, n, k, alpha, a, lda, strideA,
                    b, ldb, strideB, beta, c, ldc, strideC, batchCount);
        } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasDgemmStridedBatched(MemorySegment handle, int transa, int transb, int m, int n, int k,
                                                MemorySegment alpha, MemorySegment a, int lda, long strideA,
                                                MemorySegment b, int ldb, long strideB, MemorySegment beta,
                                                MemorySegment c, int ldc, long strideC, int batchCount) {
        try {
            return (int) cublasDgemmStridedBatched.handle().invokeExact(handle, transa, transb, m, n, k, alpha, a, lda, strideA,
                    b, ldb, strideB, beta, c, ldc, strideC, batchCount);
        } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    /** C = alpha op(A) op(B) + beta C with the given storage types and compute type (column-major, as cublasSgemm_v2). */
    public static int cublasGemmEx(MemorySegment handle, int transa, int transb, int m, int n, int k,
                                   MemorySegment alpha, MemorySegment a, int aType, int lda, MemorySegment b, int bType, int ldb,
                                   MemorySegment beta, MemorySegment c, int cType, int ldc, int computeType, int algo) {
        try {
            return (int) cublasGemmEx.handle().invokeExact(handle, transa, transb, m, n, k, alpha, a, aType, lda, b, bType, ldb,
                    beta, c, cType, ldc, computeType, algo);
        } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasGemmStridedBatchedEx(MemorySegment handle, int transa, int transb, int m, int n, int k,
                                                 MemorySegment alpha, MemorySegment a, int aType, int lda, long strideA,
                                                 MemorySegment b, int bType, int ldb, long strideB, MemorySegment beta,
                                                 MemorySegment c, int cType, int ldc, long strideC, int batchCount,
                                                 int computeType, int algo) {
        try {
            return (int) cublasGemmStridedBatchedEx.handle().invokeExact(handle, transa, transb, m, n, k, alpha, a, aType, lda, strideA,
                    b, bType, ldb, strideB, beta, c, cType, ldc, strideC, batchCount, computeType, algo);
        } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }
}
