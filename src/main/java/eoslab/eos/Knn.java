package eoslab.eos;

import eoslab.util.Parallel;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Exact (brute-force) Euclidean k-nearest-neighbour search in input space, used for the
 * boundary group of the prototype taxonomy (Kwag et al. 2026, §2.3: "k-NN label composition,
 * k = 50") and for the boundary test points of the robustness analysis (§5.2).
 *
 * <p>Distances use ‖q‖² + ‖r‖² − 2 q·r with every product and sum in float64 (the inputs are
 * float32, so each product is exact in float64). The dot products are a register-tiled Vector API
 * kernel (4 queries × 2 vectors of references, one FMA chain per pair over the features) against a
 * panel-packed float64 copy of the references (8 bytes per value: 245 MB for 10,000 × 3072).
 * {@link #searchScalar} is the plain-Java reference it is tested against. 2000 × 784, k = 50: about
 * 0.9 s (scalar 1.6 s) on 2 cores shared with other jobs. Each dot product runs over the features
 * in a fixed order, so the result does not depend on the thread count or the vector width.
 *
 * <p>Ordering is total: neighbours are ranked by (squared distance, reference index), so ties
 * are broken towards the smaller index and the result is deterministic.
 */
public final class Knn {
    private static final VectorSpecies<Double> SP = DoubleVector.SPECIES_PREFERRED;
    /** Lanes of one float64 vector (4 with AVX2, 8 with AVX-512). */
    private static final int L = SP.length();
    /** References per panel of the Vector API kernel: two vectors. */
    private static final int W = 2 * L;
    /** Queries per task of the scalar reference kernel. */
    static final int QT = 8;
    /** References per block of the scalar kernel's transposed copy: QT·RB accumulators stay in L1. */
    static final int RB = 256;

    private Knn() {
    }

    /**
     * The k nearest references of every query.
     *
     * @param query       (nq, features) row-major
     * @param ref         (nr, features) row-major
     * @param excludeSelf if true, query i never returns reference i (query and reference are the
     *                    same set, and a point is not its own neighbour); needs nq == nr
     * @return (nq, k) reference indices, each row sorted by (distance, index)
     */
    public static int[] search(float[] query, int nq, float[] ref, int nr, int features, int k, boolean excludeSelf) {
        check(query, nq, ref, nr, features, k, excludeSelf);
        double[] qn = squaredNorms(query, nq, features);   // (nq)
        double[] rn = squaredNorms(ref, nr, features);     // (nr)
        int np = Parallel.blocks(nr, W);
        if ((long) np * W * features > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("k-NN: " + nr + " x " + features + " references are too many for one float64 panel copy; split the reference set");
        // pack: np panels, each (features, W): references j0..j0+W−1 transposed, zero-padded past nr.
        // A panel is read front to back once per 4 queries, so the kernel streams it from cache.
        double[] pack = new double[np * W * features];
        Parallel.forEach(np, panel -> {
            int base = panel * W * features, j0 = panel * W, j1 = Math.min(nr, j0 + W);
            for (int j = j0; j < j1; j++) {
                int ro = j * features, c = j - j0;
                for (int p = 0; p < features; p++) pack[base + p * W + c] = ref[ro + p];
            }
        });
        int[] out = new int[nq * k];
        Parallel.forEach(Parallel.blocks(nq, 4), tile -> {
            int q0 = tile * 4, qt = Math.min(nq, q0 + 4) - q0;
            double[] qT = new double[features * 4];  // (features, 4) this tile's queries, transposed, zero rows past nq
            for (int a = 0; a < qt; a++) for (int p = 0; p < features; p++) qT[p * 4 + a] = query[(q0 + a) * features + p];
            double[] d2 = new double[qt * nr];      // (qt, nr) squared distances
            double[] tmp = new double[4 * W];       // (4, W) dot products of one panel
            for (int panel = 0; panel < np; panel++) {
                dotPanel(pack, panel * W * features, qT, features, tmp);
                int j0 = panel * W, j1 = Math.min(nr, j0 + W);
                for (int a = 0; a < qt; a++) {
                    double nqa = qn[q0 + a];
                    // clamp: cancellation can make a tiny distance slightly negative
                    for (int j = j0; j < j1; j++) d2[a * nr + j] = Math.max(0.0, nqa + rn[j] - 2.0 * tmp[a * W + (j - j0)]);
                }
            }
            for (int a = 0; a < qt; a++) smallest(d2, a * nr, nr, k, excludeSelf ? q0 + a : -1, out, (q0 + a) * k);
        });
        return out;
    }

    /**
     * Register-tiled micro-kernel: tmp (4, W) = qTᵀ · panel over all features, 4 queries × 2 vectors
     * of references held in 8 accumulators. Each dot product is one sequential FMA chain over the
     * features, so the result does not depend on the vector width or the thread count.
     */
    private static void dotPanel(double[] pack, int base, double[] qT, int features, double[] tmp) {
        DoubleVector a00 = DoubleVector.zero(SP), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int p = 0; p < features; p++) {
            int o = base + p * W, qo = p * 4;
            DoubleVector t0 = DoubleVector.fromArray(SP, pack, o), t1 = DoubleVector.fromArray(SP, pack, o + L);
            DoubleVector b = DoubleVector.broadcast(SP, qT[qo]);
            a00 = t0.fma(b, a00);
            a01 = t1.fma(b, a01);
            b = DoubleVector.broadcast(SP, qT[qo + 1]);
            a10 = t0.fma(b, a10);
            a11 = t1.fma(b, a11);
            b = DoubleVector.broadcast(SP, qT[qo + 2]);
            a20 = t0.fma(b, a20);
            a21 = t1.fma(b, a21);
            b = DoubleVector.broadcast(SP, qT[qo + 3]);
            a30 = t0.fma(b, a30);
            a31 = t1.fma(b, a31);
        }
        a00.intoArray(tmp, 0);
        a01.intoArray(tmp, L);
        a10.intoArray(tmp, W);
        a11.intoArray(tmp, W + L);
        a20.intoArray(tmp, 2 * W);
        a21.intoArray(tmp, 2 * W + L);
        a30.intoArray(tmp, 3 * W);
        a31.intoArray(tmp, 3 * W + L);
    }

    private static void check(float[] query, int nq, float[] ref, int nr, int features, int k, boolean excludeSelf) {
        if (features <= 0) throw new IllegalArgumentException("k-NN: features must be positive, got " + features);
        if (nq < 0 || query.length != (long) nq * features) throw new IllegalArgumentException("k-NN: query holds " + query.length + " values, expected nq*features = " + (long) nq * features);
        if (nr <= 0 || ref.length != (long) nr * features) throw new IllegalArgumentException("k-NN: reference holds " + ref.length + " values, expected nr*features = " + (long) nr * features);
        if (excludeSelf && nq != nr) throw new IllegalArgumentException("k-NN: excludeSelf needs the query and reference sets to be the same (nq = " + nq + ", nr = " + nr + ")");
        int available = excludeSelf ? nr - 1 : nr;
        if (k < 1 || k > available) throw new IllegalArgumentException("k-NN: k = " + k + " must be in [1, " + available + "] (" + nr + " references" + (excludeSelf ? ", self excluded)" : ")"));
    }

    /**
     * Scalar reference of {@link #search} (products and sums in float64, no FMA): tiles of
     * {@value #QT} queries × {@value #RB} references against a transposed float32 copy, innermost
     * loop an axpy the JIT auto-vectorizes. Kept as the check on the Vector API kernel.
     *
     * @param query       (nq, features) row-major
     * @param ref         (nr, features) row-major
     * @param excludeSelf if true, query i never returns reference i (query and reference are the
     *                    same set, and a point is not its own neighbour); needs nq == nr
     * @return (nq, k) reference indices, each row sorted by (distance, index)
     */
    static int[] searchScalar(float[] query, int nq, float[] ref, int nr, int features, int k, boolean excludeSelf) {
        check(query, nq, ref, nr, features, k, excludeSelf);

        double[] qn = squaredNorms(query, nq, features);   // (nq)
        double[] rn = squaredNorms(ref, nr, features);     // (nr)
        int nb = Parallel.blocks(nr, RB);
        // refT[b]: (features, RB) — block b of the references, transposed, zero-padded past nr (float32: exact copy)
        float[][] refT = new float[nb][];
        Parallel.forEach(nb, b -> {
            float[] t = new float[features * RB];
            int j0 = b * RB, j1 = Math.min(nr, j0 + RB);
            for (int j = j0; j < j1; j++) {
                int ro = j * features, c = j - j0;
                for (int p = 0; p < features; p++) t[p * RB + c] = ref[ro + p];
            }
            refT[b] = t;
        });

        int[] out = new int[nq * k];
        Parallel.forEach(Parallel.blocks(nq, QT), tile -> {
            int q0 = tile * QT, q1 = Math.min(nq, q0 + QT), qt = q1 - q0;
            double[] d2 = new double[qt * nr];      // (qt, nr) squared distances of this tile
            double[] acc = new double[QT * RB];     // (QT, RB) dot products of one block
            double[] qv = new double[QT];
            for (int b = 0; b < nb; b++) {
                float[] t = refT[b];
                java.util.Arrays.fill(acc, 0.0);
                for (int p = 0; p < features; p++) {
                    int to = p * RB;
                    for (int a = 0; a < qt; a++) qv[a] = query[(q0 + a) * features + p];
                    for (int a = 0; a < qt; a++) {
                        double v = qv[a];
                        int ao = a * RB;
                        for (int c = 0; c < RB; c++) acc[ao + c] += v * t[to + c];
                    }
                }
                int j0 = b * RB, j1 = Math.min(nr, j0 + RB);
                for (int a = 0; a < qt; a++) {
                    double nqa = qn[q0 + a];
                    for (int j = j0; j < j1; j++) {
                        // clamp: cancellation can make a tiny distance slightly negative
                        d2[a * nr + j] = Math.max(0.0, nqa + rn[j] - 2.0 * acc[a * RB + (j - j0)]);
                    }
                }
            }
            for (int a = 0; a < qt; a++) {
                int qi = q0 + a;
                smallest(d2, a * nr, nr, k, excludeSelf ? qi : -1, out, qi * k);
            }
        });
        return out;
    }

    /**
     * Fraction of each query's k neighbours whose label is {@code label}.
     *
     * @param neighbours (nq, k) as returned by {@link #search}
     * @return (nq)
     */
    public static double[] labelFraction(int[] neighbours, int k, int[] labels, int label) {
        if (k < 1 || neighbours.length % k != 0) throw new IllegalArgumentException("k-NN: " + neighbours.length + " neighbour indices is not a multiple of k = " + k);
        int nq = neighbours.length / k;
        double[] f = new double[nq];
        for (int i = 0; i < nq; i++) {
            int cnt = 0;
            for (int r = 0; r < k; r++) if (labels[neighbours[i * k + r]] == label) cnt++;
            f[i] = (double) cnt / k;
        }
        return f;
    }

    /** Σ_p x[i, p]² in float64, (n). */
    static double[] squaredNorms(float[] x, int n, int features) {
        double[] s = new double[n];
        Parallel.forEach(Parallel.blocks(n, 256), blk -> {
            int i1 = Math.min(n, blk * 256 + 256);
            for (int i = blk * 256; i < i1; i++) {
                double acc = 0;
                int o = i * features;
                for (int p = 0; p < features; p++) acc += (double) x[o + p] * x[o + p];
                s[i] = acc;
            }
        });
        return s;
    }

    /**
     * The k smallest of d[off .. off+n) by (value, index), skipping index {@code skip}, written
     * sorted into out[oo .. oo+k). A bounded max-heap: O(n log k).
     */
    private static void smallest(double[] d, int off, int n, int k, int skip, int[] out, int oo) {
        int[] heap = new int[k]; // indices; heap[0] is the largest (value, index) kept so far
        int size = 0;
        for (int j = 0; j < n; j++) {
            if (j == skip) continue;
            if (size < k) {
                heap[size] = j;
                siftUp(heap, size++, d, off);
            } else if (less(d, off, j, heap[0])) {
                heap[0] = j;
                siftDown(heap, size, d, off);
            }
        }
        // pop in descending order into the back of the output row
        for (int r = k - 1; r >= 0; r--) {
            out[oo + r] = heap[0];
            heap[0] = heap[--size];
            siftDown(heap, size, d, off);
        }
    }

    /** (d[i], i) < (d[j], j) lexicographically. */
    private static boolean less(double[] d, int off, int i, int j) {
        double a = d[off + i], b = d[off + j];
        return a < b || (a == b && i < j);
    }

    private static void siftUp(int[] h, int pos, double[] d, int off) {
        while (pos > 0) {
            int parent = (pos - 1) >>> 1;
            if (!less(d, off, h[parent], h[pos])) return;
            int t = h[parent];
            h[parent] = h[pos];
            h[pos] = t;
            pos = parent;
        }
    }

    private static void siftDown(int[] h, int size, double[] d, int off) {
        int pos = 0;
        while (true) {
            int l = 2 * pos + 1, r = l + 1, big = pos;
            if (l < size && less(d, off, h[big], h[l])) big = l;
            if (r < size && less(d, off, h[big], h[r])) big = r;
            if (big == pos) return;
            int t = h[big];
            h[big] = h[pos];
            h[pos] = t;
            pos = big;
        }
    }
}
