package eoslab.backend;

import eoslab.util.Parallel;
import java.util.concurrent.atomic.AtomicIntegerArray;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * CPU GEMM, row-major, strided batched: {@code C_b = alpha op(A_b) op(B_b) + beta C_b}, with
 * op(A_b) (m, k), op(B_b) (k, n), C_b (m, n), and {@code X_b} starting {@code b * sX} elements after
 * {@code xo}. A stride of 0 broadcasts one matrix over the batch.
 *
 * <p>Large products follow Goto and van de Geijn, "Anatomy of high-performance matrix
 * multiplication" (ACM TOMS 2008), with the loops of BLIS (Van Zee and van de Geijn 2015):
 * <pre>
 *   for jc in N by NC            op(B)[:, jc:jc+NC] packed into NR-wide panels (all of K), shared;
 *                                each panel packed once, by the first task that needs it
 *     parallel over tasks = (row block of about MC rows) x (range of NR panels)
 *       for pc in K by KC        the task packs alpha op(A)[rows, pc:pc+KC] into MR-high panels
 *         for jr in panels by NR
 *           for ir in rows by MR   micro-kernel: an (MR, NR) tile of C in 2*MR vector registers
 * </pre>
 * The micro-kernel is an outer product per k: two vector loads of B, MR broadcasts of A and 2*MR
 * FMAs. With AVX-512 (16 floats) the float tile is 6 x 32, i.e. 12 accumulators of the 32 zmm.
 *
 * <p>Determinism: threads split only M and N, never K. Every element of C gets its K-blocks in
 * increasing order and, inside a block, the same FMA chain, whatever the thread count; the task
 * grid may depend on the thread count because it only decides who computes a tile, not how.
 * Nor may a sum depend on the JIT: lanes are added up by {@code sumLanes} in a fixed order, never by
 * {@code reduceLanes(ADD)}, whose order differs between interpreted and C2-compiled code.
 *
 * <p>Skinny or small products take a dot-product path instead (packing a 32-wide panel for the
 * engine's n = 2 calls would waste 94% of the FMAs): vectorized over k when A's rows are contiguous
 * in k, over i when A is stored transposed. Batches of small products run one product per task.
 *
 * <p>{@code beta == 0} never reads C (it may hold NaN), and {@code alpha == 0} never reads A or B,
 * as in the reference BLAS.
 */
final class CpuGemm {
    private CpuGemm() {
    }

    static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final int FL = FS.length();
    private static final int DL = DS.length();

    // Blocking. MR x NR is the register tile; KC x NR (a B micro-panel, 32 KiB for floats) stays in
    // the 48 KiB L1; MC x KC (the A block, 96 KiB) stays in L2; the packed B (K x NC) in L2/L3.
    static final int MR = 6;
    static final int SNR = 2 * FL;
    static final int DNR = 2 * DL;
    private static final int KC = 256;
    private static final int MC = 96;
    private static final int NC = 1024;
    /** NR panels of B packed together (float path): one contiguous 512-byte read per row of B. */
    private static final int PG = 4;
    /** Below this many multiply-adds the packed path does not pay for its packing. */
    private static final long PACKED_MIN_FLOPS = 32L * 32 * 32;
    /** Batched products below this many multiply-adds run one per task, each serially. */
    private static final long PER_ELEMENT_MAX_FLOPS = 128L * 128 * 128;
    /** Tile of the cache-blocked transposes. */
    private static final int TILE = 32;
    /** Rows of C per task on the dot-product path. */
    private static final int DOT_ROWS = 16;

    // =============================================================================================
    // float32
    // =============================================================================================

    static void sgemm(boolean ta, boolean tb, int m, int n, int k, float alpha,
                      float[] a, int ao, int lda, int sa, float[] b, int bo, int ldb, int sb,
                      float beta, float[] c, int co, int ldc, int sc, int batch) {
        sgemm(ta, tb, m, n, k, alpha, a, ao, lda, sa, b, bo, ldb, sb, beta, c, co, ldc, sc, batch, GemmPrecision.F32);
    }

    /**
     * {@link #sgemm} with the operands rounded as {@code prec} says ({@link GemmPrecision}: bf16 or
     * TF32, round to nearest even; float32 accumulation). The packed path rounds while it packs (the
     * copy it makes anyway; A before alpha is folded in), a few vector integer ops per packed
     * element. The dot path rounds B (small there, as n is) into a copy, and A row by row (or, when
     * stored transposed, in blocks of KC rows) into a buffer that stays in cache, so A is still read
     * from memory once; for n = 2 that rounding costs about as much as the two dot products.
     * Every element of C is summed in the order the F32 path uses, so results are as deterministic
     * (independent of the thread count). With F32 nothing is rounded and the F32 code runs as is.
     */
    static void sgemm(boolean ta, boolean tb, int m, int n, int k, float alpha,
                      float[] a, int ao, int lda, int sa, float[] b, int bo, int ldb, int sb,
                      float beta, float[] c, int co, int ldc, int sc, int batch, GemmPrecision prec) {
        checkArgs(m, n, k, batch);
        if (m == 0 || n == 0 || batch == 0) return;
        if (k == 0 || alpha == 0f) {
            for (int bt = 0; bt < batch; bt++) scaleC(m, n, beta, c, co + bt * sc, ldc);
            return;
        }
        boolean packed = usePacked(m, n, k, SNR);
        final int drop = prec.droppedBits;
        // Many small products: one task per batch element (its own blocks then run serially on
        // that worker). Not when C is broadcast (sc = 0): then the products must run in order.
        boolean perElement = batch > 1 && sc != 0 && (long) m * n * k < PER_ELEMENT_MAX_FLOPS;
        Parallel.forEach(perElement ? batch : 1, e -> {
            for (int bt = perElement ? e : 0; bt < (perElement ? e + 1 : batch); bt++) {
                int ab = ao + bt * sa, bb = bo + bt * sb, cb = co + bt * sc;
                if (packed) sgemmPacked(ta, tb, m, n, k, alpha, a, ab, lda, b, bb, ldb, beta, c, cb, ldc, drop);
                else sgemmDot(ta, tb, m, n, k, alpha, a, ab, lda, b, bb, ldb, beta, c, cb, ldc, drop);
            }
        });
    }

    /** The rows × cols matrix stored from {@code off} with leading dimension ld, rounded, as a new array from 0 (same ld). */
    private static float[] roundedSpan(float[] x, int off, int rows, int cols, int ld, int drop) {
        float[] r = new float[(rows - 1) * ld + cols];
        roundInto(x, off, r, 0, r.length, drop);
        return r;
    }

    /**
     * {@code dst[dOff + i] = round(x[off + i])} for i &lt; len (in place when the same array and
     * offset): {@link GemmPrecision#roundBits} lane by lane, NaN rule included, in integer vector ops.
     */
    static void roundInto(float[] x, int off, float[] dst, int dOff, int len, int drop) {
        int i = 0;
        for (; i <= len - FL; i += FL) round(FloatVector.fromArray(FS, x, off + i), drop).intoArray(dst, dOff + i);
        for (; i < len; i++) dst[dOff + i] = Float.intBitsToFloat(GemmPrecision.roundBits(Float.floatToRawIntBits(x[off + i]), drop));
    }

    /** {@link GemmPrecision#roundBits} on every lane of v. */
    private static FloatVector round(FloatVector v, int drop) {
        final int mask = -1 << drop, bias = (1 << (drop - 1)) - 1;
        IntVector bits = v.reinterpretAsInts();
        IntVector r = bits.add(bits.lanewise(VectorOperators.LSHR, drop).and(1)).add(bias).and(mask);
        VectorMask<Integer> nan = bits.and(0x7fffffff).compare(VectorOperators.GT, 0x7f800000);
        return r.blend(bits.or(0x00400000).and(mask), nan).reinterpretAsFloats();
    }

    /** The packed path; {@code drop > 0} rounds both operands while packing them. */
    private static void sgemmPacked(boolean ta, boolean tb, int m, int n, int k, float alpha,
                                    float[] a, int ao, int lda, float[] b, int bo, int ldb,
                                    float beta, float[] c, int co, int ldc, int drop) {
        final int nr = SNR;
        final int kSuper = 16 * KC; // bounds the packed B to (4096, NC), 16 MiB
        float[] bp = new float[Math.min(k, kSuper) * roundUp(Math.min(n, NC), nr)]; // (K, NC) in NR panels
        // Row blocks are whole MR-panels (so the edge panel is always the last one) dealt out evenly;
        // their number is rounded up to a multiple of the thread count so no thread idles at the
        // end. This only moves work between threads; no sum changes.
        int threads = Parallel.threads(), mPanels = Parallel.blocks(m, MR);
        int mBlocks = roundUp(Parallel.blocks(mPanels, MC / MR), threads);
        mBlocks = Math.min(mBlocks, mPanels);
        final int nb = mBlocks;
        for (int jc = 0; jc < n; jc += NC) {
            final int j0 = jc, nc = Math.min(NC, n - jc);
            int nPanels = Parallel.blocks(nc, nr);
            // Few row blocks (small m): also split the columns so every thread gets work.
            int nSplit = threads == 1 || mBlocks >= 2 * threads ? 1
                    : Math.min(nPanels, Parallel.blocks(4L * threads, mBlocks));
            int panelsPerTask = Parallel.blocks(nPanels, nSplit);
            int nTasks = Parallel.blocks(nPanels, panelsPerTask);
            // op(B)[kk : kk+ks, jc : jc+nc] is packed whole (up to 16 K-blocks), each NR panel by the
            // first task that needs it, so the threads meet once per (NC, 16 KC) block of B instead
            // of twice per K-block: a barrier costs a wake-up, slow when the cores are shared.
            // K-blocks keep their global boundaries and order, so the sums do not change.
            for (int kk = 0; kk < k; kk += kSuper) {
                final int k0 = kk, ks = Math.min(kSuper, k - kk);
                int nGroups = Parallel.blocks(nPanels, PG);
                AtomicIntegerArray packed = new AtomicIntegerArray(nGroups); // 0 todo, 1 packing, 2 done
                Parallel.forEach(mBlocks * nTasks, t -> {
                    int blk = t / nTasks;
                    int i0 = MR * (int) ((long) blk * mPanels / nb);
                    int mc = Math.min(m, MR * (int) ((long) (blk + 1) * mPanels / nb)) - i0;
                    int jp0 = (t % nTasks) * panelsPerTask, jp1 = Math.min(nPanels, jp0 + panelsPerTask);
                    float[] ap = new float[roundUp(mc, MR) * Math.min(k, KC)];
                    float[] tile = new float[MR * nr];
                    for (int p0 = k0; p0 < k0 + ks; p0 += KC) {
                        int kc = Math.min(KC, k0 + ks - p0);
                        boolean first = p0 == 0;
                        packA(ta, a, ao, lda, i0, mc, p0, kc, alpha, ap, drop);
                        // First K-block: C = beta C on this task's region, so the kernel only
                        // overwrites (beta = 0: C never read) or adds.
                        final boolean add = !first || beta != 0f;
                        if (first && beta != 0f && beta != 1) {
                            int j1 = Math.min(nc, jp1 * nr);
                            scaleC(mc, j1 - jp0 * nr, beta, c, co + i0 * ldc + j0 + jp0 * nr, ldc);
                        }
                        // Tasks start at different panel groups, so they pack different groups in
                        // parallel instead of waiting on each other (order of columns only).
                        int count = jp1 - jp0, rot = (t % nGroups) * PG % count;
                        for (int q0 = 0; q0 < count; q0++) {
                            int jp = jp0 + (q0 + rot) % count, g = jp / PG;
                            int jr = jp * nr, cols = Math.min(nr, nc - jr);
                            if (p0 == k0 && packed.get(g) != 2) {
                                if (packed.compareAndSet(g, 0, 1)) {
                                    int g1 = Math.min(nPanels, (g + 1) * PG);
                                    packBGroup(tb, b, bo, ldb, k0, ks, j0, nc, g * PG, g1, bp, drop);
                                    packed.set(g, 2); // volatile write: readers of 2 see the group
                                } else {
                                    while (packed.get(g) != 2) Thread.onSpinWait(); // one group's packing
                                }
                            }
                            for (int ir = 0; ir < mc; ir += MR) {
                                int rows = Math.min(MR, mc - ir);
                                int cOff = co + (i0 + ir) * ldc + j0 + jr;
                                if (rows == MR && cols == nr) {
                                    skernel(kc, ap, ir * kc, bp, (jp * ks + p0 - k0) * nr, c, cOff, ldc, add);
                                } else {
                                    skernel(kc, ap, ir * kc, bp, (jp * ks + p0 - k0) * nr, tile, 0, nr, false);
                                    for (int r = 0; r < rows; r++) {
                                        int ci = cOff + r * ldc, ti = r * nr;
                                        for (int q = 0; q < cols; q++) {
                                            float v = tile[ti + q];
                                            c[ci + q] = add ? c[ci + q] + v : v;
                                        }
                                    }
                                }
                            }
                        }
                    }
                });
            }
        }
    }

    /**
     * Packs alpha * op(A)[i0 : i0+mc, p0 : p0+kc] as MR-high panels, each stored k-major
     * (MR values per k), rows past mc zero. Folding alpha in here costs nothing later.
     * With {@code drop > 0} A is packed unscaled, rounded in place ({@link GemmPrecision}) and only
     * then multiplied by alpha: alpha scales the product, as in cuBLAS, and is not an operand.
     */
    private static void packA(boolean ta, float[] a, int ao, int lda, int i0, int mc, int p0, int kc,
                              float alpha, float[] ap, int drop) {
        if (drop == 0) {
            packA(ta, a, ao, lda, i0, mc, p0, kc, alpha, ap);
            return;
        }
        packA(ta, a, ao, lda, i0, mc, p0, kc, 1f, ap);
        int len = roundUp(mc, MR) * kc;      // padding rows are zero and stay zero
        roundInto(ap, 0, ap, 0, len, drop);
        if (alpha != 1f) for (int i = 0; i < len; i++) ap[i] *= alpha;
    }

    private static void packA(boolean ta, float[] a, int ao, int lda, int i0, int mc, int p0, int kc,
                              float alpha, float[] ap) {
        for (int ir = 0; ir < mc; ir += MR) {
            int rows = Math.min(MR, mc - ir), base = ir * kc;
            for (int r = 0; r < rows; r++) {
                int i = i0 + ir + r;
                if (!ta) {
                    int src = ao + i * lda + p0;
                    for (int p = 0; p < kc; p++) ap[base + p * MR + r] = alpha * a[src + p];
                } else {
                    int src = ao + p0 * lda + i;
                    for (int p = 0; p < kc; p++) ap[base + p * MR + r] = alpha * a[src + p * lda];
                }
            }
            for (int r = rows; r < MR; r++) for (int p = 0; p < kc; p++) ap[base + p * MR + r] = 0f;
        }
    }

    /** Packs op(B)[p0 : p0+kc, j0 : j0+cols] as one NR-wide panel (NR values per k), columns past cols zero. */
    private static void packB(boolean tb, float[] b, int bo, int ldb, int p0, int kc, int j0, int cols,
                              float[] bp, int dst, int nr) {
        if (!tb && cols == nr) {
            for (int p = 0; p < kc; p++) {
                int src = bo + (p0 + p) * ldb + j0, d = dst + p * nr;
                for (int v = 0; v < nr; v += FL) FloatVector.fromArray(FS, b, src + v).intoArray(bp, d + v);
            }
            return;
        }
        for (int p = 0; p < kc; p++) {
            int d = dst + p * nr;
            for (int q = 0; q < cols; q++)
                bp[d + q] = tb ? b[bo + (j0 + q) * ldb + p0 + p] : b[bo + (p0 + p) * ldb + j0 + q];
            for (int q = cols; q < nr; q++) bp[d + q] = 0f;
        }
    }

    /**
     * Packs the NR panels [jpa, jpb) of op(B)[k0 : k0+ks, j0 : j0+nc], each at {@code jp * ks * NR}.
     * Row-major B is read row by row across the whole group: PG * 128 contiguous bytes per row
     * instead of 128 per page-sized stride, which is what made per-panel packing slow.
     * With {@code drop > 0} the elements are rounded ({@link GemmPrecision}) as they are copied on
     * the row-wise path, and the packed panels rounded in place (still in cache) on the others.
     */
    private static void packBGroup(boolean tb, float[] b, int bo, int ldb, int k0, int ks, int j0, int nc,
                                   int jpa, int jpb, float[] bp, int drop) {
        final int nr = SNR;
        if (drop != 0 && !tb && jpb * nr <= nc) {            // the row-wise copy of the F32 path, rounding on the way
            for (int p = 0; p < ks; p++) {
                int src = bo + (k0 + p) * ldb + j0;
                for (int jp = jpa; jp < jpb; jp++) {
                    int d = (jp * ks + p) * nr, sj = src + jp * nr;
                    round(FloatVector.fromArray(FS, b, sj), drop).intoArray(bp, d);
                    round(FloatVector.fromArray(FS, b, sj + FL), drop).intoArray(bp, d + FL);
                }
            }
            return;
        }
        packBGroup(tb, b, bo, ldb, k0, ks, j0, nc, jpa, jpb, bp);
        if (drop == 0) return;
        int from = jpa * ks * SNR, to = jpb * ks * SNR;   // panels [jpa, jpb), contiguous; zero padding stays zero
        roundInto(bp, from, bp, from, to - from, drop);
    }

    private static void packBGroup(boolean tb, float[] b, int bo, int ldb, int k0, int ks, int j0, int nc,
                                   int jpa, int jpb, float[] bp) {
        final int nr = SNR;
        if (!tb && jpb * nr <= nc) {
            for (int p = 0; p < ks; p++) {
                int src = bo + (k0 + p) * ldb + j0;
                for (int jp = jpa; jp < jpb; jp++) {
                    int d = (jp * ks + p) * nr, sj = src + jp * nr;
                    FloatVector.fromArray(FS, b, sj).intoArray(bp, d);
                    FloatVector.fromArray(FS, b, sj + FL).intoArray(bp, d + FL);
                }
            }
            return;
        }
        for (int jp = jpa; jp < jpb; jp++)
            packB(tb, b, bo, ldb, k0, ks, j0 + jp * nr, Math.min(nr, nc - jp * nr), bp, jp * ks * nr, nr);
    }

    /**
     * C[0:MR, 0:NR] = Ap^T Bp over kc, or {@code +=} when {@code add}: the (6, 2 vectors) register
     * tile. Without {@code add} C is not read (beta = 0 on the first K-block: C may hold NaN).
     */
    private static void skernel(int kc, float[] ap, int ai, float[] bp, int bi,
                                float[] c, int ci, int ldc, boolean add) {
        FloatVector c00 = FloatVector.zero(FS), c01 = FloatVector.zero(FS);
        FloatVector c10 = FloatVector.zero(FS), c11 = FloatVector.zero(FS);
        FloatVector c20 = FloatVector.zero(FS), c21 = FloatVector.zero(FS);
        FloatVector c30 = FloatVector.zero(FS), c31 = FloatVector.zero(FS);
        FloatVector c40 = FloatVector.zero(FS), c41 = FloatVector.zero(FS);
        FloatVector c50 = FloatVector.zero(FS), c51 = FloatVector.zero(FS);
        // Indices affine in p, so C2 can hoist the range checks out of the loop.
        for (int p = 0; p < kc; p++) {
            int pa = ai + p * MR, pb = bi + p * (2 * FL);
            FloatVector b0 = FloatVector.fromArray(FS, bp, pb);
            FloatVector b1 = FloatVector.fromArray(FS, bp, pb + FL);
            FloatVector x = FloatVector.broadcast(FS, ap[pa]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(FS, ap[pa + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(FS, ap[pa + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(FS, ap[pa + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(FS, ap[pa + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(FS, ap[pa + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        // Stores written out: a vector passed to a method C2 does not inline gets boxed.
        if (add) {
            c00 = c00.add(FloatVector.fromArray(FS, c, ci));
            c01 = c01.add(FloatVector.fromArray(FS, c, ci + FL));
            c10 = c10.add(FloatVector.fromArray(FS, c, ci + ldc));
            c11 = c11.add(FloatVector.fromArray(FS, c, ci + ldc + FL));
            c20 = c20.add(FloatVector.fromArray(FS, c, ci + 2 * ldc));
            c21 = c21.add(FloatVector.fromArray(FS, c, ci + 2 * ldc + FL));
            c30 = c30.add(FloatVector.fromArray(FS, c, ci + 3 * ldc));
            c31 = c31.add(FloatVector.fromArray(FS, c, ci + 3 * ldc + FL));
            c40 = c40.add(FloatVector.fromArray(FS, c, ci + 4 * ldc));
            c41 = c41.add(FloatVector.fromArray(FS, c, ci + 4 * ldc + FL));
            c50 = c50.add(FloatVector.fromArray(FS, c, ci + 5 * ldc));
            c51 = c51.add(FloatVector.fromArray(FS, c, ci + 5 * ldc + FL));
        }
        c00.intoArray(c, ci);
        c01.intoArray(c, ci + FL);
        c10.intoArray(c, ci + ldc);
        c11.intoArray(c, ci + ldc + FL);
        c20.intoArray(c, ci + 2 * ldc);
        c21.intoArray(c, ci + 2 * ldc + FL);
        c30.intoArray(c, ci + 3 * ldc);
        c31.intoArray(c, ci + 3 * ldc + FL);
        c40.intoArray(c, ci + 4 * ldc);
        c41.intoArray(c, ci + 4 * ldc + FL);
        c50.intoArray(c, ci + 5 * ldc);
        c51.intoArray(c, ci + 5 * ldc + FL);
    }

    /**
     * Dot-product path for small and skinny products: C[i, j] = alpha (A row i . B^T row j) + beta C[i, j],
     * vectorized over k (an FMA chain per lane, then {@link #sumLanes}, then the scalar tail: a fixed
     * order, the same in every JIT state). Four
     * columns share each load of A. A stored transposed goes to the column form instead.
     */
    private static void sgemmDot(boolean ta, boolean tb, int m, int n, int k, float alpha,
                                 float[] a, int ao, int lda, float[] b, int bo, int ldb,
                                 float beta, float[] c, int co, int ldc, int drop) {
        if (ta) {
            if (drop == 0) sgemmColumns(tb, m, n, k, alpha, a, ao, lda, b, bo, ldb, beta, c, co, ldc);
            else sgemmColumnsRounded(tb, m, n, k, alpha, a, ao, lda, b, bo, ldb, beta, c, co, ldc, drop);
            return;
        }
        // A as (m, k) rows in place; B^T as (n, k) rows, copied when B is stored (k, n) (n is small here).
        // With drop > 0: B^T rounded once (a copy either way), each row of A rounded into a buffer
        // of k floats just before its n dot products, so A is still read from memory once.
        final float[] ar = a, br;
        final int aro = ao, ald = lda, bro, bld;
        if (tb) {
            if (drop == 0) { br = b; bro = bo; } else { br = roundedSpan(b, bo, n, k, ldb, drop); bro = 0; }
            bld = ldb;
        } else {
            br = transpose(b, bo, ldb, k, n); bro = 0; bld = k;
            if (drop != 0) roundInto(br, 0, br, 0, br.length, drop);
        }
        int tasks = Parallel.blocks(m, DOT_ROWS);
        java.util.function.IntConsumer body = t -> {
            int i1 = Math.min(m, (t + 1) * DOT_ROWS);
            float[] rowBuf = drop == 0 ? null : new float[k];
            for (int i = t * DOT_ROWS; i < i1; i++) {
                final float[] arow;
                int ai, ci = co + i * ldc;
                if (drop == 0) { arow = ar; ai = aro + i * ald; }
                else { roundInto(ar, aro + i * ald, rowBuf, 0, k, drop); arow = rowBuf; ai = 0; }
                int j = 0;
                for (; j + 4 <= n; j += 4) {
                    int b0 = bro + j * bld, b1 = b0 + bld, b2 = b1 + bld, b3 = b2 + bld;
                    float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
                    int p = 0;
                    if (k >= FL) {
                        FloatVector v0 = FloatVector.zero(FS), v1 = v0, v2 = v0, v3 = v0;
                        for (; p <= k - FL; p += FL) {
                            FloatVector x = FloatVector.fromArray(FS, arow, ai + p);
                            v0 = x.fma(FloatVector.fromArray(FS, br, b0 + p), v0);
                            v1 = x.fma(FloatVector.fromArray(FS, br, b1 + p), v1);
                            v2 = x.fma(FloatVector.fromArray(FS, br, b2 + p), v2);
                            v3 = x.fma(FloatVector.fromArray(FS, br, b3 + p), v3);
                        }
                        s0 = sumLanes(v0);
                        s1 = sumLanes(v1);
                        s2 = sumLanes(v2);
                        s3 = sumLanes(v3);
                    }
                    for (; p < k; p++) {
                        float x = arow[ai + p];
                        s0 += x * br[b0 + p];
                        s1 += x * br[b1 + p];
                        s2 += x * br[b2 + p];
                        s3 += x * br[b3 + p];
                    }
                    sput(c, ci + j, alpha * s0, beta);
                    sput(c, ci + j + 1, alpha * s1, beta);
                    sput(c, ci + j + 2, alpha * s2, beta);
                    sput(c, ci + j + 3, alpha * s3, beta);
                }
                for (; j < n; j++) {
                    int b0 = bro + j * bld;
                    float s = 0f;
                    int p = 0;
                    if (k >= FL) {
                        FloatVector v = FloatVector.zero(FS);
                        for (; p <= k - FL; p += FL)
                            v = FloatVector.fromArray(FS, arow, ai + p).fma(FloatVector.fromArray(FS, br, b0 + p), v);
                        s = sumLanes(v);
                    }
                    for (; p < k; p++) s += arow[ai + p] * br[b0 + p];
                    sput(c, ci + j, alpha * s, beta);
                }
            }
        };
        Parallel.forEach(tasks, body);
    }

    /**
     * The dot path when A is stored transposed, (k, m): rows of that storage are contiguous in i,
     * so vectorize over i instead of copying A: C^T[j, i0:i0+4L] = sum_p op(B)[p, j] A[p, i0:i0+4L],
     * sequential in p for every element. Four vectors of i per row of A keep the reads contiguous.
     */
    private static void sgemmColumns(boolean tb, int m, int n, int k, float alpha, float[] a, int ao, int lda,
                                    float[] b, int bo, int ldb, float beta, float[] c, int co, int ldc) {
        final int rowsPerTask = 4 * FL;
        Parallel.forEach(Parallel.blocks(m, rowsPerTask), t -> {
            int i0 = t * rowsPerTask, i1 = Math.min(m, i0 + rowsPerTask), rows = i1 - i0;
            jdk.incubator.vector.VectorMask<Float> m0 = FS.indexInRange(i0, i1), m1 = FS.indexInRange(i0 + FL, i1);
            jdk.incubator.vector.VectorMask<Float> m2 = FS.indexInRange(i0 + 2 * FL, i1), m3 = FS.indexInRange(i0 + 3 * FL, i1);
            float[] tmp = new float[4 * FL];
            for (int j = 0; j < n; j++) {
                FloatVector v0 = FloatVector.zero(FS), v1 = v0, v2 = v0, v3 = v0;
                for (int p = 0; p < k; p++) {
                    int ai = ao + p * lda + i0;
                    FloatVector y = FloatVector.broadcast(FS, tb ? b[bo + j * ldb + p] : b[bo + p * ldb + j]);
                    v0 = FloatVector.fromArray(FS, a, ai, m0).fma(y, v0);
                    v1 = FloatVector.fromArray(FS, a, ai + FL, m1).fma(y, v1);
                    v2 = FloatVector.fromArray(FS, a, ai + 2 * FL, m2).fma(y, v2);
                    v3 = FloatVector.fromArray(FS, a, ai + 3 * FL, m3).fma(y, v3);
                }
                v0.intoArray(tmp, 0);
                v1.intoArray(tmp, FL);
                v2.intoArray(tmp, 2 * FL);
                v3.intoArray(tmp, 3 * FL);
                for (int r = 0; r < rows; r++) sput(c, co + (i0 + r) * ldc + j, alpha * tmp[r], beta);
            }
        });
    }

    /**
     * {@link #sgemmColumns} with rounded operands (drop &gt; 0): B (k, n or n, k; small here) is
     * rounded into a copy; A's column block i0 : i0+4L is rounded KC rows of k at a time into a
     * buffer that stays in cache, and every column j's four accumulators carry over from one
     * k-block to the next, so each element is still the one FMA chain in p = 0, 1, ..., k − 1 and
     * A is read from memory once (not n times rounded).
     */
    private static void sgemmColumnsRounded(boolean tb, int m, int n, int k, float alpha, float[] a, int ao, int lda,
                                            float[] b, int bo, int ldb, float beta, float[] c, int co, int ldc, int drop) {
        final int rowsPerTask = 4 * FL, w = 4 * FL;
        final float[] br = roundedSpan(b, bo, tb ? n : k, tb ? k : n, ldb, drop);
        Parallel.forEach(Parallel.blocks(m, rowsPerTask), t -> {
            int i0 = t * rowsPerTask, i1 = Math.min(m, i0 + rowsPerTask), rows = i1 - i0;
            float[] acc = new float[n * w];             // (n, 4L): column j's accumulators between k-blocks
            float[] blk = new float[Math.min(k, KC) * w]; // (KC, 4L): rounded A[p0 : p0+KC, i0 : i0+4L], zero past i1
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(KC, k - p0);
                for (int p = 0; p < kc; p++) roundInto(a, ao + (p0 + p) * lda + i0, blk, p * w, rows, drop);
                for (int j = 0; j < n; j++) {
                    int aj = j * w;
                    FloatVector v0 = FloatVector.fromArray(FS, acc, aj), v1 = FloatVector.fromArray(FS, acc, aj + FL);
                    FloatVector v2 = FloatVector.fromArray(FS, acc, aj + 2 * FL), v3 = FloatVector.fromArray(FS, acc, aj + 3 * FL);
                    for (int p = 0; p < kc; p++) {
                        int q = p0 + p, bi = p * w;
                        FloatVector y = FloatVector.broadcast(FS, tb ? br[j * ldb + q] : br[q * ldb + j]);
                        v0 = FloatVector.fromArray(FS, blk, bi).fma(y, v0);
                        v1 = FloatVector.fromArray(FS, blk, bi + FL).fma(y, v1);
                        v2 = FloatVector.fromArray(FS, blk, bi + 2 * FL).fma(y, v2);
                        v3 = FloatVector.fromArray(FS, blk, bi + 3 * FL).fma(y, v3);
                    }
                    v0.intoArray(acc, aj);
                    v1.intoArray(acc, aj + FL);
                    v2.intoArray(acc, aj + 2 * FL);
                    v3.intoArray(acc, aj + 3 * FL);
                }
            }
            for (int j = 0; j < n; j++)
                for (int r = 0; r < rows; r++) sput(c, co + (i0 + r) * ldc + j, alpha * acc[j * w + r], beta);
        });
    }

    /**
     * The sum of v's lanes in a fixed halving-tree order, ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))
     * for 8 lanes, in lanewise adds of rotated copies (IEEE adds lane by lane: the same bits in the
     * interpreter, C1 and C2).
     * Not {@code reduceLanes(ADD)}: its floating-point order is unspecified ("may even vary over
     * time", FloatVector javadoc), and in JDK 25 on x86 it is sequential in the interpreter and C1
     * (the Java fallback) but this halving tree once C2 intrinsifies it, so the same product changed
     * in the last bit when the JIT compiled the kernel in the middle of a run. For 8 doubles the tree
     * is the order C2 used, so warmed-up F64 results keep their bits (not so for 16 floats). Storing
     * the lanes and adding them as scalars gives the same bits but measured slower on small products.
     */
    private static float sumLanes(FloatVector v) {
        // lane i += lane (i + h) mod FL for h = FL/2, ..., 1: lane 0 gets exactly the tree above
        for (int h = FL >> 1; h > 0; h >>= 1) v = v.add(v.rearrange(VectorShuffle.iota(FS, h, 1, true)));
        return v.lane(0);
    }

    private static void sput(float[] c, int i, float v, float beta) {
        c[i] = beta == 0f ? v : v + beta * c[i];
    }

    /** X stored (rows, cols) with leading dimension ld, returned transposed as a dense (cols, rows). */
    private static float[] transpose(float[] x, int xo, int ld, int rows, int cols) {
        float[] t = new float[rows * cols];
        for (int r0 = 0; r0 < rows; r0 += TILE)       // 32 x 32 tiles: both sides stay in cache
            for (int q0 = 0; q0 < cols; q0 += TILE)
                for (int r = r0; r < Math.min(rows, r0 + TILE); r++) {
                    int src = xo + r * ld;
                    for (int q = q0; q < Math.min(cols, q0 + TILE); q++) t[q * rows + r] = x[src + q];
                }
        return t;
    }

    /** C = beta C; beta = 0 writes zeros without reading C. */
    private static void scaleC(int m, int n, float beta, float[] c, int co, int ldc) {
        for (int i = 0; i < m; i++) {
            int ci = co + i * ldc;
            if (beta == 0f) java.util.Arrays.fill(c, ci, ci + n, 0f);
            else if (beta != 1f) for (int j = 0; j < n; j++) c[ci + j] *= beta;
        }
    }

    // =============================================================================================
    // float64: the same algorithm with DoubleVector (8 lanes with AVX-512, tile 6 x 16).
    // =============================================================================================

    static void dgemm(boolean ta, boolean tb, int m, int n, int k, double alpha,
                      double[] a, int ao, int lda, int sa, double[] b, int bo, int ldb, int sb,
                      double beta, double[] c, int co, int ldc, int sc, int batch) {
        checkArgs(m, n, k, batch);
        if (m == 0 || n == 0 || batch == 0) return;
        if (k == 0 || alpha == 0) {
            for (int bt = 0; bt < batch; bt++) scaleC(m, n, beta, c, co + bt * sc, ldc);
            return;
        }
        boolean packed = usePacked(m, n, k, DNR);
        // Many small products: one task per batch element (its own blocks then run serially on
        // that worker). Not when C is broadcast (sc = 0): then the products must run in order.
        boolean perElement = batch > 1 && sc != 0 && (long) m * n * k < PER_ELEMENT_MAX_FLOPS;
        Parallel.forEach(perElement ? batch : 1, e -> {
            for (int bt = perElement ? e : 0; bt < (perElement ? e + 1 : batch); bt++) {
                int ab = ao + bt * sa, bb = bo + bt * sb, cb = co + bt * sc;
                if (packed) dgemmPacked(ta, tb, m, n, k, alpha, a, ab, lda, b, bb, ldb, beta, c, cb, ldc);
                else dgemmDot(ta, tb, m, n, k, alpha, a, ab, lda, b, bb, ldb, beta, c, cb, ldc);
            }
        });
    }

    private static void dgemmPacked(boolean ta, boolean tb, int m, int n, int k, double alpha,
                                    double[] a, int ao, int lda, double[] b, int bo, int ldb,
                                    double beta, double[] c, int co, int ldc) {
        final int nr = DNR;
        final int kcMax = KC / 2, ncMax = NC / 2; // half the float blocks: same bytes
        final int kSuper = 16 * kcMax;
        double[] bp = new double[Math.min(k, kSuper) * roundUp(Math.min(n, ncMax), nr)]; // (K, NC) in NR panels
        // Row blocks are whole MR-panels (so the edge panel is always the last one) dealt out evenly;
        // their number is rounded up to a multiple of the thread count so no thread idles at the
        // end. This only moves work between threads; no sum changes.
        int threads = Parallel.threads(), mPanels = Parallel.blocks(m, MR);
        int mBlocks = roundUp(Parallel.blocks(mPanels, MC / MR), threads);
        mBlocks = Math.min(mBlocks, mPanels);
        final int nb = mBlocks;
        for (int jc = 0; jc < n; jc += ncMax) {
            final int j0 = jc, nc = Math.min(ncMax, n - jc);
            int nPanels = Parallel.blocks(nc, nr);
            // Few row blocks (small m): also split the columns so every thread gets work.
            int nSplit = threads == 1 || mBlocks >= 2 * threads ? 1
                    : Math.min(nPanels, Parallel.blocks(4L * threads, mBlocks));
            int panelsPerTask = Parallel.blocks(nPanels, nSplit);
            int nTasks = Parallel.blocks(nPanels, panelsPerTask);
            // op(B)[kk : kk+ks, jc : jc+nc] is packed whole (up to 16 K-blocks), each NR panel by the
            // first task that needs it, so the threads meet once per (NC, 16 KC) block of B instead
            // of twice per K-block: a barrier costs a wake-up, slow when the cores are shared.
            // K-blocks keep their global boundaries and order, so the sums do not change.
            for (int kk = 0; kk < k; kk += kSuper) {
                final int k0 = kk, ks = Math.min(kSuper, k - kk);
                AtomicIntegerArray packed = new AtomicIntegerArray(nPanels); // 0 todo, 1 packing, 2 done
                Parallel.forEach(mBlocks * nTasks, t -> {
                    int blk = t / nTasks;
                    int i0 = MR * (int) ((long) blk * mPanels / nb);
                    int mc = Math.min(m, MR * (int) ((long) (blk + 1) * mPanels / nb)) - i0;
                    int jp0 = (t % nTasks) * panelsPerTask, jp1 = Math.min(nPanels, jp0 + panelsPerTask);
                    double[] ap = new double[roundUp(mc, MR) * Math.min(k, kcMax)];
                    double[] tile = new double[MR * nr];
                    for (int p0 = k0; p0 < k0 + ks; p0 += kcMax) {
                        int kc = Math.min(kcMax, k0 + ks - p0);
                        boolean first = p0 == 0;
                        packA(ta, a, ao, lda, i0, mc, p0, kc, alpha, ap);
                        // First K-block: C = beta C on this task's region, so the kernel only
                        // overwrites (beta = 0: C never read) or adds.
                        final boolean add = !first || beta != 0;
                        if (first && beta != 0 && beta != 1) {
                            int j1 = Math.min(nc, jp1 * nr);
                            scaleC(mc, j1 - jp0 * nr, beta, c, co + i0 * ldc + j0 + jp0 * nr, ldc);
                        }
                        for (int jp = jp0; jp < jp1; jp++) {
                            int jr = jp * nr, cols = Math.min(nr, nc - jr);
                            if (p0 == k0 && packed.get(jp) != 2) {
                                if (packed.compareAndSet(jp, 0, 1)) {
                                    packB(tb, b, bo, ldb, k0, ks, j0 + jr, cols, bp, jp * ks * nr, nr);
                                    packed.set(jp, 2); // volatile write: readers of 2 see the panel
                                } else {
                                    while (packed.get(jp) != 2) Thread.onSpinWait(); // one panel's packing
                                }
                            }
                            for (int ir = 0; ir < mc; ir += MR) {
                                int rows = Math.min(MR, mc - ir);
                                int cOff = co + (i0 + ir) * ldc + j0 + jr;
                                if (rows == MR && cols == nr) {
                                    dkernel(kc, ap, ir * kc, bp, (jp * ks + p0 - k0) * nr, c, cOff, ldc, add);
                                } else {
                                    dkernel(kc, ap, ir * kc, bp, (jp * ks + p0 - k0) * nr, tile, 0, nr, false);
                                    for (int r = 0; r < rows; r++) {
                                        int ci = cOff + r * ldc, ti = r * nr;
                                        for (int q = 0; q < cols; q++) {
                                            double v = tile[ti + q];
                                            c[ci + q] = add ? c[ci + q] + v : v;
                                        }
                                    }
                                }
                            }
                        }
                    }
                });
            }
        }
    }

    private static void packA(boolean ta, double[] a, int ao, int lda, int i0, int mc, int p0, int kc,
                              double alpha, double[] ap) {
        for (int ir = 0; ir < mc; ir += MR) {
            int rows = Math.min(MR, mc - ir), base = ir * kc;
            for (int r = 0; r < rows; r++) {
                int i = i0 + ir + r;
                if (!ta) {
                    int src = ao + i * lda + p0;
                    for (int p = 0; p < kc; p++) ap[base + p * MR + r] = alpha * a[src + p];
                } else {
                    int src = ao + p0 * lda + i;
                    for (int p = 0; p < kc; p++) ap[base + p * MR + r] = alpha * a[src + p * lda];
                }
            }
            for (int r = rows; r < MR; r++) for (int p = 0; p < kc; p++) ap[base + p * MR + r] = 0;
        }
    }

    private static void packB(boolean tb, double[] b, int bo, int ldb, int p0, int kc, int j0, int cols,
                              double[] bp, int dst, int nr) {
        if (!tb && cols == nr) {
            for (int p = 0; p < kc; p++) {
                int src = bo + (p0 + p) * ldb + j0, d = dst + p * nr;
                for (int v = 0; v < nr; v += DL) DoubleVector.fromArray(DS, b, src + v).intoArray(bp, d + v);
            }
            return;
        }
        for (int p = 0; p < kc; p++) {
            int d = dst + p * nr;
            for (int q = 0; q < cols; q++)
                bp[d + q] = tb ? b[bo + (j0 + q) * ldb + p0 + p] : b[bo + (p0 + p) * ldb + j0 + q];
            for (int q = cols; q < nr; q++) bp[d + q] = 0;
        }
    }

    private static void dkernel(int kc, double[] ap, int ai, double[] bp, int bi,
                                double[] c, int ci, int ldc, boolean add) {
        DoubleVector c00 = DoubleVector.zero(DS), c01 = DoubleVector.zero(DS);
        DoubleVector c10 = DoubleVector.zero(DS), c11 = DoubleVector.zero(DS);
        DoubleVector c20 = DoubleVector.zero(DS), c21 = DoubleVector.zero(DS);
        DoubleVector c30 = DoubleVector.zero(DS), c31 = DoubleVector.zero(DS);
        DoubleVector c40 = DoubleVector.zero(DS), c41 = DoubleVector.zero(DS);
        DoubleVector c50 = DoubleVector.zero(DS), c51 = DoubleVector.zero(DS);
        // Indices affine in p, so C2 can hoist the range checks out of the loop.
        for (int p = 0; p < kc; p++) {
            int pa = ai + p * MR, pb = bi + p * (2 * DL);
            DoubleVector b0 = DoubleVector.fromArray(DS, bp, pb);
            DoubleVector b1 = DoubleVector.fromArray(DS, bp, pb + DL);
            DoubleVector x = DoubleVector.broadcast(DS, ap[pa]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(DS, ap[pa + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(DS, ap[pa + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(DS, ap[pa + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = DoubleVector.broadcast(DS, ap[pa + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = DoubleVector.broadcast(DS, ap[pa + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        // Stores written out: a vector passed to a method C2 does not inline gets boxed.
        if (add) {
            c00 = c00.add(DoubleVector.fromArray(DS, c, ci));
            c01 = c01.add(DoubleVector.fromArray(DS, c, ci + DL));
            c10 = c10.add(DoubleVector.fromArray(DS, c, ci + ldc));
            c11 = c11.add(DoubleVector.fromArray(DS, c, ci + ldc + DL));
            c20 = c20.add(DoubleVector.fromArray(DS, c, ci + 2 * ldc));
            c21 = c21.add(DoubleVector.fromArray(DS, c, ci + 2 * ldc + DL));
            c30 = c30.add(DoubleVector.fromArray(DS, c, ci + 3 * ldc));
            c31 = c31.add(DoubleVector.fromArray(DS, c, ci + 3 * ldc + DL));
            c40 = c40.add(DoubleVector.fromArray(DS, c, ci + 4 * ldc));
            c41 = c41.add(DoubleVector.fromArray(DS, c, ci + 4 * ldc + DL));
            c50 = c50.add(DoubleVector.fromArray(DS, c, ci + 5 * ldc));
            c51 = c51.add(DoubleVector.fromArray(DS, c, ci + 5 * ldc + DL));
        }
        c00.intoArray(c, ci);
        c01.intoArray(c, ci + DL);
        c10.intoArray(c, ci + ldc);
        c11.intoArray(c, ci + ldc + DL);
        c20.intoArray(c, ci + 2 * ldc);
        c21.intoArray(c, ci + 2 * ldc + DL);
        c30.intoArray(c, ci + 3 * ldc);
        c31.intoArray(c, ci + 3 * ldc + DL);
        c40.intoArray(c, ci + 4 * ldc);
        c41.intoArray(c, ci + 4 * ldc + DL);
        c50.intoArray(c, ci + 5 * ldc);
        c51.intoArray(c, ci + 5 * ldc + DL);
    }

    private static void dgemmDot(boolean ta, boolean tb, int m, int n, int k, double alpha,
                                 double[] a, int ao, int lda, double[] b, int bo, int ldb,
                                 double beta, double[] c, int co, int ldc) {
        if (ta) {
            dgemmColumns(tb, m, n, k, alpha, a, ao, lda, b, bo, ldb, beta, c, co, ldc);
            return;
        }
        // A as (m, k) rows in place; B^T as (n, k) rows, copied when B is stored (k, n) (n is small here).
        final double[] ar = a, br;
        final int aro = ao, ald = lda, bro, bld;
        if (tb) { br = b; bro = bo; bld = ldb; } else { br = transpose(b, bo, ldb, k, n); bro = 0; bld = k; }
        int tasks = Parallel.blocks(m, DOT_ROWS);
        java.util.function.IntConsumer body = t -> {
            int i1 = Math.min(m, (t + 1) * DOT_ROWS);
            for (int i = t * DOT_ROWS; i < i1; i++) {
                int ai = aro + i * ald, ci = co + i * ldc;
                int j = 0;
                for (; j + 4 <= n; j += 4) {
                    int b0 = bro + j * bld, b1 = b0 + bld, b2 = b1 + bld, b3 = b2 + bld;
                    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                    int p = 0;
                    if (k >= DL) {
                        DoubleVector v0 = DoubleVector.zero(DS), v1 = v0, v2 = v0, v3 = v0;
                        for (; p <= k - DL; p += DL) {
                            DoubleVector x = DoubleVector.fromArray(DS, ar, ai + p);
                            v0 = x.fma(DoubleVector.fromArray(DS, br, b0 + p), v0);
                            v1 = x.fma(DoubleVector.fromArray(DS, br, b1 + p), v1);
                            v2 = x.fma(DoubleVector.fromArray(DS, br, b2 + p), v2);
                            v3 = x.fma(DoubleVector.fromArray(DS, br, b3 + p), v3);
                        }
                        s0 = sumLanes(v0);
                        s1 = sumLanes(v1);
                        s2 = sumLanes(v2);
                        s3 = sumLanes(v3);
                    }
                    for (; p < k; p++) {
                        double x = ar[ai + p];
                        s0 += x * br[b0 + p];
                        s1 += x * br[b1 + p];
                        s2 += x * br[b2 + p];
                        s3 += x * br[b3 + p];
                    }
                    dput(c, ci + j, alpha * s0, beta);
                    dput(c, ci + j + 1, alpha * s1, beta);
                    dput(c, ci + j + 2, alpha * s2, beta);
                    dput(c, ci + j + 3, alpha * s3, beta);
                }
                for (; j < n; j++) {
                    int b0 = bro + j * bld;
                    double s = 0;
                    int p = 0;
                    if (k >= DL) {
                        DoubleVector v = DoubleVector.zero(DS);
                        for (; p <= k - DL; p += DL)
                            v = DoubleVector.fromArray(DS, ar, ai + p).fma(DoubleVector.fromArray(DS, br, b0 + p), v);
                        s = sumLanes(v);
                    }
                    for (; p < k; p++) s += ar[ai + p] * br[b0 + p];
                    dput(c, ci + j, alpha * s, beta);
                }
            }
        };
        Parallel.forEach(tasks, body);
    }

    /**
     * The dot path when A is stored transposed, (k, m): rows of that storage are contiguous in i,
     * so vectorize over i instead of copying A: C^T[j, i0:i0+4L] = sum_p op(B)[p, j] A[p, i0:i0+4L],
     * sequential in p for every element. Four vectors of i per row of A keep the reads contiguous.
     */
    private static void dgemmColumns(boolean tb, int m, int n, int k, double alpha, double[] a, int ao, int lda,
                                    double[] b, int bo, int ldb, double beta, double[] c, int co, int ldc) {
        final int rowsPerTask = 4 * DL;
        Parallel.forEach(Parallel.blocks(m, rowsPerTask), t -> {
            int i0 = t * rowsPerTask, i1 = Math.min(m, i0 + rowsPerTask), rows = i1 - i0;
            jdk.incubator.vector.VectorMask<Double> m0 = DS.indexInRange(i0, i1), m1 = DS.indexInRange(i0 + DL, i1);
            jdk.incubator.vector.VectorMask<Double> m2 = DS.indexInRange(i0 + 2 * DL, i1), m3 = DS.indexInRange(i0 + 3 * DL, i1);
            double[] tmp = new double[4 * DL];
            for (int j = 0; j < n; j++) {
                DoubleVector v0 = DoubleVector.zero(DS), v1 = v0, v2 = v0, v3 = v0;
                for (int p = 0; p < k; p++) {
                    int ai = ao + p * lda + i0;
                    DoubleVector y = DoubleVector.broadcast(DS, tb ? b[bo + j * ldb + p] : b[bo + p * ldb + j]);
                    v0 = DoubleVector.fromArray(DS, a, ai, m0).fma(y, v0);
                    v1 = DoubleVector.fromArray(DS, a, ai + DL, m1).fma(y, v1);
                    v2 = DoubleVector.fromArray(DS, a, ai + 2 * DL, m2).fma(y, v2);
                    v3 = DoubleVector.fromArray(DS, a, ai + 3 * DL, m3).fma(y, v3);
                }
                v0.intoArray(tmp, 0);
                v1.intoArray(tmp, DL);
                v2.intoArray(tmp, 2 * DL);
                v3.intoArray(tmp, 3 * DL);
                for (int r = 0; r < rows; r++) dput(c, co + (i0 + r) * ldc + j, alpha * tmp[r], beta);
            }
        });
    }

    /** {@link #sumLanes(FloatVector)} for doubles: a fixed halving tree, never {@code reduceLanes}. */
    private static double sumLanes(DoubleVector v) {
        for (int h = DL >> 1; h > 0; h >>= 1) v = v.add(v.rearrange(VectorShuffle.iota(DS, h, 1, true)));
        return v.lane(0);
    }

    private static void dput(double[] c, int i, double v, double beta) {
        c[i] = beta == 0 ? v : v + beta * c[i];
    }

    private static double[] transpose(double[] x, int xo, int ld, int rows, int cols) {
        double[] t = new double[rows * cols];
        for (int r0 = 0; r0 < rows; r0 += TILE)       // 32 x 32 tiles: both sides stay in cache
            for (int q0 = 0; q0 < cols; q0 += TILE)
                for (int r = r0; r < Math.min(rows, r0 + TILE); r++) {
                    int src = xo + r * ld;
                    for (int q = q0; q < Math.min(cols, q0 + TILE); q++) t[q * rows + r] = x[src + q];
                }
        return t;
    }

    private static void scaleC(int m, int n, double beta, double[] c, int co, int ldc) {
        for (int i = 0; i < m; i++) {
            int ci = co + i * ldc;
            if (beta == 0) java.util.Arrays.fill(c, ci, ci + n, 0);
            else if (beta != 1) for (int j = 0; j < n; j++) c[ci + j] *= beta;
        }
    }

    // =============================================================================================

    /**
     * The packed path needs enough work to amortize packing, and n of at least one vector: below
     * that most of each NR-wide panel would be padding, and the dot path vectorizes over k instead.
     * Small m (even m = 1) is fine: the padded rows cost FMAs, but the kernel is fast enough that
     * such products stay bound by reading B.
     */
    private static boolean usePacked(int m, int n, int k, int nr) {
        return (long) m * n * k >= PACKED_MIN_FLOPS && n >= nr / 2;
    }

    private static int roundUp(int x, int q) {
        return (x + q - 1) / q * q;
    }

    private static void checkArgs(int m, int n, int k, int batch) {
        if (m < 0 || n < 0 || k < 0 || batch < 0) {
            throw new IllegalArgumentException("gemm: negative size m=" + m + " n=" + n + " k=" + k + " batch=" + batch);
        }
    }
}
