package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Every status becomes an exception naming the call, the status name and the number. */
class CudaStatusTest {
    @Test
    void successDoesNotThrow() {
        CudaStatus.check("cuInit", 0);
        CudaStatus.check("cublasSgemm_v2", 0);
        CudaStatus.check("cusolverDnDsyevd", 0);
    }

    @Test
    void cublasStatusesAreNamed() {
        CudaException e = assertThrows(CudaException.class, () -> CudaStatus.check("cublasSgemm_v2", 7));
        assertEquals("cublasSgemm_v2 failed: CUBLAS_STATUS_INVALID_VALUE (7)", e.getMessage());
        assertEquals("cublasSgemm_v2", e.call);
        assertEquals(7, e.code);
        assertEquals("CUBLAS_STATUS_EXECUTION_FAILED", CudaStatus.name("cublasDgemmStridedBatched", 13));
    }

    @Test
    void cusolverStatusesAreNamed() {
        CudaException e = assertThrows(CudaException.class, () -> CudaStatus.check("cusolverDnDsyevd", 3));
        assertEquals("cusolverDnDsyevd failed: CUSOLVER_STATUS_INVALID_VALUE (3)", e.getMessage());
        assertEquals("CUSOLVER_STATUS_ALLOC_FAILED", CudaStatus.name("cusolverDnCreate", 2));
    }

    @Test
    void driverStatusesAreNamedWithAHint() {
        // cuGetErrorName when libcuda is present, the table from cuda.h otherwise: same names.
        CudaException e = assertThrows(CudaException.class, () -> CudaStatus.check("cuMemAlloc_v2", 2));
        assertTrue(e.getMessage().startsWith("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2): the GPU is out of memory"), e.getMessage());
        assertTrue(CudaStatus.name("cuInit", 100).equals("CUDA_ERROR_NO_DEVICE"));
        assertTrue(CudaStatus.name("cuModuleLoadData", 209).equals("CUDA_ERROR_NO_BINARY_FOR_GPU"));
        assertEquals("cuLaunchKernel(mul_f32)", assertThrows(CudaException.class,
                () -> CudaStatus.check("cuLaunchKernel(mul_f32)", 719)).call);
    }

    @Test
    void unknownCodesSaySo() {
        assertEquals("unknown status", CudaStatus.name("cublasCreate_v2", 12345));
        CudaException e = assertThrows(CudaException.class, () -> CudaStatus.check("cusolverDnCreate", -4));
        assertTrue(e.getMessage().contains("unknown status (-4)"));
    }
}
