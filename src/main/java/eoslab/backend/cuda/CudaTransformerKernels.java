package eoslab.backend.cuda;

import eoslab.gpt.TransformerKernels;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * {@link TransformerKernels} on a {@link CudaBackend}: the kernels of kernels/transformer.cu
 * (embeddings, LayerNorm, causal softmax, with their backward and tangent passes), checked against
 * the CPU reference by CudaTransformerKernelsTest and by the transformer cases of {@link CudaParity}
 * ({@code eoslab doctor}). Get it with {@code TransformerKernels.of(cudaBackend)}.
 *
 * <p>Launch shapes (all functions of the sizes only, so every result is bit-reproducible):
 * <ul>
 * <li>row kernels (LayerNorm rows, softmax rows): one block of {@link CudaBackend#THREADS} threads
 *     per row, grid-stride over rows beyond {@link CudaBackend#MAX_BLOCKS};
 * <li>LayerNorm parameter gradients (column sums over N rows): {@link #chunks(int)} fixed row chunks
 *     of 32 columns × 8 row lanes each write float64 partial sums, then one pass adds the chunks in
 *     order (no float atomics);
 * <li>embedding backward: block (x, y) owns vocabulary rows [128x, 128x + 128) and 256 columns and
 *     walks the tokens in row order, so dwte is summed in row order, in T, like the CPU (bit-identical).
 * </ul>
 * Token ids outside [0, V) are found by the forward kernel and thrown, as an
 * IndexOutOfBoundsException naming embeddingForward, at the next call that waits for the device.
 */
public final class CudaTransformerKernels implements TransformerKernels {
    /** Vocabulary rows per block of embedding_backward_wte (EMB_VROWS in kernels/transformer.cu). */
    static final int EMB_VROWS = 128;
    /** Columns and row lanes per block of the column-sum kernels (CS_COLS, CS_LANES). */
    static final int CS_COLS = 32, CS_LANES = 8;
    /** Most row chunks of a column sum, and the fewest rows per chunk. */
    static final int MAX_CHUNKS = 128, MIN_CHUNK_ROWS = 64;

    private final CudaBackend be;
    /** float64 scratch: row statistics (2·rows) then column partial sums (2·chunks·C); grown, never shrunk. */
    private DevicePointer scratch;

    CudaTransformerKernels(CudaBackend be) {
        this.be = be;
    }

    /** Rows per chunk of a column sum over {@code rows} rows (a function of rows only). */
    static int chunkRows(int rows) {
        int want = Math.max(1, Math.min(MAX_CHUNKS, (rows + MIN_CHUNK_ROWS - 1) / MIN_CHUNK_ROWS));
        return Math.max(1, (rows + want - 1) / want);
    }

    /** Row chunks of a column sum over {@code rows} rows (≤ {@link #MAX_CHUNKS}). */
    static int chunks(int rows) {
        int ch = chunkRows(rows);
        return Math.max(1, (rows + ch - 1) / ch);
    }

    // ---- argument checks and pointers ----------------------------------------------------------------

    /** The kernel suffix of the floating tensors {@code ts} (nulls skipped), which must share one dtype. */
    private static String sfx(String op, Tensor... ts) {
        DType dt = null;
        for (Tensor t : ts) {
            if (t == null) continue;
            if (t.dtype == DType.I32) throw new IllegalArgumentException(op + ": expected F32 or F64 tensors, got " + t);
            if (dt == null) dt = t.dtype;
            else if (t.dtype != dt) throw new IllegalArgumentException(op + ": dtype mismatch, " + dt + " and " + t);
        }
        return dt == DType.F32 ? "_f32" : "_f64";
    }

    /** {@code t} holds at least {@code n} elements (a kernel would read or write that many). */
    private static void need(String op, String name, Tensor t, long n) {
        if (t == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        if (t.size < n) throw new IllegalArgumentException(op + ": " + name + " holds " + t.size + " elements, needs " + n);
    }

    private static void positive(String op, int... sizes) {
        for (int s : sizes) if (s < 0) throw new IllegalArgumentException(op + ": negative size " + s);
    }

    private Kernels.Ptr ptr(Tensor t) {
        return new Kernels.Ptr(be.addr(t));
    }

    private static Kernels.Ptr ptr(DevicePointer p, long byteOffset) {
        return new Kernels.Ptr(p.address() + byteOffset);
    }

    /** Scratch of at least {@code doubles} float64 values (the caller holds this object's lock). */
    private DevicePointer scratch(long doubles) {
        if (scratch == null || scratch.bytes() < 8 * doubles) scratch = be.allocateBytes(8 * Math.max(1, doubles));
        return scratch;
    }

    private static int rowBlocks(int rows) {
        return Math.min(rows, CudaBackend.MAX_BLOCKS);
    }

    // ---- embeddings ----------------------------------------------------------------------------------

    @Override
    public void embeddingForward(Tensor tokens, Tensor wte, Tensor wpe, Tensor out, int b, int t, int c, int v) {
        String op = "embeddingForward";
        positive(op, b, t, c, v);
        if (tokens.dtype != DType.I32) throw new IllegalArgumentException(op + ": token ids must be I32, got " + tokens.dtype);
        String k = sfx(op, wte, wpe, out);
        long n = (long) b * t;
        need(op, "tokens", tokens, n);
        need(op, "wte", wte, (long) v * c);
        need(op, "wpe", wpe, (long) t * c);
        need(op, "out", out, n * c);
        if (n * c == 0) return;
        be.launch("embedding_forward" + k, CudaBackend.blocks(n * c), 1, CudaBackend.THREADS, 1,
                ptr(tokens), ptr(wte), ptr(wpe), ptr(out), b, t, c, v, be.errorRecord());
    }

    @Override
    public void embeddingBackward(Tensor tokens, Tensor dout, Tensor dwte, Tensor dwpe, int b, int t, int c) {
        String op = "embeddingBackward";
        positive(op, b, t, c);
        if (tokens.dtype != DType.I32) throw new IllegalArgumentException(op + ": token ids must be I32, got " + tokens.dtype);
        String k = sfx(op, dout, dwte, dwpe);
        long n = (long) b * t;
        // embedding_backward_wte takes the row count as an int, and its grid's y covers the columns
        // THREADS at a time: past either limit the kernel would skip rows (n wraps negative) or the
        // GPU would refuse the launch (gridDim.y > 65535), so refuse here with the shapes.
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException(op + ": B·T = " + n + " tokens exceed 2^31 - 1");
        if ((c + CudaBackend.THREADS - 1) / CudaBackend.THREADS > 65535)
            throw new IllegalArgumentException(op + ": C = " + c + " needs more than 65535 column blocks (grid y limit)");
        need(op, "tokens", tokens, n);
        need(op, "dout", dout, n * c);
        need(op, "dwpe", dwpe, (long) t * c);
        if (n * c == 0) return;
        long v = dwte.size / c;                       // dwte is (V, C): the rows a token may land in
        if (v > Integer.MAX_VALUE) throw new IllegalArgumentException(op + ": dwte has more than 2^31 rows");
        int gx = (int) Math.max(1, (v + EMB_VROWS - 1) / EMB_VROWS), gy = (c + CudaBackend.THREADS - 1) / CudaBackend.THREADS;
        be.launch("embedding_backward_wte" + k, gx, gy, CudaBackend.THREADS, 1, ptr(tokens), ptr(dout), ptr(dwte), (int) n, c, (int) v);
        be.launch("embedding_backward_wpe" + k, CudaBackend.blocks((long) t * c), 1, CudaBackend.THREADS, 1,
                ptr(dout), ptr(dwpe), b, t, c);
    }

    // ---- LayerNorm -----------------------------------------------------------------------------------

    @Override
    public void layerNormForward(Tensor x, Tensor g, Tensor beta, Tensor y, Tensor mean, Tensor rstd, int rows, int c) {
        String op = "layerNormForward";
        positive(op, rows, c);
        String k = sfx(op, x, g, beta, y, mean, rstd);
        long nc = (long) rows * c;
        need(op, "x", x, nc);
        need(op, "y", y, nc);
        need(op, "g", g, c);
        need(op, "beta", beta, c);
        need(op, "mean", mean, rows);
        need(op, "rstd", rstd, rows);
        if (nc == 0) return;
        be.launch("layernorm_forward" + k, rowBlocks(rows), 1, CudaBackend.THREADS, 1,
                ptr(x), ptr(g), ptr(beta), ptr(y), ptr(mean), ptr(rstd), rows, c);
    }

    @Override
    public synchronized void layerNormBackward(Tensor x, Tensor mean, Tensor rstd, Tensor g, Tensor dy, Tensor dx, Tensor dg,
                                               Tensor dbeta, int rows, int c) {
        String op = "layerNormBackward";
        positive(op, rows, c);
        String k = sfx(op, x, mean, rstd, g, dy, dx, dg, dbeta);
        long nc = (long) rows * c;
        need(op, "x", x, nc);
        need(op, "dy", dy, nc);
        need(op, "dx", dx, nc);
        need(op, "g", g, c);
        need(op, "mean", mean, rows);
        need(op, "rstd", rstd, rows);
        if (nc == 0) return;
        be.launch("layernorm_backward" + k, rowBlocks(rows), 1, CudaBackend.THREADS, 1,
                ptr(x), ptr(mean), ptr(rstd), ptr(g), ptr(dy), ptr(dx), rows, c);
        if (dg == null) return;
        need(op, "dg", dg, c);
        need(op, "dbeta", dbeta, c);
        int chunk = chunkRows(rows), nb = chunks(rows);
        DevicePointer s = scratch(2L * nb * c);
        be.launch("layernorm_param_partial" + k, (c + CS_COLS - 1) / CS_COLS, nb, CS_COLS, CS_LANES,
                ptr(x), ptr(mean), ptr(rstd), ptr(dy), rows, c, chunk, ptr(s, 0));
        be.launch("colsum2_finish" + k, CudaBackend.blocks(c), 1, CudaBackend.THREADS, 1, ptr(s, 0), nb, c, ptr(dg), ptr(dbeta));
    }

    @Override
    public void layerNormRForward(Tensor x, Tensor mean, Tensor rstd, Tensor g, Tensor vg, Tensor vbeta, Tensor rx, Tensor ry,
                                  int rows, int c) {
        String op = "layerNormRForward";
        positive(op, rows, c);
        String k = sfx(op, x, mean, rstd, g, vg, vbeta, rx, ry);
        long nc = (long) rows * c;
        need(op, "x", x, nc);
        need(op, "rx", rx, nc);
        need(op, "ry", ry, nc);
        need(op, "g", g, c);
        need(op, "vg", vg, c);
        need(op, "vbeta", vbeta, c);
        need(op, "mean", mean, rows);
        need(op, "rstd", rstd, rows);
        if (nc == 0) return;
        be.launch("layernorm_rforward" + k, rowBlocks(rows), 1, CudaBackend.THREADS, 1,
                ptr(x), ptr(mean), ptr(rstd), ptr(g), ptr(vg), ptr(vbeta), ptr(rx), ptr(ry), rows, c);
    }

    @Override
    public synchronized void layerNormRBackward(Tensor x, Tensor mean, Tensor rstd, Tensor g, Tensor vg, Tensor dy, Tensor rx,
                                                Tensor rdy, Tensor rdx, Tensor rdg, Tensor rdbeta, int rows, int c) {
        String op = "layerNormRBackward";
        positive(op, rows, c);
        String k = sfx(op, x, mean, rstd, g, vg, dy, rx, rdy, rdx, rdg, rdbeta);
        long nc = (long) rows * c;
        need(op, "x", x, nc);
        need(op, "dy", dy, nc);
        need(op, "rx", rx, nc);
        need(op, "rdy", rdy, nc);
        need(op, "rdx", rdx, nc);
        need(op, "g", g, c);
        need(op, "vg", vg, c);
        need(op, "rdg", rdg, c);
        need(op, "rdbeta", rdbeta, c);
        need(op, "mean", mean, rows);
        need(op, "rstd", rstd, rows);
        if (nc == 0) return;
        int chunk = chunkRows(rows), nb = chunks(rows);
        DevicePointer s = scratch(2L * rows + 2L * nb * c);
        Kernels.Ptr rowstat = ptr(s, 0), partial = ptr(s, 16L * rows);
        be.launch("layernorm_rbackward" + k, rowBlocks(rows), 1, CudaBackend.THREADS, 1,
                ptr(x), ptr(mean), ptr(rstd), ptr(g), ptr(vg), ptr(dy), ptr(rx), ptr(rdy), ptr(rdx), rowstat, rows, c);
        be.launch("layernorm_rparam_partial" + k, (c + CS_COLS - 1) / CS_COLS, nb, CS_COLS, CS_LANES,
                ptr(x), ptr(mean), ptr(rstd), ptr(dy), ptr(rx), ptr(rdy), rowstat, rows, c, chunk, partial);
        be.launch("colsum2_finish" + k, CudaBackend.blocks(c), 1, CudaBackend.THREADS, 1, partial, nb, c, ptr(rdg), ptr(rdbeta));
    }

    // ---- causal softmax ------------------------------------------------------------------------------

    @Override
    public void softmaxCausalForward(Tensor s, Tensor p, int rows, int t) {
        String op = "softmaxCausalForward";
        positive(op, rows, t);
        String k = sfx(op, s, p);
        long n = (long) rows * t;
        need(op, "s", s, n);
        need(op, "p", p, n);
        if (n == 0) return;
        be.launch("softmax_causal_forward" + k, rowBlocks(rows), 1, CudaBackend.THREADS, 1, ptr(s), ptr(p), rows, t);
    }

    @Override
    public void softmaxJvp(Tensor p, Tensor g, Tensor out, int rows, int t) {
        String op = "softmaxJvp";
        positive(op, rows, t);
        String k = sfx(op, p, g, out);
        long n = (long) rows * t;
        need(op, "p", p, n);
        need(op, "g", g, n);
        need(op, "out", out, n);
        if (n == 0) return;
        be.launch("softmax_jvp" + k, rowBlocks(rows), 1, CudaBackend.THREADS, 1, ptr(p), ptr(g), ptr(out), rows, t);
    }

    @Override
    public void softmaxJvpR(Tensor p, Tensor dp, Tensor rp, Tensor rdp, Tensor out, int rows, int t) {
        String op = "softmaxJvpR";
        positive(op, rows, t);
        String k = sfx(op, p, dp, rp, rdp, out);
        long n = (long) rows * t;
        need(op, "p", p, n);
        need(op, "dp", dp, n);
        need(op, "rp", rp, n);
        need(op, "rdp", rdp, n);
        need(op, "out", out, n);
        if (n == 0) return;
        be.launch("softmax_jvp_r" + k, rowBlocks(rows), 1, CudaBackend.THREADS, 1, ptr(p), ptr(dp), ptr(rp), ptr(rdp), ptr(out), rows, t);
    }
}
