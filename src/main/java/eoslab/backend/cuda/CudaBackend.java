package eoslab.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import eoslab.backend.Act;
import eoslab.backend.AdamWCoefficients;
import eoslab.backend.Backend;
import eoslab.backend.GemmPrecision;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * The CUDA backend: tensors live in device memory ({@link DevicePointer} storage), GEMMs go to
 * cuBLAS, everything else to the kernels of kernels/eoslab.cu, all on the legacy default stream of
 * the device's primary context (the one the CUDA runtime inside cuBLAS also uses), so every op is
 * ordered after the previous one. Methods that return a host value (dot, the losses, toDoubles)
 * wait for the device.
 *
 * <p>Parity: every op is checked against {@link eoslab.backend.CpuBackend} by {@link CudaParity}
 * (CudaBackendParityTest, {@code eoslab doctor}). Reductions are deterministic (fixed launch
 * shapes, fixed reduction trees) but are not bit-identical to the CPU's sequential sums.
 *
 * <p>Errors: every driver/cuBLAS status is checked ({@link CudaStatus}). Bad indices found inside a
 * kernel (gatherRows rows, CE labels, gatherIndexed/scatterIndexed indices) are recorded on the device and thrown at the next call that
 * waits for the device (toDoubles, dot, the losses, sync), as an IndexOutOfBoundsException naming
 * the op. One backend is meant for one thread at a time (one stream, one scratch buffer); calls
 * from several threads are serialized.
 */
public final class CudaBackend implements Backend {
    /** Threads per block for every 1-D kernel; must equal THREADS in kernels/eoslab.cu. */
    static final int THREADS = 256;
    /** Most blocks a grid-stride elementwise kernel is launched with. */
    static final int MAX_BLOCKS = 1 << 16;
    /** Most blocks of the first pass of dot (the second pass sums at most this many partials). */
    static final int MAX_REDUCTION_BLOCKS = 1024;

    private final int device;
    private final MemorySegment context;
    private final Kernels.Module module;
    private final MemorySegment cublas;
    private final DeviceAllocator memory = new DeviceAllocator();
    private final String deviceName;
    private final ThreadLocal<Boolean> bound = ThreadLocal.withInitial(() -> Boolean.FALSE);
    /** Scratch: [0, 8) a reduction result (double), [8, 20) the error record {kind, value, bound}. */
    private final DevicePointer head;
    private final DevicePointer partials;
    private DevicePointer rowScratch;
    private DevicePointer partialScratch;
    private volatile boolean closed;

    private CudaBackend(int device, MemorySegment context, Kernels.Module module, MemorySegment cublas, String deviceName) {
        this.device = device;
        this.context = context;
        this.module = module;
        this.cublas = cublas;
        this.deviceName = deviceName;
        bound.set(true);
        this.head = memory.allocate(32);
        CudaStatus.check("cuMemsetD8_v2", CudaDriver.cuMemsetD8_v2(head.address(), (byte) 0, 32));
        this.partials = memory.allocate(8L * MAX_REDUCTION_BLOCKS);
        this.rowScratch = memory.allocate(8L * 1024);
    }

    // ---- opening ---------------------------------------------------------------------------------

    /** Open device 0. Throws {@link CudaUnavailableException} with a user-facing message when CUDA cannot be used. */
    public static CudaBackend open() {
        return open(0);
    }

    public static CudaBackend open(int ordinal) {
        if (!CudaDriver.loaded()) {
            throw new CudaUnavailableException("--device cuda requested but no CUDA driver (libcuda.so.1) was found"
                    + " (" + CudaDriver.LIB.failure + "); install the NVIDIA driver or use --device cpu");
        }
        try (Arena a = Arena.ofConfined()) {
            int st = CudaDriver.cuInit(0);
            if (st != 0) {
                throw new CudaUnavailableException("cuInit", st, "--device cuda requested but the CUDA driver cannot start: cuInit failed: "
                        + CudaStatus.name("cuInit", st) + " (" + st + ")"
                        + (st == CudaDriver.CUDA_ERROR_NO_DEVICE ? "; no GPU is visible (check nvidia-smi, CUDA_VISIBLE_DEVICES)" : ""));
            }
            MemorySegment i = a.allocate(JAVA_INT);
            CudaStatus.check("cuDeviceGetCount", CudaDriver.cuDeviceGetCount(i));
            int count = i.get(JAVA_INT, 0);
            if (ordinal < 0 || ordinal >= count) {
                throw new CudaUnavailableException("--device cuda requested but there is no CUDA device " + ordinal
                        + " (" + count + " visible)");
            }
            if (!Cublas.loaded()) throw new CudaUnavailableException("--device cuda requested but " + Cublas.LIB.missingMessage());
            byte[] fatbin = Kernels.fatbin();
            if (fatbin == null) {
                throw new CudaUnavailableException("--device cuda requested but this eoslab was built without nvcc: "
                        + Kernels.FATBIN + " is not in the jar (rebuild on a machine with the CUDA toolkit)");
            }
            CudaStatus.check("cuDeviceGet", CudaDriver.cuDeviceGet(i, ordinal));
            int dev = i.get(JAVA_INT, 0);
            MemorySegment p = a.allocate(ADDRESS);
            CudaStatus.check("cuDevicePrimaryCtxRetain", CudaDriver.cuDevicePrimaryCtxRetain(p, dev));
            MemorySegment ctx = p.get(ADDRESS, 0);
            MemorySegment mod = null, handle = null;
            try {
                CudaStatus.check("cuCtxSetCurrent", CudaDriver.cuCtxSetCurrent(ctx));
                // cuModuleLoadData parses (and for PTX, JIT-compiles) the image during the call.
                MemorySegment image = a.allocate(fatbin.length, 16);
                MemorySegment.copy(fatbin, 0, image, JAVA_BYTE, 0, fatbin.length);
                CudaStatus.check("cuModuleLoadData(kernels.fatbin)", CudaDriver.cuModuleLoadData(p, image));
                mod = p.get(ADDRESS, 0);
                CudaStatus.check("cublasCreate_v2", Cublas.cublasCreate_v2(p));
                handle = p.get(ADDRESS, 0);
                return new CudaBackend(dev, ctx, new Kernels.Module(mod), handle, deviceName(dev));
            } catch (RuntimeException e) {
                // undo what was set up, keep the first error
                if (handle != null) Cublas.cublasDestroy_v2(handle);
                if (mod != null) CudaDriver.cuModuleUnload(mod);
                CudaDriver.cuDevicePrimaryCtxRelease_v2(dev);
                throw e;
            }
        }
    }

    /** Whether {@link #open()} can succeed here: driver, a device, cuBLAS and the kernels (cached after the first call). */
    public static boolean available() {
        return unavailableReason() == null;
    }

    private static volatile String probe;

    /** Why CUDA cannot be used here, or null when it can. */
    public static String unavailableReason() {
        String r = probe;
        if (r == null) {
            synchronized (CudaBackend.class) {
                if (probe == null) probe = computeReason();
                r = probe;
            }
        }
        return r.isEmpty() ? null : r;
    }

    private static String computeReason() {
        try {
            if (!CudaDriver.loaded()) return "no CUDA driver (libcuda.so.1)";
            int st = CudaDriver.cuInit(0);
            if (st != 0) return "cuInit: " + CudaStatus.name("cuInit", st);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment i = a.allocate(JAVA_INT);
                if (CudaDriver.cuDeviceGetCount(i) != 0 || i.get(JAVA_INT, 0) < 1) return "no CUDA device";
            }
            if (!Cublas.loaded()) return Cublas.LIB.missingMessage();
            if (!Kernels.isFatbin(Kernels.fatbin())) return "no kernels.fatbin in this build";
            return "";
        } catch (RuntimeException e) {
            return String.valueOf(e.getMessage());
        }
    }

    static String deviceName(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(256);
            CudaStatus.check("cuDeviceGetName", CudaDriver.cuDeviceGetName(s, 256, dev));
            return s.getString(0);
        }
    }

    /** The CUdevice this backend runs on. */
    public int device() {
        return device;
    }

    public String deviceName() {
        return deviceName;
    }

    /** Bytes held by live tensors and by the allocator's cache. */
    public long liveBytes() {
        return memory.liveBytes();
    }

    public long cachedBytes() {
        return memory.cachedBytes();
    }

    @Override
    public String name() {
        return "cuda";
    }

    /** The loaded kernels/eoslab.cu module, for the kernel families launched outside this class (CudaAttention). */
    Kernels.Module module() {
        return module;
    }

    /** Make this backend's context current on the calling thread (once per thread). */
    void enter() {
        if (closed) throw new IllegalStateException("CUDA backend is closed");
        if (!bound.get()) {
            CudaStatus.check("cuCtxSetCurrent", CudaDriver.cuCtxSetCurrent(context));
            bound.set(true);
        }
    }

    // ---- tensors and pointers ----------------------------------------------------------------------

    private Tensor alloc(DType dtype, long size) {
        if (size < 0) throw new IllegalArgumentException("negative tensor size " + size);
        DevicePointer p = memory.allocate(Math.max(1, size) * dtype.bytes);
        return new Tensor(this, dtype, p, 0, size);
    }

    /** Device address of element 0 of {@code t}. */
    long addr(Tensor t) {
        if (t.backend != this || !(t.storage instanceof DevicePointer p)) {
            throw new IllegalArgumentException("expected a tensor of this CUDA backend, got " + t);
        }
        if ((t.offset + t.size) * t.dtype.bytes > p.bytes()) {
            throw new IllegalArgumentException("tensor " + t + " runs past its device block of " + p.bytes() + " bytes");
        }
        return p.address() + t.offset * t.dtype.bytes;
    }

    /** The device address of {@code t}'s first element, as a kernel argument. */
    Kernels.Ptr ptr(Tensor t) {
        return new Kernels.Ptr(addr(t));
    }

    private static Kernels.Ptr ptr(DevicePointer p, long byteOffset) {
        return new Kernels.Ptr(p.address() + byteOffset);
    }

    private static String sfx(Tensor t) {
        return switch (t.dtype) {
            case F32 -> "_f32";
            case F64 -> "_f64";
            case I32 -> throw new IllegalArgumentException("this op needs F32 or F64 tensors, got " + t);
        };
    }

    /** Blocks for a grid-stride loop over n elements. */
    static int blocks(long n) {
        return (int) Math.max(1, Math.min(MAX_BLOCKS, (n + THREADS - 1) / THREADS));
    }

    /** Blocks of the first dot pass: a function of n only, so the reduction tree (and the bits) depend only on n. */
    static int reductionBlocks(long n) {
        return (int) Math.max(1, Math.min(MAX_REDUCTION_BLOCKS, (n + 4L * THREADS - 1) / (4L * THREADS)));
    }

    // ---- memory ------------------------------------------------------------------------------------

    @Override
    public Tensor zeros(DType dtype, long size) {
        enter();
        Tensor t = alloc(dtype, size);
        if (size > 0) CudaStatus.check("cuMemsetD8_v2", CudaDriver.cuMemsetD8_v2(addr(t), (byte) 0, size * dtype.bytes));
        return t;
    }

    @Override
    public Tensor fromDoubles(DType dtype, double[] host) {
        enter();
        Tensor t = alloc(dtype, host.length);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate((long) Math.max(1, host.length) * dtype.bytes, 8);
            switch (dtype) {
                case F32 -> { for (int i = 0; i < host.length; i++) s.setAtIndex(JAVA_FLOAT, i, (float) host[i]); }
                case F64 -> MemorySegment.copy(host, 0, s, JAVA_DOUBLE, 0, host.length);
                case I32 -> { for (int i = 0; i < host.length; i++) s.setAtIndex(JAVA_INT, i, (int) host[i]); }
            }
            upload(t, s);
        }
        return t;
    }

    @Override
    public Tensor fromFloats(float[] host) {
        enter();
        Tensor t = alloc(DType.F32, host.length);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate((long) Math.max(1, host.length) * 4, 8);
            MemorySegment.copy(host, 0, s, JAVA_FLOAT, 0, host.length);
            upload(t, s);
        }
        return t;
    }

    @Override
    public Tensor fromInts(int[] host) {
        enter();
        Tensor t = alloc(DType.I32, host.length);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate((long) Math.max(1, host.length) * 4, 8);
            MemorySegment.copy(host, 0, s, JAVA_INT, 0, host.length);
            upload(t, s);
        }
        return t;
    }

    private void upload(Tensor t, MemorySegment host) {
        if (t.size > 0) CudaStatus.check("cuMemcpyHtoD_v2", CudaDriver.cuMemcpyHtoD_v2(addr(t), host, t.size * t.dtype.bytes));
    }

    @Override
    public synchronized double[] toDoubles(Tensor t) {
        enter();
        int n = t.intSize();
        double[] out = new double[n];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate((long) Math.max(1, n) * t.dtype.bytes, 8);
            if (n > 0) CudaStatus.check("cuMemcpyDtoH_v2", CudaDriver.cuMemcpyDtoH_v2(s, addr(t), (long) n * t.dtype.bytes));
            switch (t.dtype) {
                case F32 -> { for (int i = 0; i < n; i++) out[i] = s.getAtIndex(JAVA_FLOAT, i); }
                case F64 -> MemorySegment.copy(s, JAVA_DOUBLE, 0, out, 0, n);
                case I32 -> { for (int i = 0; i < n; i++) out[i] = s.getAtIndex(JAVA_INT, i); }
            }
        }
        checkDeviceErrors();
        return out;
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        enter();
        sameSize(src, dst);
        long n = src.size;
        if (n == 0) return;
        if (src.dtype == dst.dtype) {
            CudaStatus.check("cuMemcpyDtoD_v2", CudaDriver.cuMemcpyDtoD_v2(addr(dst), addr(src), n * src.dtype.bytes));
        } else if (src.dtype == DType.F32 && dst.dtype == DType.F64) {
            module.launch("convert_f32_f64", blocks(n), 1, THREADS, 1, ptr(src), ptr(dst), n);
        } else if (src.dtype == DType.F64 && dst.dtype == DType.F32) {
            module.launch("convert_f64_f32", blocks(n), 1, THREADS, 1, ptr(src), ptr(dst), n);
        } else {
            throw new IllegalArgumentException("copy " + src.dtype + " -> " + dst.dtype + " is not supported");
        }
    }

    @Override
    public void fill(Tensor t, double value) {
        enter();
        long n = t.size;
        if (n == 0) return;
        switch (t.dtype) {
            case F32 -> module.launch("fill_f32", blocks(n), 1, THREADS, 1, ptr(t), n, (float) value);
            case F64 -> module.launch("fill_f64", blocks(n), 1, THREADS, 1, ptr(t), n, value);
            case I32 -> module.launch("fill_i32", blocks(n), 1, THREADS, 1, ptr(t), n, (int) value);
        }
    }

    @Override
    public void gatherRows(Tensor src, Tensor idx, int cols, Tensor dst) {
        enter();
        if (idx.dtype != DType.I32) throw new IllegalArgumentException("gatherRows: indices must be I32, got " + idx);
        if (src.dtype != dst.dtype) throw new IllegalArgumentException("dtype mismatch: " + src + " vs " + dst);
        int rows = idx.intSize();
        if (dst.size < (long) rows * cols) throw new IllegalArgumentException("gatherRows: " + dst + " is smaller than " + rows + " x " + cols);
        if (rows == 0 || cols == 0) return;
        String k = src.dtype.bytes == 8 ? "gather_rows_b64" : "gather_rows_b32";
        long total = (long) rows * cols;
        module.launch(k, blocks(total), 1, THREADS, 1, ptr(src), src.size / cols, ptr(idx), rows, cols, ptr(dst), ptr(head, 8));
    }

    // ---- level 3 -------------------------------------------------------------------------------------

    /** F32 GEMM operand rounding ({@link GemmPrecision}); F32 keeps cublasSgemm. */
    private volatile GemmPrecision gemmPrecision = GemmPrecision.F32;

    @Override
    public GemmPrecision gemmPrecision() {
        return gemmPrecision;
    }

    @Override
    public GemmPrecision setGemmPrecision(GemmPrecision p) {
        GemmPrecision old = gemmPrecision;
        gemmPrecision = java.util.Objects.requireNonNull(p, "precision");
        return old;
    }

    /** The cuBLAS compute type of a reduced precision: bf16 or TF32 tensor-core inputs, float32 accumulation. */
    private static int computeType(GemmPrecision p) {
        return switch (p) {
            case F32 -> Cublas.CUBLAS_COMPUTE_32F;
            case TF32 -> Cublas.CUBLAS_COMPUTE_32F_FAST_TF32;
            case BF16 -> Cublas.CUBLAS_COMPUTE_32F_FAST_16BF;
        };
    }

    /** Row blocks of a single GEMM keep C and a row-major A below this many elements (tests lower it). */
    static long gemmRowBlockElements = 1L << 30;

    /**
     * Row-major GEMM on column-major cuBLAS: C (m, n) row-major is C^T (n, m) column-major with the
     * same ldc, and C^T = op(B)^T op(A)^T. So cuBLAS gets (transB, transA, n, m, k, B, ldb, A, lda):
     * each operand keeps its own flag and leading dimension, only the order and m/n swap.
     * Stride 0 for A or B goes to cuBLAS's strided-batched GEMM as is (cuBLAS allows a zero batch
     * stride on A and B; NVIDIA/MatX#474). A stride-0 C with batch &gt; 1 runs as a loop of single
     * GEMMs so that, as on the CPU, the batches accumulate one after another instead of racing on
     * one C. F32 is true FP32: the handle keeps cuBLAS's default math mode (CUBLAS_DEFAULT_MATH,
     * no TF32 tensor-core rounding). With {@link #gemmPrecision()} BF16 or TF32, F32 GEMMs go to
     * cublasGemmEx / cublasGemmStridedBatchedEx instead: float32 storage for A, B and C
     * (CUDA_R_32F), compute type CUBLAS_COMPUTE_32F_FAST_16BF or _FAST_TF32, so cuBLAS rounds the
     * inputs for the tensor cores and accumulates in float32 (the same mapping of operands).
     */
    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                     Tensor a, int lda, long strideA, Tensor b, int ldb, long strideB,
                     double beta, Tensor c, int ldc, long strideC, int batch) {
        enter();
        sameType(a, b);
        sameType(a, c);
        if (m == 0 || n == 0 || batch == 0) return;
        boolean f32 = switch (a.dtype) {
            case F32 -> true;
            case F64 -> false;
            case I32 -> throw new IllegalArgumentException("gemm needs F32 or F64 tensors, got " + a);
        };
        int opFirst = transB ? Cublas.CUBLAS_OP_T : Cublas.CUBLAS_OP_N;   // cuBLAS "A" = our B
        int opSecond = transA ? Cublas.CUBLAS_OP_T : Cublas.CUBLAS_OP_N;  // cuBLAS "B" = our A
        long es = a.dtype.bytes;
        GemmPrecision prec = f32 ? gemmPrecision : GemmPrecision.F32;     // F64 is never rounded
        boolean ex = prec != GemmPrecision.F32;
        int r32 = Cublas.CUDA_R_32F, ct = computeType(prec), algo = Cublas.CUBLAS_GEMM_DEFAULT;
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment al = f32 ? ar.allocateFrom(JAVA_FLOAT, (float) alpha) : ar.allocateFrom(JAVA_DOUBLE, alpha);
            MemorySegment be = f32 ? ar.allocateFrom(JAVA_FLOAT, (float) beta) : ar.allocateFrom(JAVA_DOUBLE, beta);
            long pa = addr(a), pb = addr(b), pc = addr(c);
            if (batch == 1 || strideC == 0) {
                // cuBLAS's int API: a C (or a row-major A) of more than 2^31 elements, e.g. GPT-2's
                // R{logits} of k·B·T rows × V, is done in row blocks that stay below gemmRowBlockElements
                long widest = Math.max(ldc, transA ? 1 : lda);
                int mc = (int) Math.max(1, Math.min(m, gemmRowBlockElements / widest));
                for (int bt = 0; bt < batch; bt++) {
                    for (int i0 = 0; i0 < m; i0 += mc) {
                        int rows = Math.min(mc, m - i0);
                        // row i of op(A): row i of A (m × k, ld lda), or column i of A stored (k × m)
                        MemorySegment A = MemorySegment.ofAddress(pa + (bt * strideA + (transA ? i0 : (long) i0 * lda)) * es);
                        MemorySegment B = MemorySegment.ofAddress(pb + bt * strideB * es);
                        MemorySegment C = MemorySegment.ofAddress(pc + (bt * strideC + (long) i0 * ldc) * es);
                        if (ex) {
                            CudaStatus.check("cublasGemmEx", Cublas.cublasGemmEx(cublas, opFirst, opSecond, n, rows, k, al,
                                    B, r32, ldb, A, r32, lda, be, C, r32, ldc, ct, algo));
                        } else if (f32) {
                            CudaStatus.check("cublasSgemm_v2", Cublas.cublasSgemm_v2(cublas, opFirst, opSecond, n, rows, k, al, B, ldb, A, lda, be, C, ldc));
                        } else {
                            CudaStatus.check("cublasDgemm_v2", Cublas.cublasDgemm_v2(cublas, opFirst, opSecond, n, rows, k, al, B, ldb, A, lda, be, C, ldc));
                        }
                    }
                }
            } else {
                MemorySegment A = MemorySegment.ofAddress(pa), B = MemorySegment.ofAddress(pb), C = MemorySegment.ofAddress(pc);
                if (ex) {
                    CudaStatus.check("cublasGemmStridedBatchedEx", Cublas.cublasGemmStridedBatchedEx(cublas, opFirst, opSecond,
                            n, m, k, al, B, r32, ldb, strideB, A, r32, lda, strideA, be, C, r32, ldc, strideC, batch, ct, algo));
                } else if (f32) {
                    CudaStatus.check("cublasSgemmStridedBatched", Cublas.cublasSgemmStridedBatched(cublas, opFirst, opSecond,
                            n, m, k, al, B, ldb, strideB, A, lda, strideA, be, C, ldc, strideC, batch));
                } else {
                    CudaStatus.check("cublasDgemmStridedBatched", Cublas.cublasDgemmStridedBatched(cublas, opFirst, opSecond,
                            n, m, k, al, B, ldb, strideB, A, lda, strideA, be, C, ldc, strideC, batch));
                }
            }
        }
    }

    // ---- cuBLASLt: the bias in the GEMM's epilogue (opt-in) -------------------------------------------

    /**
     * {@code -Deoslab.cuda.lt=true}: linear layers' forward (y = x Wᵀ + b) through cuBLASLt with the
     * bias epilogue, writing y once instead of a GEMM and then an addBias pass over it, and GPT-2's
     * c_fc + GELU with the GELU_AUX_BIAS epilogue (y and the pre-activation from the GEMM). Off by
     * default until a GPU run shows it pays (bench/gpu/run-all.sh (d) times GPT-2 both ways). A call
     * cuBLASLt has no algorithm for takes the cuBLAS path (and says so once).
     */
    private boolean ltRequested = Boolean.getBoolean("eoslab.cuda.lt");
    /** Workspace cuBLASLt's heuristics may use (llm.c uses 32 MiB on Hopper). */
    static final long LT_WORKSPACE_BYTES = 32L << 20;
    private MemorySegment ltHandle;
    private DevicePointer ltWorkspace;
    private long ltFallbacks;

    /** Whether linear layers take the cuBLASLt path (requested and the library found). */
    public synchronized boolean usesLt() {
        return ltRequested && CublasLt.loaded();
    }

    /** Turn the cuBLASLt path on or off for this backend (the property sets the initial state; tests flip it). */
    synchronized void requestLt(boolean on) {
        ltRequested = on;
    }

    /** cuBLASLt plans built so far (one per shape, type and alignment; {@link LtPlan}). */
    synchronized int ltPlanCount() {
        return ltPlans.size();
    }

    /** Calls that asked cuBLASLt and fell back to cuBLAS (no algorithm for the shape or type). */
    synchronized long ltFallbacks() {
        return ltFallbacks;
    }

    @Override
    public synchronized void linearForward(Tensor x, Tensor w, Tensor b, Tensor y, int n, int in, int out) {
        enter();
        if (!usesLt() || x.dtype == DType.I32 || n == 0 || ltFailed(ltLinear(x, w, b, y, null, CublasLt.EPILOGUE_BIAS, n, in, out))) {
            Backend.super.linearForward(x, w, b, y, n, in, out);
        }
    }

    @Override
    public synchronized void linearForwardAct(Tensor x, Tensor w, Tensor b, Tensor pre, Act act, Tensor y, int n, int in, int out) {
        enter();
        // cuBLASLt wants the GELU input's leading dimension (here out) divisible by 8 (cublasLt.h, EPILOGUE_AUX_LD)
        if (!usesLt() || act != Act.GELU || x.dtype == DType.I32 || n == 0 || out % 8 != 0
                || ltFailed(ltLinear(x, w, b, y, pre, CublasLt.EPILOGUE_GELU_AUX_BIAS, n, in, out))) {
            Backend.super.linearForwardAct(x, w, b, pre, act, y, n, in, out);
        }
    }

    /** True (and a note on the first one) when a cuBLASLt call failed, so the caller takes the cuBLAS path. */
    private boolean ltFailed(int status) {
        if (status == 0) return false;
        if (ltFallbacks++ == 0) {
            System.err.println("eoslab: cuBLASLt epilogue unavailable for a linear layer (" + CudaStatus.name("cublasLt", status)
                    + "); such calls use cuBLAS GEMM + addBias (+ activation)");
        }
        return true;
    }

    /**
     * Column-major, as cuBLAS sees eoslab's row-major tensors: D = yᵀ (out × n, ld out) =
     * op_T(W as (in × out), ld in) · xᵀ (in × n, ld in), plus b on every column. Returns the first
     * non-zero cublasStatus_t (0: done). The descriptor, layouts and algorithm come from the shape's
     * {@link LtPlan}; only the bias and aux pointers are set per call.
     */
    private int ltLinear(Tensor x, Tensor w, Tensor b, Tensor y, Tensor aux, int epilogue, int n, int in, int out) {
        sameType(x, w);
        sameType(x, b);
        sameType(x, y);
        if (aux != null) sameType(x, aux);
        boolean f32 = x.dtype == DType.F32;
        int type = f32 ? Cublas.CUDA_R_32F : CublasLt.CUDA_R_64F;
        int compute = f32 ? computeType(gemmPrecision) : CublasLt.CUBLAS_COMPUTE_64F;
        try (Arena a = Arena.ofConfined()) {
            if (ltHandle == null) {
                MemorySegment p = a.allocate(ADDRESS);
                int st = CublasLt.cublasLtCreate(p);
                if (st != 0) return st;
                ltHandle = p.get(ADDRESS, 0);
                ltWorkspace = memory.allocate(LT_WORKSPACE_BYTES);
            }
            long auxAddr = aux == null ? 0 : addr(aux);
            LtKey key = new LtKey(type, compute, epilogue, n, in, out, alignment(addr(w)), alignment(addr(x)), alignment(addr(y)),
                    alignment(addr(b)), aux == null ? 0 : alignment(auxAddr));
            LtPlan plan = ltPlans.get(key);
            if (plan == null) ltPlans.put(key, plan = ltPlan(key, addr(b), auxAddr));
            if (plan.status != 0) return plan.status;
            int st = ltPointers(a, plan.desc, addr(b), auxAddr);
            if (st != 0) return st;
            MemorySegment al = f32 ? a.allocateFrom(JAVA_FLOAT, 1f) : a.allocateFrom(JAVA_DOUBLE, 1.0);
            MemorySegment be = f32 ? a.allocateFrom(JAVA_FLOAT, 0f) : a.allocateFrom(JAVA_DOUBLE, 0.0);
            MemorySegment dy = MemorySegment.ofAddress(addr(y));
            return CublasLt.cublasLtMatmul(ltHandle, plan.desc, al, MemorySegment.ofAddress(addr(w)), plan.la, MemorySegment.ofAddress(addr(x)), plan.lb,
                    be, dy, plan.ld, dy, plan.ld, plan.algo, MemorySegment.ofAddress(ltWorkspace.address()), LT_WORKSPACE_BYTES, MemorySegment.NULL);
        }
    }

    /**
     * What fixes a cuBLASLt plan: data and compute type, epilogue, shape, and the alignments (bytes,
     * at most 256) of W, x and y, which the heuristic must know (it assumes 256-byte-aligned buffers
     * unless told otherwise, and eoslab's weights and activations are views at any float offset), and
     * of the bias and aux vectors, whose pointers the heuristic sees in the descriptor.
     */
    private record LtKey(int type, int compute, int epilogue, int n, int in, int out, int alignW, int alignX, int alignY,
                         int alignBias, int alignAux) {}

    /**
     * A linear layer's cuBLASLt matmul, built once per {@link LtKey}: the descriptor (transposes and
     * epilogue; the bias and aux pointers are set before each call, which is safe as calls are
     * synchronized), the three layouts and the heuristic's algorithm. Building one costs far more host
     * time than the matmul it launches (the heuristic query above all), and a training step makes the
     * same few shapes over and over. status != 0: cuBLASLt refused this key (nothing is held).
     */
    private record LtPlan(int status, MemorySegment desc, MemorySegment la, MemorySegment lb, MemorySegment ld, MemorySegment algo) {
        static LtPlan failed(int status) {
            return new LtPlan(status, null, null, null, null, null);
        }

        void destroy() {
            if (ld != null) CublasLt.cublasLtMatrixLayoutDestroy(ld);
            if (lb != null) CublasLt.cublasLtMatrixLayoutDestroy(lb);
            if (la != null) CublasLt.cublasLtMatrixLayoutDestroy(la);
            if (desc != null) CublasLt.cublasLtMatmulDescDestroy(desc);
        }
    }

    private final Map<LtKey, LtPlan> ltPlans = new HashMap<>();
    /** Holds the plans' algorithms (cublasLtMatmulHeuristicResult_t) for the backend's lifetime. */
    private final Arena ltArena = Arena.ofShared();

    /**
     * Builds the plan for key (with the first call's bias and aux pointers in the descriptor, as the
     * heuristic expects them set), or a failed one carrying the first non-zero cublasStatus_t.
     */
    private LtPlan ltPlan(LtKey key, long bias, long aux) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            MemorySegment desc = null, la = null, lb = null, ld = null, pref = null;
            int st = 0;
            try {
                if ((st = CublasLt.cublasLtMatmulDescCreate(p, key.compute, key.type)) != 0) return LtPlan.failed(st);
                desc = p.get(ADDRESS, 0);
                if ((st = ltDescInt(a, desc, CublasLt.DESC_TRANSA, Cublas.CUBLAS_OP_T)) != 0) return LtPlan.failed(st);
                if ((st = ltDescInt(a, desc, CublasLt.DESC_TRANSB, Cublas.CUBLAS_OP_N)) != 0) return LtPlan.failed(st);
                if ((st = ltDescInt(a, desc, CublasLt.DESC_EPILOGUE, key.epilogue)) != 0) return LtPlan.failed(st);
                if (aux != 0   // the GELU input (pre-activation), column-major (out × n) like D
                        && (st = CublasLt.cublasLtMatmulDescSetAttribute(desc, CublasLt.DESC_EPILOGUE_AUX_LD,
                                a.allocateFrom(JAVA_LONG, (long) key.out), 8)) != 0) return LtPlan.failed(st);
                if ((st = ltPointers(a, desc, bias, aux)) != 0) return LtPlan.failed(st);
                if ((st = CublasLt.cublasLtMatrixLayoutCreate(p, key.type, key.in, key.out, key.in)) != 0) return LtPlan.failed(st);
                la = p.get(ADDRESS, 0);
                if ((st = CublasLt.cublasLtMatrixLayoutCreate(p, key.type, key.in, key.n, key.in)) != 0) return LtPlan.failed(st);
                lb = p.get(ADDRESS, 0);
                if ((st = CublasLt.cublasLtMatrixLayoutCreate(p, key.type, key.out, key.n, key.out)) != 0) return LtPlan.failed(st);
                ld = p.get(ADDRESS, 0);
                if ((st = CublasLt.cublasLtMatmulPreferenceCreate(p)) != 0) return LtPlan.failed(st);
                pref = p.get(ADDRESS, 0);
                if ((st = CublasLt.cublasLtMatmulPreferenceSetAttribute(pref, CublasLt.PREF_MAX_WORKSPACE_BYTES,
                        a.allocateFrom(JAVA_LONG, LT_WORKSPACE_BYTES), 8)) != 0) return LtPlan.failed(st);
                int[][] aligns = {{CublasLt.PREF_MIN_ALIGNMENT_A_BYTES, key.alignW}, {CublasLt.PREF_MIN_ALIGNMENT_B_BYTES, key.alignX},
                        {CublasLt.PREF_MIN_ALIGNMENT_C_BYTES, key.alignY}, {CublasLt.PREF_MIN_ALIGNMENT_D_BYTES, key.alignY}};
                for (int[] al : aligns) {
                    if ((st = CublasLt.cublasLtMatmulPreferenceSetAttribute(pref, al[0], a.allocateFrom(JAVA_INT, al[1]), 4)) != 0) return LtPlan.failed(st);
                }
                MemorySegment algo = ltArena.allocate(CublasLt.HEURISTIC_RESULT_BYTES, 8), count = a.allocate(JAVA_INT);
                if ((st = CublasLt.cublasLtMatmulAlgoGetHeuristic(ltHandle, desc, la, lb, ld, ld, pref, 1, algo, count)) != 0) return LtPlan.failed(st);
                if (count.get(JAVA_INT, 0) < 1) return LtPlan.failed(st = 15);   // CUBLAS_STATUS_NOT_SUPPORTED: no algorithm for this problem
                return new LtPlan(0, desc, la, lb, ld, algo);
            } finally {
                if (pref != null) CublasLt.cublasLtMatmulPreferenceDestroy(pref);
                if (st != 0) new LtPlan(st, desc, la, lb, ld, null).destroy();
            }
        }
    }

    /** Sets the descriptor's bias pointer and, when aux != 0, its aux (GELU input) pointer. */
    private static int ltPointers(Arena a, MemorySegment desc, long bias, long aux) {
        int st = CublasLt.cublasLtMatmulDescSetAttribute(desc, CublasLt.DESC_BIAS_POINTER, a.allocateFrom(JAVA_LONG, bias), 8);
        if (st != 0 || aux == 0) return st;
        return CublasLt.cublasLtMatmulDescSetAttribute(desc, CublasLt.DESC_EPILOGUE_AUX_POINTER, a.allocateFrom(JAVA_LONG, aux), 8);
    }

    private static int ltDescInt(Arena a, MemorySegment desc, int attr, int value) {
        return CublasLt.cublasLtMatmulDescSetAttribute(desc, attr, a.allocateFrom(JAVA_INT, value), 4);
    }

    /** The largest power of two (at most 256, cuBLASLt's default assumption) dividing a device address. */
    static int alignment(long address) {
        return (int) Math.min(256, Long.lowestOneBit(address == 0 ? 256 : address));
    }

    // ---- level 1 -------------------------------------------------------------------------------------

    @Override
    public void axpby(double alpha, Tensor x, double beta, Tensor y) {
        enter();
        sameSize(x, y);
        sameType(x, y);
        long n = x.size;
        if (n == 0) return;
        if (x.dtype == DType.F32) {
            module.launch("axpby_f32", blocks(n), 1, THREADS, 1, n, (float) alpha, ptr(x), (float) beta, ptr(y));
        } else {
            module.launch("axpby" + sfx(x), blocks(n), 1, THREADS, 1, n, alpha, ptr(x), beta, ptr(y));
        }
    }

    @Override
    public synchronized double dot(Tensor x, Tensor y) {
        enter();
        sameSize(x, y);
        sameType(x, y);
        long n = x.size;
        int nb = reductionBlocks(n);
        module.launch("dot_partial" + sfx(x), nb, 1, THREADS, 1, n, ptr(x), ptr(y), ptr(partials, 0));
        module.launch("sum_f64", 1, 1, THREADS, 1, ptr(partials, 0), (long) nb, ptr(head, 0));
        return readResult();
    }

    /**
     * One round trip for all rows: dot_rows_partial on a grid (dot's blocks, rows), sum_f64_rows, one
     * copy of the rows' float64 results (each the bits of {@link #dot} of that row).
     */
    @Override
    public synchronized double[] dotRows(Tensor a, int rows, int d, Tensor x) {
        enter();
        sameType(a, x);
        Backend.checkDotRows(a, rows, d, x);
        double[] c = new double[rows];
        if (rows == 0) return c;
        int nb = reductionBlocks(d);
        for (int r0 = 0; r0 < rows; r0 += 65535) {
            int nr = Math.min(65535, rows - r0);
            DevicePointer p = partialScratch(8L * ((long) nr * nb + nr));
            module.launch("dot_rows_partial" + sfx(x), nb, nr, THREADS, 1, (long) d, new Kernels.Ptr(addr(a) + (long) r0 * d * a.dtype.bytes),
                    ptr(x), ptr(p, 0));
            module.launch("sum_f64_rows", nr, 1, THREADS, 1, ptr(p, 0), (long) nb, ptr(p, 8L * nr * nb));
            try (Arena ar = Arena.ofConfined()) {
                MemorySegment s = ar.allocate(8L * nr, 8);
                CudaStatus.check("cuMemcpyDtoH_v2", CudaDriver.cuMemcpyDtoH_v2(s, p.address() + 8L * nr * nb, 8L * nr));
                MemorySegment.copy(s, JAVA_DOUBLE, 0, c, r0, nr);
            }
        }
        return c;
    }

    /** Threads per block of gram_partial; must equal GRAM_THREADS in kernels/gram.cu. */
    static final int GRAM_THREADS = 288;
    /**
     * Most blocks of gram_partial and qr_apply_gram (each writes a (k, k) float64 partial Gram): 792 =
     * two full waves of gram_partial (3 blocks per SM) and three of qr_apply_gram (2 per SM) on a
     * 132-SM H100/H200, where 1024 left the last wave 60% empty. A constant, so the bits do not depend
     * on the device.
     */
    static final int MAX_GRAM_BLOCKS = 792;
    /** Rows of V per gram_partial block below which fewer blocks are launched. */
    static final int GRAM_ROWS_PER_BLOCK = 256;

    /**
     * {@code G = VᵀV} in float64 in one pass over V (kernels/gram.cu): the per-block partial Grams,
     * then their sum in block order. Only the (k, k) result crosses to the host. Deterministic: the
     * launch shape depends only on (d, k).
     */
    @Override
    public double[] gram(Tensor v, long d, int k) {
        return gram(v, d, k, d);
    }

    /** {@link #gram} of k vectors of length d that start {@code ld} elements apart (ld &gt;= d): V (d, k) column-major. */
    synchronized double[] gram(Tensor v, long d, int k, long ld) {
        enter();
        if (k < 1 || d < 0 || ld < d) throw new IllegalArgumentException("gram: need k >= 1, d >= 0, ld >= d; got k=" + k + ", d=" + d + ", ld=" + ld);
        if (v.dtype == DType.I32) throw new IllegalArgumentException("gram needs F32 or F64 vectors, got " + v);
        if (v.size < (k - 1) * ld + d) throw new IllegalArgumentException("gram: " + v + " holds fewer than " + k + " vectors of " + d + " at stride " + ld);
        int nb = gramBlocks(d, k);
        int pairs = gramPairs(k);
        if (pairs > 65535) throw new IllegalArgumentException("gram: k=" + k + " is too many vectors (at most 11,456)");
        DevicePointer scratch = gramScratch(nb, k);
        module.launch("gram_partial" + sfx(v), nb, pairs, GRAM_THREADS, 1, ptr(v), ld, d, k, ptr(scratch, 0));
        return reduceGram(scratch, nb, k);
    }

    /**
     * The scratch of one gram or CholeskyQR pass, reused from call to call (a Lyapunov run does
     * thousands): nb partial Grams (k, k), then G (k, k), then U (k, k), all float64.
     */
    private DevicePointer gramScratch(int nb, int k) {
        return partialScratch(8L * k * k * (nb + 2L));
    }

    /** G = the sum of the nb (k, k) partial Grams at the start of {@code scratch}, in block order (gram_reduce_f64), copied to the host. */
    private double[] reduceGram(DevicePointer scratch, int nb, int k) {
        long kk = (long) k * k, gOff = 8L * kk * nb;
        module.launch("gram_reduce_f64", blocks(kk), 1, THREADS, 1, ptr(scratch, 0), nb, k, ptr(scratch, gOff));
        double[] out = new double[(int) kk];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(8L * kk, 8);
            CudaStatus.check("cuMemcpyDtoH_v2", CudaDriver.cuMemcpyDtoH_v2(s, scratch.address() + gOff, 8L * kk));
            MemorySegment.copy(s, JAVA_DOUBLE, 0, out, 0, (int) kk);
        }
        return out;
    }

    /**
     * One CholeskyQR pass in place (kernels/gram.cu): for k &lt;= 32, qr_apply_gram reads each slab
     * of rows once, replaces it by its product with U (float64 fma chains in CpuGram's order, so V
     * agrees with the CPU backend to the bit), writes it back and forms the Gram of the written
     * values from shared memory: V is read once and written once. For k &gt; 32, qr_apply (a thread
     * per row) and then {@link #gram}. U goes to the device as k² doubles.
     */
    @Override
    public synchronized double[] applyUpperAndGram(Tensor v, double[] u, long d, int k) {
        enter();
        if (k < 1 || d < 0) throw new IllegalArgumentException("applyUpperAndGram: need k >= 1 and d >= 0, got k=" + k + ", d=" + d);
        if (u.length != k * k) throw new IllegalArgumentException("applyUpperAndGram: U has " + u.length + " entries, not k² = " + k * k);
        if (v.dtype == DType.I32) throw new IllegalArgumentException("applyUpperAndGram needs F32 or F64 vectors, got " + v);
        if (v.size < d * k) throw new IllegalArgumentException("applyUpperAndGram: " + v + " holds fewer than " + k + " vectors of " + d);
        int nb = gramBlocks(d, k);
        DevicePointer scratch = gramScratch(nb, k);
        long uOff = 8L * k * k * (nb + 1L);
        // U into the scratch's last k² doubles: a synchronous copy, ordered after the work already
        // queued on the (legacy default) stream, so no earlier kernel can still be reading the old U
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(8L * u.length, 8);
            MemorySegment.copy(u, 0, s, JAVA_DOUBLE, 0, u.length);
            CudaStatus.check("cuMemcpyHtoD_v2", CudaDriver.cuMemcpyHtoD_v2(scratch.address() + uOff, s, 8L * u.length));
        }
        if (k > 32) {
            if (d > 0) module.launch("qr_apply" + sfx(v), blocks(d), 1, THREADS, 1, ptr(v), d, d, k, ptr(scratch, uOff));
            return gram(v, d, k, d);   // the same scratch: its partials and G do not overlap U
        }
        module.launch("qr_apply_gram" + sfx(v), nb, 1, GRAM_THREADS, 1, ptr(v), d, d, k, ptr(scratch, uOff), ptr(scratch, 0));
        return reduceGram(scratch, nb, k);
    }

    /** Bytes of partial Grams a gram call may allocate (k² doubles per block). */
    static final long MAX_GRAM_PARTIAL_BYTES = 64L << 20;

    /**
     * Blocks of gram_partial: a function of (d, k) only, so the reduction order, and the bits, depend
     * only on them. At most one block per {@link #GRAM_ROWS_PER_BLOCK} rows, {@link #MAX_GRAM_BLOCKS},
     * and as many (k, k) float64 partials as fit in {@link #MAX_GRAM_PARTIAL_BYTES} (large k).
     */
    static int gramBlocks(long d, int k) {
        long byRows = (d + GRAM_ROWS_PER_BLOCK - 1) / GRAM_ROWS_PER_BLOCK;
        long byMemory = MAX_GRAM_PARTIAL_BYTES / (8L * k * k);
        return (int) Math.max(1, Math.min(Math.min(MAX_GRAM_BLOCKS, byRows), byMemory));
    }

    /** 32×32 blocks (I, J), I &gt;= J, of a (k, k) Gram: gridDim.y of gram_partial. */
    static int gramPairs(int k) {
        long nb = (k + 31) / 32;
        return (int) Math.min(Integer.MAX_VALUE, nb * (nb + 1) / 2);
    }

    @Override
    public void mul(Tensor x, Tensor y, Tensor out) {
        enter();
        sameSize(x, y);
        sameSize(x, out);
        sameType(x, y);
        sameType(x, out);
        long n = x.size;
        if (n == 0) return;
        module.launch("mul" + sfx(x), blocks(n), 1, THREADS, 1, n, ptr(x), ptr(y), ptr(out));
    }

    // ---- optimizer steps (kernels/optim.cu) ---------------------------------------------------------

    /** Fused AdamW state update: one grid-stride pass, float64 arithmetic, the CPU's bits (see kernels/optim.cu). */
    @Override
    public void adamwUpdate(Tensor w, Tensor m, Tensor v, Tensor g, AdamWCoefficients c) {
        enter();
        for (Tensor t : new Tensor[] {m, v, g}) { sameSize(w, t); sameType(w, t); }
        long n = w.size;
        if (n == 0) return;
        module.launch("adamw_update" + sfx(w), blocks(n), 1, THREADS, 1, n, ptr(w), ptr(m), ptr(v), ptr(g),
                c.lr(), c.beta1(), c.beta2(), c.eps(), c.weightDecay(), c.c1(), c.c2());
    }

    /** AdamW's tangent map on k tangents: one thread per parameter looping over the k tangents (kernels/optim.cu). */
    @Override
    public void adamwTangents(Tensor tangents, int k, Tensor g, Tensor hv, Tensor m, Tensor v, AdamWCoefficients c,
                              boolean freezePreconditioner) {
        enter();
        sameSize(g, m);
        sameSize(g, v);
        for (Tensor t : new Tensor[] {tangents, hv, m, v}) sameType(g, t);
        long n = g.size;
        if (k < 0 || tangents.size < 3 * n * k || hv.size < n * k) {
            throw new IllegalArgumentException("adamwTangents: " + k + " tangents of 3 x " + n + " need " + tangents + " >= 3dk and " + hv + " >= dk");
        }
        if (k == 0 || n == 0) return;
        module.launch("adamw_tangents" + sfx(g), blocks(n), 1, THREADS, 1, n, k, ptr(tangents), ptr(g), ptr(hv), ptr(m), ptr(v),
                c.lr(), c.beta1(), c.beta2(), c.eps(), c.weightDecay(), c.c1(), c.c2(), freezePreconditioner ? 1 : 0);
    }

    // ---- rows ----------------------------------------------------------------------------------------

    @Override
    public void addBias(Tensor bias, long biasStride, Tensor y, int rows, int cols, int batch) {
        enter();
        sameType(bias, y);
        long total = (long) rows * cols * batch;
        if (total == 0) return;
        if (y.size < total) throw new IllegalArgumentException("addBias: " + y + " is smaller than " + batch + " x " + rows + " x " + cols);
        module.launch("add_bias" + sfx(y), blocks(total), 1, THREADS, 1, ptr(bias), biasStride, ptr(y), rows, cols, batch);
    }

    @Override
    public synchronized void sumRows(Tensor x, int rows, int cols, int batch, double beta, Tensor out, long outStride) {
        enter();
        sameType(x, out);
        if (cols == 0 || batch == 0) return;
        Backend.checkDisjointOutputs("sumRows", batch, outStride, cols);
        checkBlocks(x, (long) rows * cols, batch);
        checkBlocks(out, (batch - 1) * outStride + cols, 1);
        // block (32 columns, 8 row lanes): see sum_rows_impl. Up to SUM_ROWS_CHUNK rows, one pass on a
        // grid (column tiles, batch); longer, one block per (tile, chunk of rows, batch) writing float64
        // partials, then sum_rows_finish. gridDim.y/z are at most 65535, so larger batches go in groups
        // (also sized so the partials stay within SUM_ROWS_PARTIAL_BYTES).
        long xb = addr(x), ob = addr(out), es = x.dtype.bytes;
        int tiles = (cols + 31) / 32;
        int chunks = (int) ((rows + (long) SUM_ROWS_CHUNK - 1) / SUM_ROWS_CHUNK);
        if (chunks <= 1) {
            for (int b0 = 0; b0 < batch; b0 += 65535) {
                int nb = Math.min(65535, batch - b0);
                module.launch("sum_rows" + sfx(x), tiles, nb, 32, 8, new Kernels.Ptr(xb + (long) b0 * rows * cols * es),
                        rows, cols, nb, beta, new Kernels.Ptr(ob + b0 * outStride * es), outStride);
            }
            return;
        }
        if (chunks > 65535) throw new IllegalArgumentException("sumRows: " + rows + " rows is more than " + 65535L * SUM_ROWS_CHUNK);
        long perBatch = 8L * chunks * cols;
        int group = (int) Math.max(1, Math.min(65535, SUM_ROWS_PARTIAL_BYTES / perBatch));
        DevicePointer partial = partialScratch(perBatch * Math.min(group, batch));
        for (int b0 = 0; b0 < batch; b0 += group) {
            int nb = Math.min(group, batch - b0);
            module.launch3("sum_rows_partial" + sfx(x), tiles, chunks, nb, 32, 8, new Kernels.Ptr(xb + (long) b0 * rows * cols * es),
                    rows, cols, ptr(partial, 0));
            module.launch("sum_rows_finish" + sfx(x), blocks((long) nb * cols), 1, THREADS, 1, ptr(partial, 0), chunks, cols, nb, beta,
                    new Kernels.Ptr(ob + b0 * outStride * es), outStride);
        }
    }

    /** Rows per block of a long column sum (SR_CHUNK in kernels/eoslab.cu). */
    static final int SUM_ROWS_CHUNK = 256;
    /** Most bytes of float64 column-sum partials one sum_rows_partial launch writes. */
    static final long SUM_ROWS_PARTIAL_BYTES = 64L << 20;

    // ---- activations ---------------------------------------------------------------------------------

    @Override
    public void activation(Act act, Tensor x, Tensor y) {
        enter();
        sameSize(x, y);
        sameType(x, y);
        long n = x.size;
        if (n == 0) return;
        module.launch("activation" + sfx(x), blocks(n), 1, THREADS, 1, act.ordinal(), n, ptr(x), ptr(y));
    }

    @Override
    public void activationBackward(Act act, Tensor x, Tensor g, Tensor out, int k) {
        enter();
        long n = x.size;
        checkBlocks(g, n, k);
        checkBlocks(out, n, k);
        sameType(x, g);
        sameType(x, out);
        if (n == 0 || k == 0) return;
        module.launch("activation_backward" + sfx(x), blocks(n), 1, THREADS, 1, act.ordinal(), n, k, ptr(x), ptr(g), ptr(out));
    }

    @Override
    public void activationRBackward(Act act, Tensor x, Tensor dy, Tensor rx, Tensor rdy, Tensor out, int k) {
        enter();
        long n = x.size;
        checkBlocks(rx, n, k);
        checkBlocks(rdy, n, k);
        checkBlocks(out, n, k);
        sameType(x, dy);
        sameType(x, rx);
        sameType(x, rdy);
        sameType(x, out);
        if (n == 0 || k == 0) return;
        module.launch("activation_rbackward" + sfx(x), blocks(n), 1, THREADS, 1, act.ordinal(), n, k,
                ptr(x), ptr(dy), ptr(rx), ptr(rdy), ptr(out));
    }

    // ---- losses --------------------------------------------------------------------------------------

    @Override
    public synchronized double softmaxCrossEntropy(Tensor logits, Tensor labels, int rows, int classes, double scale,
                                                   Tensor probs, Tensor dlogits, Tensor rowLoss) {
        enter();
        if (labels.dtype != DType.I32) throw new IllegalArgumentException("softmaxCrossEntropy: labels must be I32, got " + labels);
        sameType(logits, probs);
        sameType(logits, dlogits);
        if (rowLoss != null) sameType(logits, rowLoss);
        if (rows == 0) return 0;
        DevicePointer losses = rowScratch(rows);
        Kernels.Ptr rl = rowLoss == null ? new Kernels.Ptr(0) : ptr(rowLoss);
        module.launch("softmax_ce" + sfx(logits), Math.min(rows, MAX_BLOCKS), 1, THREADS, 1, ptr(logits), ptr(labels), rows, classes,
                scale, ptr(probs), ptr(dlogits), rl, ptr(losses, 0), ptr(head, 8));
        module.launch("sum_f64", 1, 1, THREADS, 1, ptr(losses, 0), (long) rows, ptr(head, 0));
        return scale * readResult();
    }

    @Override
    public void softmaxCrossEntropyR(Tensor probs, Tensor rlogits, int rows, int classes, int k, double scale, Tensor out) {
        enter();
        sameType(probs, rlogits);
        sameType(probs, out);
        long blocks = (long) rows * k;
        if (blocks == 0) return;
        module.launch("softmax_ce_r" + sfx(probs), (int) Math.min(blocks, MAX_BLOCKS), 1, THREADS, 1, ptr(probs), ptr(rlogits),
                rows, classes, k, scale, ptr(out));
    }

    @Override
    public synchronized double mse(Tensor out, Tensor target, int rows, int cols, double scale, Tensor dout, Tensor rowLoss) {
        enter();
        sameType(out, target);
        sameType(out, dout);
        if (rowLoss != null) sameType(out, rowLoss);
        if (rows == 0) return 0;
        DevicePointer losses = rowScratch(rows);
        Kernels.Ptr rl = rowLoss == null ? new Kernels.Ptr(0) : ptr(rowLoss);
        module.launch("mse" + sfx(out), Math.min(rows, MAX_BLOCKS), 1, THREADS, 1, ptr(out), ptr(target), rows, cols, scale,
                ptr(dout), rl, ptr(losses, 0));
        module.launch("sum_f64", 1, 1, THREADS, 1, ptr(losses, 0), (long) rows, ptr(head, 0));
        return scale * readResult();
    }

    /** Raw device memory for library workspaces (cuSOLVER); recycled when unreachable. */
    DevicePointer allocateBytes(long bytes) {
        enter();
        return memory.allocate(bytes);
    }

    // ---- GPT-2 kernels (kernels/transformer.cu) ------------------------------------------------------

    private CudaTransformerKernels transformer;

    /** The GPT-2 kernels on this backend (what {@code eoslab.gpt.TransformerKernels.of} returns for it). */
    public synchronized CudaTransformerKernels transformerKernels() {
        if (transformer == null) transformer = new CudaTransformerKernels(this);
        return transformer;
    }

    /** Launch a kernel of this backend's module on its stream (for {@link CudaTransformerKernels}). */
    void launch(String kernel, int gridX, int gridY, int blockX, int blockY, Object... args) {
        enter();
        module.launch(kernel, gridX, gridY, blockX, blockY, args);
    }

    /** The device error record ({kind, value, bound}) kernels write bad indices to; thrown at the next sync. */
    Kernels.Ptr errorRecord() {
        return ptr(head, 8);
    }

    /**
     * Device scratch for reduction partials of at least {@code bytes} (grown, never shrunk): reused by
     * every call, which is safe because all work runs in order on one stream.
     */
    private DevicePointer partialScratch(long bytes) {
        if (partialScratch == null || partialScratch.bytes() < bytes) partialScratch = memory.allocate(bytes);
        return partialScratch;
    }

    /** A float64 scratch vector of at least {@code rows} elements (grown, never shrunk). */
    private DevicePointer rowScratch(int rows) {
        if (rowScratch.bytes() < 8L * rows) rowScratch = memory.allocate(8L * rows);
        return rowScratch;
    }

    // ---- device results and errors ---------------------------------------------------------------

    /** Copy the scratch head (result + error record) to the host; this waits for the device. */
    private double readResult() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(32, 8);
            CudaStatus.check("cuMemcpyDtoH_v2", CudaDriver.cuMemcpyDtoH_v2(s, head.address(), 32));
            throwRecordedError(s);
            return s.get(JAVA_DOUBLE, 0);
        }
    }

    private void checkDeviceErrors() {
        readResult();
    }

    /** Turn an error the kernels recorded ({kind, value, bound} at byte 8) into an exception, and clear it. */
    private void throwRecordedError(MemorySegment s) {
        int kind = s.get(JAVA_INT, 8);
        if (kind == 0) return;
        int value = s.get(JAVA_INT, 12), bound = s.get(JAVA_INT, 16);
        CudaStatus.check("cuMemsetD8_v2", CudaDriver.cuMemsetD8_v2(head.address() + 8, (byte) 0, 12));
        throw recordedError(kind, value, bound);
    }

    /** The exception for an error record written by the kernels (ERR_* in kernels/eoslab.cu). */
    static RuntimeException recordedError(int kind, int value, int bound) {
        return switch (kind) {
            case 1 -> new IndexOutOfBoundsException("gatherRows: row " + value + " of " + bound + " (found on the GPU)");
            case 2 -> new IndexOutOfBoundsException("softmaxCrossEntropy: label " + value + " not in [0, " + bound + ") (found on the GPU)");
            case 3 -> new IndexOutOfBoundsException("gatherIndexed: index " + value + " of " + bound + " (found on the GPU)");
            case 4 -> new IndexOutOfBoundsException("scatterIndexed: index " + value + " of " + bound + " (found on the GPU)");
            case 5 -> new IndexOutOfBoundsException("embeddingForward: token id " + value + " not in [0, " + bound + ") (found on the GPU)");
            default -> new IllegalStateException("unknown device error record " + kind);
        };
    }

    @Override
    public synchronized void sync() {
        enter();
        CudaStatus.check("cuCtxSynchronize", CudaDriver.cuCtxSynchronize());
        checkDeviceErrors();
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        enter();
        try {
            CudaDriver.cuCtxSynchronize();
        } finally {
            closed = true;
            memory.close();
            ltPlans.values().forEach(LtPlan::destroy);
            ltPlans.clear();
            ltArena.close();
            if (ltHandle != null) CublasLt.cublasLtDestroy(ltHandle);
            Cublas.cublasDestroy_v2(cublas);
            CudaDriver.cuModuleUnload(module.module);
            CudaDriver.cuDevicePrimaryCtxRelease_v2(device);
        }
    }

    // ---- checks ------------------------------------------------------------------------------------

    private static void sameSize(Tensor a, Tensor b) {
        if (a.size != b.size) throw new IllegalArgumentException("size mismatch: " + a + " vs " + b);
    }

    private static void sameType(Tensor a, Tensor b) {
        if (a.dtype != b.dtype) throw new IllegalArgumentException("dtype mismatch: " + a + " vs " + b);
    }

    private static void checkBlocks(Tensor t, long n, int k) {
        if (t.size < n * k) throw new IllegalArgumentException("tensor " + t + " holds fewer than " + k + " blocks of " + n);
    }

    // ---- convolutions and pooling (kernels/eoslab.cu, "convolutions and pooling") -------------------
    // Gather formulations throughout: one thread per output element, no atomics, so every result is
    // reproducible bit for bit; col2im and scatterIndexed add in CpuBackend's order and match it exactly.

    /** Most threads a scatterIndexed launch aims for when batch · rows alone is too few (see scatter_indexed_impl). */
    static final int SCATTER_TARGET_THREADS = 1 << 15;

    private static int convOut(int size, int k, int stride, int pad) {
        return (size + 2 * pad - k) / stride + 1;
    }

    private static void checkConv(String op, int n, int channels, int height, int width, int kh, int kw, int stride, int pad) {
        if (n < 0 || channels < 0 || height < 0 || width < 0 || kh < 1 || kw < 1 || stride < 1 || pad < 0) {
            throw new IllegalArgumentException(op + ": bad geometry n=" + n + " C=" + channels + " H=" + height + " W=" + width
                    + " kernel " + kh + "x" + kw + " stride " + stride + " pad " + pad);
        }
    }

    @Override
    public void im2col(Tensor x, int n, int channels, int height, int width, int kh, int kw, int stride, int pad, Tensor cols) {
        enter();
        sameType(x, cols);
        checkConv("im2col", n, channels, height, width, kh, kw, stride, pad);
        long p = (long) convOut(height, kh, stride, pad) * convOut(width, kw, stride, pad), ck = (long) channels * kh * kw;
        checkBlocks(x, (long) channels * height * width, n);
        checkBlocks(cols, ck * p, n);
        long total = n * ck * p;
        if (total <= 0) return;
        module.launch("im2col" + sfx(x), blocks(total), 1, THREADS, 1, ptr(x), n, channels, height, width, kh, kw, stride, pad, ptr(cols));
    }

    @Override
    public void col2im(Tensor cols, int n, int channels, int height, int width, int kh, int kw, int stride, int pad, Tensor x) {
        enter();
        sameType(x, cols);
        checkConv("col2im", n, channels, height, width, kh, kw, stride, pad);
        long p = (long) Math.max(0, convOut(height, kh, stride, pad)) * Math.max(0, convOut(width, kw, stride, pad));
        checkBlocks(x, (long) channels * height * width, n);
        checkBlocks(cols, (long) channels * kh * kw * p, n);
        long total = (long) n * channels * height * width;
        if (total == 0) return;
        module.launch("col2im" + sfx(x), blocks(total), 1, THREADS, 1, ptr(cols), n, channels, height, width, kh, kw, stride, pad, ptr(x));
    }

    @Override
    public void addChannelBias(Tensor bias, long biasStride, Tensor y, int n, int channels, int spatial, int batch) {
        enter();
        sameType(bias, y);
        checkBlocks(y, (long) n * channels * spatial, batch);
        long total = (long) n * channels * spatial * batch;
        if (total == 0) return;
        checkBlocks(bias, (batch - 1) * biasStride + channels, 1);
        module.launch("add_channel_bias" + sfx(y), blocks(total), 1, THREADS, 1, ptr(bias), biasStride, ptr(y), n, channels, spatial, batch);
    }

    @Override
    public void sumChannels(Tensor x, int n, int channels, int spatial, int batch, double beta, Tensor out, long outStride) {
        enter();
        sameType(x, out);
        checkBlocks(x, (long) n * channels * spatial, batch);
        Backend.checkDisjointOutputs("sumChannels", batch, outStride, channels);
        long blocks = (long) batch * channels;
        if (blocks == 0) return;
        checkBlocks(out, (batch - 1) * outStride + channels, 1);
        module.launch("sum_channels" + sfx(x), (int) Math.min(blocks, MAX_BLOCKS), 1, THREADS, 1, ptr(x), n, channels, spatial, batch,
                beta, ptr(out), outStride);
    }

    @Override
    public void maxPool2d(Tensor x, int n, int channels, int height, int width, int size, Tensor y, Tensor argmax) {
        enter();
        if (size < 1) throw new IllegalArgumentException("maxPool2d: window size " + size + " < 1");
        long outPer = (long) channels * (height / size) * (width / size);
        checkBlocks(x, (long) channels * height * width, n);
        if (y != null) { sameType(x, y); checkBlocks(y, outPer, n); }
        if (argmax != null) {
            if (argmax.dtype != DType.I32) throw new IllegalArgumentException("maxPool2d: argmax must be I32, got " + argmax);
            checkBlocks(argmax, outPer, n);
        }
        long total = n * outPer;
        if (total == 0 || (y == null && argmax == null)) return;
        module.launch("max_pool2d" + sfx(x), blocks(total), 1, THREADS, 1, ptr(x), n, channels, height, width, size,
                y == null ? new Kernels.Ptr(0) : ptr(y), argmax == null ? new Kernels.Ptr(0) : ptr(argmax));
    }

    @Override
    public void gatherIndexed(Tensor src, int srcCols, Tensor idx, int rows, int idxCols, Tensor dst, int batch) {
        enter();
        sameType(src, dst);
        if (idx.dtype != DType.I32) throw new IllegalArgumentException("gatherIndexed: indices must be I32, got " + idx);
        checkBlocks(src, (long) rows * srcCols, batch);
        checkBlocks(dst, (long) rows * idxCols, batch);
        checkBlocks(idx, (long) rows * idxCols, 1);
        long total = (long) rows * idxCols * batch;
        if (total == 0) return;
        module.launch("gather_indexed" + sfx(src), blocks(total), 1, THREADS, 1, ptr(src), srcCols, ptr(idx), rows, idxCols,
                ptr(dst), batch, ptr(head, 8));
    }

    @Override
    public void scatterIndexed(Tensor src, Tensor idx, int rows, int idxCols, Tensor dst, int dstCols, int batch) {
        enter();
        sameType(src, dst);
        if (idx.dtype != DType.I32) throw new IllegalArgumentException("scatterIndexed: indices must be I32, got " + idx);
        checkBlocks(src, (long) rows * idxCols, batch);
        checkBlocks(dst, (long) rows * dstCols, batch);
        checkBlocks(idx, (long) rows * idxCols, 1);
        long rowsAll = (long) rows * batch;
        if (rowsAll == 0 || dstCols == 0) return;
        int tiles = scatterTiles(rowsAll, dstCols);
        module.launch("scatter_indexed" + sfx(src), blocks(rowsAll * tiles), 1, THREADS, 1, ptr(src), ptr(idx), rows, idxCols,
                ptr(dst), dstCols, batch, tiles, ptr(head, 8));
    }

    /**
     * Column tiles per dst row for scatter_indexed: 1 when batch · rows threads are already plenty,
     * else enough to reach {@link #SCATTER_TARGET_THREADS}, but tiles of at least 32 columns (each
     * tile's thread reads the row's whole index list, so more tiles cost more reads).
     */
    static int scatterTiles(long rowsAll, int dstCols) {
        long want = (SCATTER_TARGET_THREADS + rowsAll - 1) / rowsAll;
        return (int) Math.max(1, Math.min(want, dstCols / 32));
    }
}
