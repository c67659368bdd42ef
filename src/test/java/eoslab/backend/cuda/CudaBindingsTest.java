package eoslab.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.MemoryLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The FFM descriptors agree with the C prototypes they were written from (size_t and CUdeviceptr
 * are 64-bit, int and enums 32-bit, pointers and handles addresses), and the driver prototypes
 * agree with cuda.h where the toolkit is installed. A descriptor one argument off would crash
 * or corrupt on the GPU machine; here it fails a test.
 */
class CudaBindingsTest {
    static List<NativeLibrary.Binding> all() {
        List<NativeLibrary.Binding> l = new ArrayList<>(CudaDriver.bindings());
        l.addAll(Cublas.bindings());
        l.addAll(Cusolver.bindings());
        l.addAll(CublasLt.bindings());
        return l;
    }

    /** The ABI layout of a C type on x86-64 / aarch64 Linux (LP64). */
    static MemoryLayout layoutOf(String cType) {
        String t = cType.replace("const ", "").trim();
        if (t.endsWith("*")) return ADDRESS;
        return switch (t) {
            case "CUcontext", "CUmodule", "CUfunction", "CUstream", "cudaStream_t", "cublasHandle_t", "cusolverDnHandle_t",
                 "cublasLtHandle_t", "cublasLtMatmulDesc_t", "cublasLtMatrixLayout_t", "cublasLtMatmulPreference_t" -> ADDRESS;
            case "size_t", "CUdeviceptr", "long long int", "long long", "uint64_t", "int64_t" -> JAVA_LONG;
            case "int", "unsigned int", "CUdevice", "CUresult", "CUdevice_attribute", "cublasStatus_t", "cusolverStatus_t",
                 "cublasOperation_t", "cublasFillMode_t", "cusolverEigMode_t", "libraryPropertyType",
                 "cudaDataType", "cudaDataType_t", "cublasComputeType_t", "cublasGemmAlgo_t",
                 "cublasLtMatmulDescAttributes_t", "cublasLtMatmulPreferenceAttributes_t" -> JAVA_INT;
            case "unsigned char" -> JAVA_BYTE;
            default -> throw new AssertionError("no layout rule for C type '" + t + "'");
        };
    }

    record Proto(String ret, String name, List<String> paramTypes) {
    }

    /** "RET NAME(T1 a, T2 *b)" → (RET, NAME, ["T1", "T2 *"]), whitespace normalized, names dropped. */
    static Proto parse(String proto) {
        Matcher m = Pattern.compile("^\\s*(\\w+)\\s+(?:CUDAAPI\\s+|CUBLASWINAPI\\s+)?(\\w+)\\s*\\((.*)\\)\\s*;?\\s*$", Pattern.DOTALL)
                .matcher(proto);
        assertTrue(m.matches(), "not a prototype: " + proto);
        List<String> types = new ArrayList<>();
        String params = m.group(3).replaceAll("\\s+", " ").trim();
        if (!params.equals("void") && !params.isEmpty()) {
            for (String p : params.split(",")) {
                String s = p.trim().replaceAll("\\s*\\*\\s*", " * ").replaceAll("\\s+", " ").trim();
                s = s.substring(0, s.lastIndexOf(' ')).trim();          // drop the parameter name
                types.add(s.replace(" *", "*").replace("* *", "**").replace("**", "**").trim());
            }
        }
        return new Proto(m.group(1), m.group(2), types);
    }

    @Test
    void symbolNamesAreWellFormedAndUnique() {
        Set<String> seen = new HashSet<>();
        List<NativeLibrary.Binding> all = all();
        assertTrue(all.size() >= 45, "only " + all.size() + " bindings");
        for (NativeLibrary.Binding b : all) {
            assertTrue(b.symbol().matches("(cu|cublas|cusolver)[A-Z][A-Za-z0-9]*(_v2|_bufferSize)?"), "odd symbol " + b.symbol());
            assertTrue(seen.add(b.symbol()), "duplicate binding " + b.symbol());
            Proto p = parse(b.prototype());
            // the prototype names the symbol, or its unsuffixed header name that cuda.h #defines to _v2
            assertTrue(p.name().equals(b.symbol()) || (p.name() + "_v2").equals(b.symbol()),
                    b.symbol() + " documented as " + p.name());
        }
        for (String required : List.of("cuInit", "cuDeviceGet", "cuDeviceGetName", "cuDeviceGetAttribute", "cuDevicePrimaryCtxRetain",
                "cuCtxSetCurrent", "cuModuleLoadData", "cuModuleLoadFatBinary", "cuModuleGetFunction", "cuLaunchKernel",
                "cuMemAlloc_v2", "cuMemFree_v2", "cuMemcpyHtoD_v2", "cuMemcpyDtoH_v2", "cuMemcpyDtoD_v2", "cuDriverGetVersion",
                "cuStreamSynchronize", "cuCtxSynchronize", "cuGetErrorName", "cublasCreate_v2", "cublasDestroy_v2",
                "cublasSgemm_v2", "cublasDgemm_v2", "cublasSgemmStridedBatched", "cublasDgemmStridedBatched",
                "cublasGetVersion_v2", "cublasSetStream_v2", "cusolverDnCreate", "cusolverDnSgeqrf", "cusolverDnDgeqrf",
                "cusolverDnSgeqrf_bufferSize", "cusolverDnDgeqrf_bufferSize", "cusolverDnSorgqr", "cusolverDnDorgqr",
                "cusolverDnSorgqr_bufferSize", "cusolverDnDorgqr_bufferSize", "cusolverDnSsyevd", "cusolverDnDsyevd",
                "cusolverDnSsyevd_bufferSize", "cusolverDnDsyevd_bufferSize")) {
            assertTrue(seen.contains(required), "no binding for " + required);
        }
    }

    @Test
    void descriptorsMatchTheirPrototypes() {
        for (NativeLibrary.Binding b : all()) {
            Proto p = parse(b.prototype());
            assertEquals(Optional.of(JAVA_INT), b.descriptor().returnLayout(), b.symbol() + " returns a 32-bit status");
            assertTrue(Set.of("CUresult", "cublasStatus_t", "cusolverStatus_t").contains(p.ret()), b.symbol() + " returns " + p.ret());
            List<MemoryLayout> args = b.descriptor().argumentLayouts();
            assertEquals(p.paramTypes().size(), args.size(), b.symbol() + ": argument count");
            for (int i = 0; i < args.size(); i++) {
                assertEquals(layoutOf(p.paramTypes().get(i)), args.get(i), b.symbol() + " argument " + i + " (" + p.paramTypes().get(i) + ")");
            }
        }
    }

    static Optional<Path> cudaHeader() throws IOException {
        for (String d : List.of("/usr/local/cuda/include/cuda.h", "/usr/include/cuda.h")) {
            if (Files.isRegularFile(Path.of(d))) return Optional.of(Path.of(d));
        }
        try (Stream<Path> s = Files.list(Path.of("/usr/local"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("cuda-")).map(p -> p.resolve("include/cuda.h"))
                    .filter(Files::isRegularFile).sorted().reduce((a, b) -> b);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    @Test
    void driverPrototypesMatchCudaHeader() throws IOException {
        Optional<Path> h = cudaHeader();
        assumeTrue(h.isPresent(), "cuda.h not installed");
        String header = Files.readString(h.get());
        for (NativeLibrary.Binding b : CudaDriver.bindings()) {
            Proto mine = parse(b.prototype());
            Matcher m = Pattern.compile("CUresult CUDAAPI " + mine.name() + "\\(([^;]*?)\\);").matcher(header);
            assertTrue(m.find(), mine.name() + " not declared in " + h.get());
            Proto theirs = parse("CUresult " + mine.name() + "(" + m.group(1) + ")");
            assertEquals(theirs.paramTypes(), mine.paramTypes(), b.symbol() + " parameter types vs cuda.h");
            if (!b.symbol().equals(mine.name())) {
                assertTrue(Pattern.compile("#define " + mine.name() + "\\s+(__CUDA_API_PTDS\\()?" + b.symbol() + "\\b").matcher(header).find(),
                        "cuda.h does not #define " + mine.name() + " to " + b.symbol());
            }
        }
        // CUdeviceptr is 64-bit here (CUdeviceptr_v2 = unsigned long long on 64-bit hosts)
        assertTrue(header.contains("typedef unsigned long long CUdeviceptr_v2;"));
    }

    @Test
    void missingLibraryGivesAClearMessage() {
        NativeLibrary none = NativeLibrary.open("Nothing", "libeoslab_does_not_exist.so.7");
        assertTrue(!none.loaded());
        NativeLibrary.Binding b = none.bind("foo", "int foo(void)", java.lang.foreign.FunctionDescriptor.of(JAVA_INT));
        var e = org.junit.jupiter.api.Assertions.assertThrows(CudaUnavailableException.class, b::handle);
        assertTrue(e.getMessage().contains("Nothing library not found (tried libeoslab_does_not_exist.so.7)"), e.getMessage());
    }
}
