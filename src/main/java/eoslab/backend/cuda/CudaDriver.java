package eoslab.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Panama bindings to the CUDA driver API (libcuda.so.1, cuda.h), in jextract's style: one static
 * method per C function, same name, same argument order, returning the raw {@code CUresult}
 * (0 = CUDA_SUCCESS). Callers wrap every call in {@link CudaStatus#check}.
 *
 * <p>C to Java: {@code int}, {@code unsigned int}, enums and {@code CUdevice} → int;
 * {@code size_t} and {@code CUdeviceptr} (unsigned long long on 64-bit) → long;
 * {@code unsigned char} → byte; pointers and opaque handles ({@code CUcontext}, {@code CUmodule},
 * {@code CUfunction}, {@code CUstream}) → MemorySegment. The {@code _v2} names are the symbols the
 * header's {@code #define}s select (cuda.h: {@code #define cuMemAlloc cuMemAlloc_v2}); calling the
 * unsuffixed legacy symbols would use 32-bit sizes.
 */
public final class CudaDriver {
    private CudaDriver() {
    }

    static final NativeLibrary LIB = NativeLibrary.open("CUDA driver", "libcuda.so.1", "libcuda.so");

    /** CUresult values the backend reacts to (cuda.h, enum cudaError_enum). */
    public static final int CUDA_SUCCESS = 0, CUDA_ERROR_OUT_OF_MEMORY = 2, CUDA_ERROR_NO_DEVICE = 100,
            CUDA_ERROR_NO_BINARY_FOR_GPU = 209;
    /** CUdevice_attribute values (cuda.h). */
    public static final int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
            CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;

    private static final NativeLibrary.Binding
            cuGetErrorName = LIB.bind("cuGetErrorName", "CUresult cuGetErrorName(CUresult error, const char **pStr)",
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS)),
            cuGetErrorString = LIB.bind("cuGetErrorString", "CUresult cuGetErrorString(CUresult error, const char **pStr)",
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS)),
            cuInit = LIB.bind("cuInit", "CUresult cuInit(unsigned int Flags)",
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT)),
            cuDriverGetVersion = LIB.bind("cuDriverGetVersion", "CUresult cuDriverGetVersion(int *driverVersion)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS)),
            cuDeviceGetCount = LIB.bind("cuDeviceGetCount", "CUresult cuDeviceGetCount(int *count)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS)),
            cuDeviceGet = LIB.bind("cuDeviceGet", "CUresult cuDeviceGet(CUdevice *device, int ordinal)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT)),
            cuDeviceGetName = LIB.bind("cuDeviceGetName", "CUresult cuDeviceGetName(char *name, int len, CUdevice dev)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT)),
            cuDeviceGetAttribute = LIB.bind("cuDeviceGetAttribute",
                    "CUresult cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT)),
            cuDeviceTotalMem_v2 = LIB.bind("cuDeviceTotalMem_v2", "CUresult cuDeviceTotalMem(size_t *bytes, CUdevice dev)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT)),
            cuDevicePrimaryCtxRetain = LIB.bind("cuDevicePrimaryCtxRetain",
                    "CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT)),
            cuDevicePrimaryCtxRelease_v2 = LIB.bind("cuDevicePrimaryCtxRelease_v2",
                    "CUresult cuDevicePrimaryCtxRelease(CUdevice dev)",
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT)),
            cuCtxSetCurrent = LIB.bind("cuCtxSetCurrent", "CUresult cuCtxSetCurrent(CUcontext ctx)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS)),
            cuCtxSynchronize = LIB.bind("cuCtxSynchronize", "CUresult cuCtxSynchronize(void)",
                    FunctionDescriptor.of(JAVA_INT)),
            cuStreamSynchronize = LIB.bind("cuStreamSynchronize", "CUresult cuStreamSynchronize(CUstream hStream)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS)),
            cuModuleLoadData = LIB.bind("cuModuleLoadData", "CUresult cuModuleLoadData(CUmodule *module, const void *image)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS)),
            cuModuleLoadFatBinary = LIB.bind("cuModuleLoadFatBinary",
                    "CUresult cuModuleLoadFatBinary(CUmodule *module, const void *fatCubin)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS)),
            cuModuleUnload = LIB.bind("cuModuleUnload", "CUresult cuModuleUnload(CUmodule hmod)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS)),
            cuModuleGetFunction = LIB.bind("cuModuleGetFunction",
                    "CUresult cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod, const char *name)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS)),
            cuLaunchKernel = LIB.bind("cuLaunchKernel",
                    "CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ, "
                            + "unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ, unsigned int sharedMemBytes, "
                            + "CUstream hStream, void **kernelParams, void **extra)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                            JAVA_INT, ADDRESS, ADDRESS, ADDRESS)),
            cuMemAlloc_v2 = LIB.bind("cuMemAlloc_v2", "CUresult cuMemAlloc(CUdeviceptr *dptr, size_t bytesize)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG)),
            cuMemFree_v2 = LIB.bind("cuMemFree_v2", "CUresult cuMemFree(CUdeviceptr dptr)",
                    FunctionDescriptor.of(JAVA_INT, JAVA_LONG)),
            cuMemGetInfo_v2 = LIB.bind("cuMemGetInfo_v2", "CUresult cuMemGetInfo(size_t *free, size_t *total)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS)),
            cuMemcpyHtoD_v2 = LIB.bind("cuMemcpyHtoD_v2",
                    "CUresult cuMemcpyHtoD(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount)",
                    FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG)),
            cuMemcpyDtoH_v2 = LIB.bind("cuMemcpyDtoH_v2",
                    "CUresult cuMemcpyDtoH(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount)",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG)),
            cuMemcpyDtoD_v2 = LIB.bind("cuMemcpyDtoD_v2",
                    "CUresult cuMemcpyDtoD(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount)",
                    FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG)),
            cuMemsetD8_v2 = LIB.bind("cuMemsetD8_v2",
                    "CUresult cuMemsetD8(CUdeviceptr dstDevice, unsigned char uc, size_t N)",
                    FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_BYTE, JAVA_LONG));

    /** Every binding of this library (symbol, C prototype, descriptor), for tests and the doctor. */
    static List<NativeLibrary.Binding> bindings() {
        return LIB.bindings();
    }

    public static boolean loaded() {
        return LIB.loaded();
    }

    // ---- the functions (jextract style: same names, raw status) -----------------------------------

    public static int cuGetErrorName(int error, MemorySegment pStr) {
        try { return (int) cuGetErrorName.handle().invokeExact(error, pStr); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuGetErrorString(int error, MemorySegment pStr) {
        try { return (int) cuGetErrorString.handle().invokeExact(error, pStr); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuInit(int flags) {
        try { return (int) cuInit.handle().invokeExact(flags); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuDriverGetVersion(MemorySegment driverVersion) {
        try { return (int) cuDriverGetVersion.handle().invokeExact(driverVersion); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuDeviceGetCount(MemorySegment count) {
        try { return (int) cuDeviceGetCount.handle().invokeExact(count); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuDeviceGet(MemorySegment device, int ordinal) {
        try { return (int) cuDeviceGet.handle().invokeExact(device, ordinal); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuDeviceGetName(MemorySegment name, int len, int dev) {
        try { return (int) cuDeviceGetName.handle().invokeExact(name, len, dev); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuDeviceGetAttribute(MemorySegment pi, int attrib, int dev) {
        try { return (int) cuDeviceGetAttribute.handle().invokeExact(pi, attrib, dev); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuDeviceTotalMem_v2(MemorySegment bytes, int dev) {
        try { return (int) cuDeviceTotalMem_v2.handle().invokeExact(bytes, dev); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuDevicePrimaryCtxRetain(MemorySegment pctx, int dev) {
        try { return (int) cuDevicePrimaryCtxRetain.handle().invokeExact(pctx, dev); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuDevicePrimaryCtxRelease_v2(int dev) {
        try { return (int) cuDevicePrimaryCtxRelease_v2.handle().invokeExact(dev); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuCtxSetCurrent(MemorySegment ctx) {
        try { return (int) cuCtxSetCurrent.handle().invokeExact(ctx); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuCtxSynchronize() {
        try { return (int) cuCtxSynchronize.handle().invokeExact(); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuStreamSynchronize(MemorySegment stream) {
        try { return (int) cuStreamSynchronize.handle().invokeExact(stream); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuModuleLoadData(MemorySegment module, MemorySegment image) {
        try { return (int) cuModuleLoadData.handle().invokeExact(module, image); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuModuleLoadFatBinary(MemorySegment module, MemorySegment fatCubin) {
        try { return (int) cuModuleLoadFatBinary.handle().invokeExact(module, fatCubin); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuModuleUnload(MemorySegment module) {
        try { return (int) cuModuleUnload.handle().invokeExact(module); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuModuleGetFunction(MemorySegment hfunc, MemorySegment hmod, MemorySegment name) {
        try { return (int) cuModuleGetFunction.handle().invokeExact(hfunc, hmod, name); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    /**
     * {@code kernelParams} is an array of pointers, one per kernel parameter, each pointing at a
     * host copy of that argument (its size must match the kernel's C parameter type); see
     * {@link Kernels#launch}.
     */
    public static int cuLaunchKernel(MemorySegment f, int gridDimX, int gridDimY, int gridDimZ,
                                     int blockDimX, int blockDimY, int blockDimZ, int sharedMemBytes,
                                     MemorySegment hStream, MemorySegment kernelParams, MemorySegment extra) {
        try {
            return (int) cuLaunchKernel.handle().invokeExact(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ,
                    sharedMemBytes, hStream, kernelParams, extra);
        } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuMemAlloc_v2(MemorySegment dptr, long bytesize) {
        try { return (int) cuMemAlloc_v2.handle().invokeExact(dptr, bytesize); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuMemFree_v2(long dptr) {
        try { return (int) cuMemFree_v2.handle().invokeExact(dptr); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuMemGetInfo_v2(MemorySegment free, MemorySegment total) {
        try { return (int) cuMemGetInfo_v2.handle().invokeExact(free, total); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuMemcpyHtoD_v2(long dstDevice, MemorySegment srcHost, long byteCount) {
        try { return (int) cuMemcpyHtoD_v2.handle().invokeExact(dstDevice, srcHost, byteCount); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuMemcpyDtoH_v2(MemorySegment dstHost, long srcDevice, long byteCount) {
        try { return (int) cuMemcpyDtoH_v2.handle().invokeExact(dstHost, srcDevice, byteCount); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuMemcpyDtoD_v2(long dstDevice, long srcDevice, long byteCount) {
        try { return (int) cuMemcpyDtoD_v2.handle().invokeExact(dstDevice, srcDevice, byteCount); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    public static int cuMemsetD8_v2(long dstDevice, byte uc, long n) {
        try { return (int) cuMemsetD8_v2.handle().invokeExact(dstDevice, uc, n); } catch (Throwable t) { throw NativeLibrary.rethrow(t); }
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** "CUDA_ERROR_OUT_OF_MEMORY" from cuGetErrorName, or null when the driver is absent or does not know the code. */
    static String errorName(int code) {
        if (!LIB.loaded() || !cuGetErrorName.present()) return null;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            if (cuGetErrorName(code, p) != CUDA_SUCCESS) return null;
            MemorySegment s = p.get(ADDRESS, 0);
            return s.equals(MemorySegment.NULL) ? null : s.reinterpret(256).getString(0);
        }
    }
}
