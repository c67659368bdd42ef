package eoslab.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernels of kernels/eoslab.cu: their parameter lists (checked against the .cu source by
 * CudaKernelSourceTest, and against every launch at run time), the fatbin resource, and the launch.
 *
 * <p>cuLaunchKernel takes {@code void **kernelParams}: an array with one pointer per kernel
 * parameter, each pointing at a host copy of the argument whose size is that of the C type
 * (cuda.h). So a wrong Java type (an int where the kernel takes long long) would silently shift
 * every later argument; {@link #launch} refuses any argument whose kind differs from the table.
 */
final class Kernels {
    private Kernels() {
    }

    /** Resource path of the fatbin inside the jar (built by native/build-kernels.sh). */
    static final String FATBIN = "/eoslab/kernels.fatbin";
    /** Fatbin magic, first 4 bytes little-endian (0xBA55ED50, fatbinary_section.h FATBIN_MAGIC). */
    static final int FATBIN_MAGIC = 0xBA55ED50;

    /** Kernel parameter kinds: device pointer, int, long long, float, double. */
    enum Arg {
        PTR, I32, I64, F32, F64
    }

    /**
     * Parameter lists by kernel name; mirrors the extern "C" __global__ declarations in kernels/eoslab.cu
     * and the files it includes (kernels/transformer.cu).
     */
    static final Map<String, List<Arg>> SIGNATURES = signatures();

    private static Map<String, List<Arg>> signatures() {
        Map<String, List<Arg>> m = new LinkedHashMap<>();
        Arg P = Arg.PTR, I = Arg.I32, L = Arg.I64, F = Arg.F32, D = Arg.F64;
        m.put("fill_f32", List.of(P, L, F));
        m.put("fill_f64", List.of(P, L, D));
        m.put("fill_i32", List.of(P, L, I));
        m.put("convert_f32_f64", List.of(P, P, L));
        m.put("convert_f64_f32", List.of(P, P, L));
        m.put("gather_rows_b32", List.of(P, L, P, I, I, P, P));
        m.put("gather_rows_b64", List.of(P, L, P, I, I, P, P));
        m.put("axpby_f32", List.of(L, F, P, F, P));
        m.put("axpby_f64", List.of(L, D, P, D, P));
        m.put("mul_f32", List.of(L, P, P, P));
        m.put("mul_f64", List.of(L, P, P, P));
        m.put("dot_partial_f32", List.of(L, P, P, P));
        m.put("dot_partial_f64", List.of(L, P, P, P));
        m.put("sum_f64", List.of(P, L, P));
        m.put("dot_rows_partial_f32", List.of(L, P, P, P));
        m.put("dot_rows_partial_f64", List.of(L, P, P, P));
        m.put("sum_f64_rows", List.of(P, L, P));
        m.put("add_bias_f32", List.of(P, L, P, I, I, I));
        m.put("add_bias_f64", List.of(P, L, P, I, I, I));
        m.put("sum_rows_f32", List.of(P, I, I, I, D, P, L));
        m.put("sum_rows_f64", List.of(P, I, I, I, D, P, L));
        m.put("sum_rows_partial_f32", List.of(P, I, I, P));
        m.put("sum_rows_partial_f64", List.of(P, I, I, P));
        m.put("sum_rows_finish_f32", List.of(P, I, I, I, D, P, L));
        m.put("sum_rows_finish_f64", List.of(P, I, I, I, D, P, L));
        m.put("im2col_f32", List.of(P, I, I, I, I, I, I, I, I, P));
        m.put("im2col_f64", List.of(P, I, I, I, I, I, I, I, I, P));
        m.put("col2im_f32", List.of(P, I, I, I, I, I, I, I, I, P));
        m.put("col2im_f64", List.of(P, I, I, I, I, I, I, I, I, P));
        m.put("add_channel_bias_f32", List.of(P, L, P, I, I, I, I));
        m.put("add_channel_bias_f64", List.of(P, L, P, I, I, I, I));
        m.put("sum_channels_f32", List.of(P, I, I, I, I, D, P, L));
        m.put("sum_channels_f64", List.of(P, I, I, I, I, D, P, L));
        m.put("max_pool2d_f32", List.of(P, I, I, I, I, I, P, P));
        m.put("max_pool2d_f64", List.of(P, I, I, I, I, I, P, P));
        m.put("gather_indexed_f32", List.of(P, I, P, I, I, P, I, P));
        m.put("gather_indexed_f64", List.of(P, I, P, I, I, P, I, P));
        m.put("scatter_indexed_f32", List.of(P, P, I, I, P, I, I, I, P));
        m.put("scatter_indexed_f64", List.of(P, P, I, I, P, I, I, I, P));
        m.put("activation_f32", List.of(I, L, P, P));
        m.put("activation_f64", List.of(I, L, P, P));
        m.put("activation_backward_f32", List.of(I, L, I, P, P, P));
        m.put("activation_backward_f64", List.of(I, L, I, P, P, P));
        m.put("activation_rbackward_f32", List.of(I, L, I, P, P, P, P, P));
        m.put("activation_rbackward_f64", List.of(I, L, I, P, P, P, P, P));
        m.put("softmax_ce_f32", List.of(P, P, I, I, D, P, P, P, P, P));
        m.put("softmax_ce_f64", List.of(P, P, I, I, D, P, P, P, P, P));
        m.put("softmax_ce_r_f32", List.of(P, P, I, I, I, D, P));
        m.put("softmax_ce_r_f64", List.of(P, P, I, I, I, D, P));
        m.put("mse_f32", List.of(P, P, I, I, D, P, P, P));
        m.put("mse_f64", List.of(P, P, I, I, D, P, P, P));
        // kernels/transformer.cu (GPT-2), launched by CudaTransformerKernels
        for (String t : new String[] {"_f32", "_f64"}) {
            m.put("embedding_forward" + t, List.of(P, P, P, P, I, I, I, I, P));
            m.put("embedding_backward_wte" + t, List.of(P, P, P, I, I, I));
            m.put("embedding_backward_wpe" + t, List.of(P, P, I, I, I));
            m.put("layernorm_forward" + t, List.of(P, P, P, P, P, P, I, I));
            m.put("layernorm_backward" + t, List.of(P, P, P, P, P, P, I, I));
            m.put("layernorm_param_partial" + t, List.of(P, P, P, P, I, I, I, P));
            m.put("colsum2_finish" + t, List.of(P, I, I, P, P));
            m.put("layernorm_rforward" + t, List.of(P, P, P, P, P, P, P, P, I, I));
            m.put("layernorm_rbackward" + t, List.of(P, P, P, P, P, P, P, P, P, P, I, I));
            m.put("layernorm_rparam_partial" + t, List.of(P, P, P, P, P, P, P, I, I, I, P));
            m.put("softmax_causal_forward" + t, List.of(P, P, I, I));
            m.put("softmax_jvp" + t, List.of(P, P, P, I, I));
            m.put("softmax_jvp_r" + t, List.of(P, P, P, P, P, I, I));
        }
        // kernels/optim.cu
        m.put("adamw_update_f32", List.of(L, P, P, P, P, D, D, D, D, D, D, D));
        m.put("adamw_update_f64", List.of(L, P, P, P, P, D, D, D, D, D, D, D));
        m.put("adamw_tangents_f32", List.of(L, I, P, P, P, P, P, D, D, D, D, D, D, D, I));
        m.put("adamw_tangents_f64", List.of(L, I, P, P, P, P, P, D, D, D, D, D, D, D, I));
        // kernels/gram.cu
        m.put("gram_partial_f32", List.of(P, L, L, I, P));
        m.put("gram_partial_f64", List.of(P, L, L, I, P));
        m.put("gram_reduce_f64", List.of(P, I, I, P));
        m.put("qr_apply_gram_f32", List.of(P, L, L, I, P, P));
        m.put("qr_apply_gram_f64", List.of(P, L, L, I, P, P));
        m.put("qr_apply_f32", List.of(P, L, L, I, P));
        m.put("qr_apply_f64", List.of(P, L, L, I, P));
        // kernels/attention.cu (included by eoslab.cu): (qkv, y, lse, dy, rqkv, ry, rlse, rdy, out..., T, H, C, scale)
        for (String t : List.of("_f32", "_f64")) {
            m.put("attn_fwd" + t, List.of(P, P, P, I, I, I, D));
            m.put("attn_bwd_dq" + t, List.of(P, P, P, P, P, I, I, I, D));
            m.put("attn_bwd_dkdv" + t, List.of(P, P, P, P, P, I, I, I, D));
            m.put("attn_rfwd" + t, List.of(P, P, P, P, P, P, I, I, I, D));
            m.put("attn_rbwd_dq" + t, List.of(P, P, P, P, P, P, P, P, P, I, I, I, D));
            m.put("attn_rbwd_dkdv" + t, List.of(P, P, P, P, P, P, P, P, P, I, I, I, D));
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    /**
     * Threads per block each kernel is launched with: attention by tile, gram_partial and qr_apply_gram with
     * GRAM_THREADS, the column-sum kernels with (32, 8) = (CS_COLS, CS_LANES), every other kernel with
     * THREADS. Enforced at every launch, so that CudaKernelResourceTest, which checks ptxas's
     * registers × these threads against the SM's 65536 registers (past them the GPU refuses every
     * launch with CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, which the emulator cannot see), checks the block
     * sizes that are really launched.
     */
    static int blockThreads(String kernel) {
        int[] s = blockShape(kernel);
        return s[0] * s[1];
    }

    /**
     * The block shape (x, y) of {@link #blockThreads}: the tree reductions index only threadIdx.x and
     * need (THREADS, 1); sum_rows and the LayerNorm parameter partials need (32, 8). A launch must
     * match the shape, not just the thread count.
     */
    static int[] blockShape(String kernel) {
        if (kernel.startsWith("attn_")) return new int[] {kernel.endsWith("_f32") ? CudaAttention.TILE_F32 : CudaAttention.TILE_F64, 1};
        if (kernel.startsWith("gram_partial_") || kernel.startsWith("qr_apply_gram_")) return new int[] {CudaBackend.GRAM_THREADS, 1};
        if (kernel.startsWith("sum_rows_finish_")) return new int[] {CudaBackend.THREADS, 1};
        if (kernel.startsWith("sum_rows_")) return new int[] {32, 8};
        if (kernel.startsWith("layernorm_param_partial_") || kernel.startsWith("layernorm_rparam_partial_"))
            return new int[] {CudaTransformerKernels.CS_COLS, CudaTransformerKernels.CS_LANES};
        return new int[] {CudaBackend.THREADS, 1};
    }

    /** A device pointer argument (distinguishes it from a long long count in {@link #launch}). */
    record Ptr(long address) {
    }

    /** The fatbin bytes from the classpath, or null when this build was made without nvcc. */
    static byte[] fatbin() {
        try (InputStream in = Kernels.class.getResourceAsStream(FATBIN)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + FATBIN, e);
        }
    }

    static boolean isFatbin(byte[] b) {
        return b != null && b.length >= 16
                && ((b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24) == FATBIN_MAGIC;
    }

    /** Check {@code args} against the table: count and kind of every argument. */
    static void checkArgs(String kernel, Object[] args) {
        List<Arg> sig = SIGNATURES.get(kernel);
        if (sig == null) throw new IllegalArgumentException("no kernel named " + kernel + " in kernels/eoslab.cu");
        if (sig.size() != args.length) {
            throw new IllegalArgumentException(kernel + " takes " + sig.size() + " arguments, got " + args.length);
        }
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            boolean ok = switch (sig.get(i)) {
                case PTR -> a instanceof Ptr;
                case I32 -> a instanceof Integer;
                case I64 -> a instanceof Long;
                case F32 -> a instanceof Float;
                case F64 -> a instanceof Double;
            };
            if (!ok) {
                throw new IllegalArgumentException(kernel + " argument " + i + " must be " + sig.get(i) + ", got "
                        + (a == null ? "null" : a.getClass().getSimpleName()));
            }
        }
    }

    /**
     * Fill {@code kernelParams}: one 8-byte slot per argument holding its value, and the array of
     * pointers to those slots. Slots are 8-byte aligned, which satisfies every parameter type here.
     */
    static MemorySegment params(Arena arena, Object[] args) {
        MemorySegment slots = arena.allocate(8L * Math.max(1, args.length), 8);
        MemorySegment ptrs = arena.allocate(ADDRESS, Math.max(1, args.length));
        for (int i = 0; i < args.length; i++) {
            long o = 8L * i;
            switch (args[i]) {
                case Ptr p -> slots.set(JAVA_LONG, o, p.address());
                case Integer v -> slots.set(JAVA_INT, o, v);
                case Long v -> slots.set(JAVA_LONG, o, v);
                case Float v -> slots.set(JAVA_FLOAT, o, v);
                case Double v -> slots.set(JAVA_DOUBLE, o, v);
                default -> throw new IllegalArgumentException("unsupported kernel argument " + args[i]);
            }
            ptrs.setAtIndex(ADDRESS, i, slots.asSlice(o, 8));
        }
        return ptrs;
    }

    /** Loaded module: function handles by name, looked up once. */
    static final class Module {
        final MemorySegment module;
        private final Map<String, MemorySegment> functions = new HashMap<>();

        Module(MemorySegment module) {
            this.module = module;
        }

        synchronized MemorySegment function(String name) {
            MemorySegment f = functions.get(name);
            if (f == null) {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment out = a.allocate(ADDRESS);
                    CudaStatus.check("cuModuleGetFunction(" + name + ")",
                            CudaDriver.cuModuleGetFunction(out, module, a.allocateFrom(name)));
                    f = out.get(ADDRESS, 0);
                }
                functions.put(name, f);
            }
            return f;
        }

        /** Launch {@code kernel} on the legacy default stream (ordered with cuBLAS and the memcpys). */
        void launch(String kernel, int gridX, int gridY, int blockX, int blockY, Object... args) {
            launch3(kernel, gridX, gridY, 1, blockX, blockY, args);
        }

        /** {@link #launch} on a three-dimensional grid. */
        void launch3(String kernel, int gridX, int gridY, int gridZ, int blockX, int blockY, Object... args) {
            checkArgs(kernel, args);
            int[] shape = blockShape(kernel);
            if (blockX != shape[0] || blockY != shape[1])
                throw new IllegalStateException("launch of " + kernel + " with a (" + blockX + ", " + blockY + ") block; "
                        + "Kernels.blockShape says (" + shape[0] + ", " + shape[1] + ") (its indexing assumes it, and CudaKernelResourceTest checked its registers at that size)");
            int st = launchStatus3(kernel, gridX, gridY, gridZ, blockX, blockY, args);
            if (st != 0) CudaStatus.check("cuLaunchKernel(" + kernel + ")", st);
        }

        /** cuLaunchKernel's status for this launch, at any block shape (the launch-limit tests probe illegal ones). */
        int launchStatus(String kernel, int gridX, int gridY, int blockX, int blockY, Object... args) {
            checkArgs(kernel, args);
            return launchStatus3(kernel, gridX, gridY, 1, blockX, blockY, args);
        }

        /** The launch itself, its arguments already checked. */
        private int launchStatus3(String kernel, int gridX, int gridY, int gridZ, int blockX, int blockY, Object... args) {
            MemorySegment f = function(kernel);
            try (Arena a = Arena.ofConfined()) {
                return CudaDriver.cuLaunchKernel(f, gridX, gridY, gridZ, blockX, blockY, 1, 0, MemorySegment.NULL,
                        params(a, args), MemorySegment.NULL);
            }
        }
    }
}
