package eoslab.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Panama bindings to the cuBLASLt subset eoslab uses (cublasLt.h of cuBLAS 13, jextract style):
 * one GEMM with a bias epilogue, {@code D = alpha op(A) op(B) + bias} (the bias added to every
 * column of the column-major D, i.e. to every row of eoslab's row-major output), so a linear layer's
 * forward writes its output once instead of a GEMM and then an addBias pass over it
 * ({@link CudaBackend#linearForward}), optionally followed by GELU with the pre-activation kept
 * ({@link CudaBackend#linearForwardAct}). Every function returns the raw {@code cublasStatus_t}.
 *
 * <p>Enum values are the ABI's (cublasLt.h): they are stable across CUDA 11.4 - 13. The opaque
 * {@code cublasLtMatmulAlgo_t} is 8 uint64 (64 bytes) and {@code cublasLtMatmulHeuristicResult_t}
 * is {algo, size_t workspaceSize, cublasStatus_t state, float wavesCount, int reserved[4]} = 96 bytes.
 */
public final class CublasLt {
    private CublasLt() {
    }

    static final NativeLibrary LIB = NativeLibrary.open("cuBLASLt", "libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so");

    /** cublasLtMatmulDescAttributes_t. */
    static final int DESC_TRANSA = 3, DESC_TRANSB = 4, DESC_EPILOGUE = 7, DESC_BIAS_POINTER = 8,
            DESC_EPILOGUE_AUX_POINTER = 11, DESC_EPILOGUE_AUX_LD = 12;
    /**
     * cublasLtEpilogue_t: BIAS adds the bias; GELU_AUX_BIAS = GELU | AUX | BIAS (32 | 128 | 4) adds it,
     * stores that (the GELU input) in the aux matrix and GELU of it in D. eoslab's GELU is GPT-2's tanh
     * approximation; that cuBLASLt's agrees within float rounding is what CudaLtTest and the doctor's
     * linearGelu case check on a GPU (the emulator computes the tanh form).
     */
    static final int EPILOGUE_BIAS = 4, EPILOGUE_GELU_AUX_BIAS = 164;
    /** cublasLtMatmulPreferenceAttributes_t (the alignments are uint32_t bytes, default 256). */
    static final int PREF_MAX_WORKSPACE_BYTES = 1, PREF_MIN_ALIGNMENT_A_BYTES = 5, PREF_MIN_ALIGNMENT_B_BYTES = 6,
            PREF_MIN_ALIGNMENT_C_BYTES = 7, PREF_MIN_ALIGNMENT_D_BYTES = 8;
    /** cudaDataType and cublasComputeType_t for float64 (the float32 ones are in {@link Cublas}). */
    static final int CUDA_R_64F = 1, CUBLAS_COMPUTE_64F = 70;
    /** sizeof(cublasLtMatmulHeuristicResult_t); its first 64 bytes are the algorithm. */
    static final long HEURISTIC_RESULT_BYTES = 96;

    private static final NativeLibrary.Binding
            cublasLtCreate = LIB.bind("cublasLtCreate", "cublasStatus_t cublasLtCreate(cublasLtHandle_t *lightHandle)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS)),
            cublasLtDestroy = LIB.bind("cublasLtDestroy", "cublasStatus_t cublasLtDestroy(cublasLtHandle_t lightHandle)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS)),
            cublasLtMatmulDescCreate = LIB.bind("cublasLtMatmulDescCreate",
                    "cublasStatus_t cublasLtMatmulDescCreate(cublasLtMatmulDesc_t *matmulDesc, cublasComputeType_t computeType, "
                            + "cudaDataType_t scaleType)", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT)),
            cublasLtMatmulDescDestroy = LIB.bind("cublasLtMatmulDescDestroy",
                    "cublasStatus_t cublasLtMatmulDescDestroy(cublasLtMatmulDesc_t matmulDesc)", FunctionDescriptor.of(JAVA_INT, ADDRESS)),
            cublasLtMatmulDescSetAttribute = LIB.bind("cublasLtMatmulDescSetAttribute",
                    "cublasStatus_t cublasLtMatmulDescSetAttribute(cublasLtMatmulDesc_t matmulDesc, "
                            + "cublasLtMatmulDescAttributes_t attr, const void *buf, size_t sizeInBytes)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG)),
            cublasLtMatrixLayoutCreate = LIB.bind("cublasLtMatrixLayoutCreate",
                    "cublasStatus_t cublasLtMatrixLayoutCreate(cublasLtMatrixLayout_t *matLayout, cudaDataType type, "
                            + "uint64_t rows, uint64_t cols, int64_t ld)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG)),
            cublasLtMatrixLayoutDestroy = LIB.bind("cublasLtMatrixLayoutDestroy",
                    "cublasStatus_t cublasLtMatrixLayoutDestroy(cublasLtMatrixLayout_t matLayout)", FunctionDescriptor.of(JAVA_INT, ADDRESS)),
            cublasLtMatmulPreferenceCreate = LIB.bind("cublasLtMatmulPreferenceCreate",
                    "cublasStatus_t cublasLtMatmulPreferenceCreate(cublasLtMatmulPreference_t *pref)", FunctionDescriptor.of(JAVA_INT, ADDRESS)),
            cublasLtMatmulPreferenceDestroy = LIB.bind("cublasLtMatmulPreferenceDestroy",
                    "cublasStatus_t cublasLtMatmulPreferenceDestroy(cublasLtMatmulPreference_t pref)", FunctionDescriptor.of(JAVA_INT, ADDRESS)),
            cublasLtMatmulPreferenceSetAttribute = LIB.bind("cublasLtMatmulPreferenceSetAttribute",
                    "cublasStatus_t cublasLtMatmulPreferenceSetAttribute(cublasLtMatmulPreference_t pref, "
                            + "cublasLtMatmulPreferenceAttributes_t attr, const void *buf, size_t sizeInBytes)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG)),
            cublasLtMatmulAlgoGetHeuristic = LIB.bind("cublasLtMatmulAlgoGetHeuristic",
                    "cublasStatus_t cublasLtMatmulAlgoGetHeuristic(cublasLtHandle_t lightHandle, cublasLtMatmulDesc_t operationDesc, "
                            + "cublasLtMatrixLayout_t Adesc, cublasLtMatrixLayout_t Bdesc, cublasLtMatrixLayout_t Cdesc, "
                            + "cublasLtMatrixLayout_t Ddesc, cublasLtMatmulPreference_t preference, int requestedAlgoCount, "
                            + "cublasLtMatmulHeuristicResult_t *heuristicResultsArray, int *returnAlgoCount)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS)),
            cublasLtMatmul = LIB.bind("cublasLtMatmul",
                    "cublasStatus_t cublasLtMatmul(cublasLtHandle_t lightHandle, cublasLtMatmulDesc_t computeDesc, const void *alpha, "
                            + "const void *A, cublasLtMatrixLayout_t Adesc, const void *B, cublasLtMatrixLayout_t Bdesc, "
                            + "const void *beta, const void *C, cublasLtMatrixLayout_t Cdesc, void *D, cublasLtMatrixLayout_t Ddesc, "
                            + "const cublasLtMatmulAlgo_t *algo, void *workspace, size_t workspaceSizeInBytes, cudaStream_t stream)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                            ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));

    static List<NativeLibrary.Binding> bindings() {
        return LIB.bindings();
    }

    public static boolean loaded() {
        return LIB.loaded();
    }

    public static int cublasLtCreate(MemorySegment handle) {
        try { return (int) cublasLtCreate.handle().invokeExact(handle); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasLtDestroy(MemorySegment handle) {
        try { return (int) cublasLtDestroy.handle().invokeExact(handle); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasLtMatmulDescCreate(MemorySegment desc, int computeType, int scaleType) {
        try { return (int) cublasLtMatmulDescCreate.handle().invokeExact(desc, computeType, scaleType); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasLtMatmulDescDestroy(MemorySegment desc) {
        try { return (int) cublasLtMatmulDescDestroy.handle().invokeExact(desc); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasLtMatmulDescSetAttribute(MemorySegment desc, int attr, MemorySegment buf, long size) {
        try { return (int) cublasLtMatmulDescSetAttribute.handle().invokeExact(desc, attr, buf, size); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasLtMatrixLayoutCreate(MemorySegment layout, int type, long rows, long cols, long ld) {
        try { return (int) cublasLtMatrixLayoutCreate.handle().invokeExact(layout, type, rows, cols, ld); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasLtMatrixLayoutDestroy(MemorySegment layout) {
        try { return (int) cublasLtMatrixLayoutDestroy.handle().invokeExact(layout); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasLtMatmulPreferenceCreate(MemorySegment pref) {
        try { return (int) cublasLtMatmulPreferenceCreate.handle().invokeExact(pref); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasLtMatmulPreferenceDestroy(MemorySegment pref) {
        try { return (int) cublasLtMatmulPreferenceDestroy.handle().invokeExact(pref); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasLtMatmulPreferenceSetAttribute(MemorySegment pref, int attr, MemorySegment buf, long size) {
        try { return (int) cublasLtMatmulPreferenceSetAttribute.handle().invokeExact(pref, attr, buf, size); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasLtMatmulAlgoGetHeuristic(MemorySegment handle, MemorySegment desc, MemorySegment a, MemorySegment b,
                                                     MemorySegment c, MemorySegment d, MemorySegment pref, int requested,
                                                     MemorySegment results, MemorySegment returned) {
        try {
            return (int) cublasLtMatmulAlgoGetHeuristic.handle().invokeExact(handle, desc, a, b, c, d, pref, requested, results, returned);
        } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cublasLtMatmul(MemorySegment handle, MemorySegment desc, MemorySegment alpha, MemorySegment a, MemorySegment aDesc,
                                     MemorySegment b, MemorySegment bDesc, MemorySegment beta, MemorySegment c, MemorySegment cDesc,
                                     MemorySegment d, MemorySegment dDesc, MemorySegment algo, MemorySegment workspace, long workspaceBytes,
                                     MemorySegment stream) {
        try {
            return (int) cublasLtMatmul.handle().invokeExact(handle, desc, alpha, a, aDesc, b, bDesc, beta, c, cDesc, d, dDesc, algo,
                    workspace, workspaceBytes, stream);
        } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }
}
