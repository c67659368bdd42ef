// The Gram matrix G = VᵀV of k vectors in float64, in ONE pass over V, and one CholeskyQR pass
// V <- V R^-1 in place with the Gram of the result fused in (qr_apply_gram, below): the QR of the
// Lyapunov tracker (CholeskyQR/CholeskyQR2, Fukaya et al. 2014; SPEC §4, issue #5), which then reads V
// twice and writes it once. Included at the end of kernels/eoslab.cu. CPU reference: CpuGram (the
// Gram: same math, different summation order; V R^-1: the same bits).
//
// Layout (as Backend.gram): vector i (i < k) is v[i*ld .. i*ld + d), i.e. V (d, k) column-major with
// leading dimension ld >= d (ld = d for eoslab's "k blocks of d"). Input float32 or float64; every
// product and sum is float64 (products of floats are exact in double).
//
// Two kernels, both with launch shapes that depend only on (d, k), so G is bit-reproducible:
//   gram_partial_*: grid (B, P). blockIdx.y picks one 32x32 block (I, J), I >= J, of G (P = nb(nb+1)/2
//     pairs, nb = ceil(k/32); P = 1 for k <= 32). Block x takes the row slabs x, x + B, x + 2B, ...;
//     for each slab it reads the slab's rows of the (at most 64) vectors of I and J ONCE from global
//     memory (coalesced along rows), widens them to double in shared memory, and every thread adds the
//     products of its register tile. At the end the block writes its (lower-triangle) partial Gram to
//     partial[x] (k, k).
//   gram_reduce_f64: G[i][j] = sum over x = 0..B-1 of partial[x][i][j], in block order, then mirrored.
//
// Why this shape (H100, k = 32, d = 1e6..1e8): a row of V is 32 values (128 B in f32) but needs
// k(k+1)/2 = 528 float64 FMAs, about 4 FMA per byte; at 3.35 TB/s that is ~14 TFMA/s, close to the
// H100's float64 FMA peak (~17 TFMA/s without tensor cores). So the kernel must be FMA-efficient, not
// just coalesced:
//   - A thread cannot own whole rows: 528 float64 accumulators do not fit in 255 registers. Instead each
//     thread owns a 4x4 tile of G (16 accumulators in registers) and a share of the slab's rows
//     ("row group"); the 4+4 operands of a row come from shared memory as two 16-byte loads each, so a
//     row costs 4 shared loads per 16 FMAs. The threads of a warp hold different tiles of the SAME row,
//     so their loads fall in one 256-byte shared row (<= 2 wavefronts): the shared-memory pipe and the
//     FP64 pipe are roughly balanced.
//   - Only the lower-triangle tiles are computed on a diagonal block: 36 tiles for k = 32 (8% waste on
//     the 8 diagonal tiles), 8 row groups of 36 threads = GRAM_THREADS = 288. Smaller k gets fewer tiles
//     and more row groups (k = 8: 3 tiles, 96 groups), so small k is not 32x over-computed.
//   - Shared memory holds the slab row-major ([row][vector], pitch nv + 2 doubles, 16-byte aligned for
//     the double2 loads) and is reused, after the last slab, for the fixed-order sum over row groups.
//     36 KB of static shared memory, so 2-3 blocks fit per SM and one block's loads overlap another's FMAs.
//   - The products are explicit fma(): the build's --fmad=false (kept for the F32 kernels' parity with
//     Java) would otherwise split every one into DMUL + DADD, halving the FP64 rate. A fused product
//     rounds once instead of twice, so G differs from CpuBackend.gram only by float64 rounding.
//   - __launch_bounds__(GRAM_THREADS, 3): at most ~75 registers, so 3 blocks share an SM.
//   - Rows past d and vectors past k are read as zeros, so there are no branches in the FMA loop.
// V is read exactly once (per block pair: for k > 32 the off-diagonal blocks re-read their vectors), so
// the pass is bounded by HBM bandwidth where the FP64 pipe keeps up (float64 input; float32 at k < 32),
// and by the FP64 pipe at float32, k = 32. (Not yet measured on a GPU: `eoslab bench qr` reports it.)

#define GRAM_THREADS 288   // CudaBackend.GRAM_THREADS
#define GRAM_TILE 4        // rows and columns of G per thread tile
#define GRAM_BLOCK 32      // rows and columns of G per blockIdx.y
#define GRAM_LOADS 8       // global loads in flight per thread while a slab is read
#define GRAM_SHARED 4608   // doubles of shared memory = GRAM_THREADS * GRAM_TILE * GRAM_TILE (the group sum)
#define QR_U_PITCH 32      // qr_apply_gram: U staged in shared memory as (32, 32) doubles, zero-padded

// APPLY (qr_apply_gram_*, k <= 32 only: one diagonal block holds every vector): between loading a
// slab and forming its products, each row of the slab is replaced by x U (see qr_apply_row below),
// rounded to T, written back to V, and the Gram is formed from the rounded values: one CholeskyQR
// pass, V <- V R^-1 with its orthogonality check, reading and writing V once.
template <typename T>
__device__ __forceinline__ void qr_apply_row(double* x, int k, const double* __restrict__ us);

template <typename T, bool APPLY>
__device__ __forceinline__ void gram_partial_impl(T* v, i64 ld, i64 d, int k, const double* __restrict__ u, double* partial) {
    // APPLY updates rows in place: only right when one block pair holds every vector (k <= 32) and no
    // other blockIdx.y touches the same rows (CudaBackend.applyUpperAndGram launches exactly that).
    if (APPLY && (k > GRAM_BLOCK || gridDim.y != 1)) __trap();
    __shared__ double2 sh2[GRAM_SHARED / 2];          // double2: 16-byte aligned
    double* sh = reinterpret_cast<double*>(sh2);
    // (I, J), I >= J, from the pair index p = I(I+1)/2 + J.
    int p = blockIdx.y, I = 0;
    while (p > I) { p -= I + 1; I++; }
    int J = p;
    bool diag = I == J;
    int i0 = I * GRAM_BLOCK, j0 = J * GRAM_BLOCK;
    int ka = k - i0 < GRAM_BLOCK ? k - i0 : GRAM_BLOCK, kb = k - j0 < GRAM_BLOCK ? k - j0 : GRAM_BLOCK;
    int ta = (ka + GRAM_TILE - 1) / GRAM_TILE, tb = (kb + GRAM_TILE - 1) / GRAM_TILE;
    // Shared slab: vectors of I in slots [0, 4ta), of J in [4ta, 4ta + 4tb) (none on a diagonal block).
    int na = GRAM_TILE * ta, nv = diag ? na : na + GRAM_TILE * tb;
    int pitch = nv + 2;                               // even: rows stay 16-byte aligned
    int logS = 8;                                     // slab rows S = 2^logS <= 256, S * pitch <= GRAM_SHARED
    while ((pitch << logS) > GRAM_SHARED) logS--;
    int S = 1 << logS;

    int ntiles = diag ? ta * (ta + 1) / 2 : ta * tb;
    int groups = GRAM_THREADS / ntiles;
    int t = threadIdx.x, tile = t % ntiles, g = t / ntiles;
    bool active = g < groups;
    int ti, tj;                                       // tile row and column
    if (diag) {                                       // lower triangle, row by row
        ti = 0;
        int rem = tile;
        while (rem > ti) { rem -= ti + 1; ti++; }
        tj = rem;
    } else {
        ti = tile / tb;
        tj = tile % tb;
    }
    int as = GRAM_TILE * ti, bs = (diag ? 0 : na) + GRAM_TILE * tj;   // shared slots of the tile's operands

    double acc[GRAM_TILE][GRAM_TILE];
    for (int x = 0; x < GRAM_TILE; x++)
        for (int y = 0; y < GRAM_TILE; y++) acc[x][y] = 0;

    // APPLY: U (k, k) upper triangular, staged once per block as a zero-padded (32, 32) row-major
    // copy, so the apply loop reads its coefficients without bounds checks, four at a time (two
    // 16-byte loads every thread of a warp makes at the same address: a broadcast).
    double* us = nullptr;
    if constexpr (APPLY) {
        __shared__ double2 us2[QR_U_PITCH * QR_U_PITCH / 2];
        us = reinterpret_cast<double*>(us2);
        for (int e = threadIdx.x; e < QR_U_PITCH * QR_U_PITCH; e += GRAM_THREADS) {
            int l = e / QR_U_PITCH, i = e % QR_U_PITCH;
            us[e] = i < k && l <= i ? u[l * k + i] : 0.0;
        }
        __syncthreads();
    }

    i64 nslabs = (d + S - 1) >> logS;
    for (i64 s = blockIdx.x; s < nslabs; s += gridDim.x) {
        i64 r0 = s << logS;
        // Load: element e = (slot q, row r), rows fastest so a warp reads consecutive addresses of one
        // vector. GRAM_LOADS global loads are issued into registers before any is stored to shared
        // memory: one load in flight per thread would keep only ~3 KB per SM in flight, far below the
        // ~15 KB per SM that HBM's latency-bandwidth product asks for.
        int n = nv << logS;
        for (int e0 = t; e0 < n; e0 += GRAM_LOADS * GRAM_THREADS) {
            double val[GRAM_LOADS];
            for (int u = 0; u < GRAM_LOADS; u++) {
                int e = e0 + u * GRAM_THREADS, q = e >> logS, r = e & (S - 1);
                int vec = q < na ? (q < ka ? i0 + q : -1) : (q - na < kb ? j0 + q - na : -1);
                i64 row = r0 + r;
                val[u] = (e < n && vec >= 0 && row < d) ? (double)v[(i64)vec * ld + row] : 0.0;
            }
            for (int u = 0; u < GRAM_LOADS; u++) {
                int e = e0 + u * GRAM_THREADS;
                if (e < n) sh[(e & (S - 1)) * pitch + (e >> logS)] = val[u];
            }
        }
        __syncthreads();
        if (APPLY) {
            for (int r = t; r < S; r += GRAM_THREADS) qr_apply_row<T>(sh + r * pitch, k, us);
            __syncthreads();
            for (int e = t; e < n; e += GRAM_THREADS) {   // write back: the load's order, coalesced along rows
                int q = e >> logS, r = e & (S - 1);
                i64 row = r0 + r;
                if (q < k && row < d) v[(i64)q * ld + row] = (T)sh[r * pitch + q];
            }
        }
        if (active) {
            for (int r = g; r < S; r += groups) {
                const double* rowp = sh + r * pitch;
                double a[GRAM_TILE], b[GRAM_TILE];
                for (int x = 0; x < GRAM_TILE; x += 2) {
                    double2 u = *reinterpret_cast<const double2*>(rowp + as + x);
                    double2 w = *reinterpret_cast<const double2*>(rowp + bs + x);
                    a[x] = u.x; a[x + 1] = u.y;
                    b[x] = w.x; b[x + 1] = w.y;
                }
                for (int x = 0; x < GRAM_TILE; x++)
                    for (int y = 0; y < GRAM_TILE; y++) acc[x][y] = fma(a[x], b[y], acc[x][y]);
            }
        }
        __syncthreads();
    }

    // Sum the row groups' tiles in group order (fixed), then write this block's partial Gram.
    if (active)
        for (int x = 0; x < GRAM_TILE; x++)
            for (int y = 0; y < GRAM_TILE; y++) sh[(g * ntiles + tile) * 16 + x * GRAM_TILE + y] = acc[x][y];
    __syncthreads();
    double* out = partial + (i64)blockIdx.x * k * k;
    for (int o = t; o < ntiles * 16; o += GRAM_THREADS) {
        double sum = 0;
        for (int h = 0; h < groups; h++) sum += sh[h * ntiles * 16 + o];
        int tl = o >> 4, x = (o >> 2) & 3, y = o & 3;
        int oti, otj;
        if (diag) {
            oti = 0;
            int rem = tl;
            while (rem > oti) { rem -= oti + 1; oti++; }
            otj = rem;
        } else {
            oti = tl / tb;
            otj = tl % tb;
        }
        int i = i0 + GRAM_TILE * oti + x, j = j0 + GRAM_TILE * otj + y;
        if (i < k && j < k && i >= j) out[(i64)i * k + j] = sum;
    }
}
extern "C" __global__ void __launch_bounds__(GRAM_THREADS, 3) gram_partial_f32(const float* v, i64 ld, i64 d, int k, double* partial) {
    gram_partial_impl<float, false>(const_cast<float*>(v), ld, d, k, nullptr, partial);
}
extern "C" __global__ void __launch_bounds__(GRAM_THREADS, 3) gram_partial_f64(const double* v, i64 ld, i64 d, int k, double* partial) {
    gram_partial_impl<double, false>(const_cast<double*>(v), ld, d, k, nullptr, partial);
}

// One CholeskyQR pass on one row x (k values, float64, in place): x_i <- sum_{l <= i} U_li x_l, U
// upper triangular (k, k) row-major float64 (R^-1). Exactly CpuGram.solve's arithmetic, so V U agrees
// with the CPU backend to the bit: outputs in groups of four, i0 = 4g .. 4g+3, each a chain of fma over
// l = 0 .. min(k, i0+4)-1 in that order with the coefficient 0 where l > i, rounded once to T. Groups go
// from the last one down, so every x_l a group reads (l < i0 + 4) is still an input.
//
// Coefficients: qr_apply_gram reads them from U staged in shared memory, zero-padded to a (32, 32)
// pitch (QrSharedU: no bounds checks, two 16-byte loads per l for the group's four); qr_apply (k > 32)
// from global memory with the bounds checks (QrGlobalU).
struct QrSharedU {
    const double* us;
    __device__ __forceinline__ void four(int l, int i0, double c[4]) const {
        double2 a = *reinterpret_cast<const double2*>(us + l * QR_U_PITCH + i0);
        double2 b = *reinterpret_cast<const double2*>(us + l * QR_U_PITCH + i0 + 2);
        c[0] = a.x; c[1] = a.y; c[2] = b.x; c[3] = b.y;
    }
};
struct QrGlobalU {
    const double* __restrict__ u;
    int k;
    __device__ __forceinline__ double coef(int l, int i) const { return i < k && l <= i ? u[l * k + i] : 0.0; }
    __device__ __forceinline__ void four(int l, int i0, double c[4]) const {
        c[0] = coef(l, i0); c[1] = coef(l, i0 + 1); c[2] = coef(l, i0 + 2); c[3] = coef(l, i0 + 3);
    }
};
template <typename T, typename X, typename U>
__device__ __forceinline__ void qr_apply_groups(X x, int k, U u) {
    for (int i0 = (k - 1) & ~3; i0 >= 0; i0 -= 4) {
        int lmax = i0 + 4 < k ? i0 + 4 : k;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int l = 0; l < lmax; l++) {
            double xl = x.get(l), c[4];
            u.four(l, i0, c);
            s0 = fma(xl, c[0], s0);
            s1 = fma(xl, c[1], s1);
            s2 = fma(xl, c[2], s2);
            s3 = fma(xl, c[3], s3);
        }
        x.set(i0, (T)s0);
        if (i0 + 1 < k) x.set(i0 + 1, (T)s1);
        if (i0 + 2 < k) x.set(i0 + 2, (T)s2);
        if (i0 + 3 < k) x.set(i0 + 3, (T)s3);
    }
}
struct SharedRow {          // a slab row in shared memory (float64)
    double* p;
    __device__ double get(int l) const { return p[l]; }
    template <typename T> __device__ void set(int i, T val) const { p[i] = (double)val; }
};
template <typename T>
struct GlobalRow {          // row `row` of V in global memory (vectors ld apart)
    T* v; i64 ld, row;
    __device__ double get(int l) const { return (double)v[(i64)l * ld + row]; }
    __device__ void set(int i, T val) const { v[(i64)i * ld + row] = val; }
};
// k = 32 (the Lyapunov tracker's and `bench qr`'s size): the same chains with l outermost, for outputs
// 16..31 and then 0..15 (16 partial sums in registers at a time, next to the Gram's 16 accumulators).
// Output i (group i0 = i & ~3) still adds x_l U_li for l = 0, 1, ..., i0 + 3 in that order (a group
// whose chain has ended is predicated off), so the bits are those of the general path; each x_l is
// read once per half, and row l's coefficients come as 16-byte broadcast loads. A half's outputs are
// written after its reads, rounded to T; the upper half overwrites only x_16.., which the lower half's
// chains never read. (Unrolling l as well wanted 166 registers and spilled under the launch bound.)
template <typename T, int LO>
__device__ __forceinline__ void qr_apply_half32(double* p, const double* __restrict__ us) {
    double s[16];
#pragma unroll
    for (int i = 0; i < 16; i++) s[i] = 0;
#pragma unroll 1
    for (int l = 0; l < LO + 16; l++) {
        double xl = p[l];
        const double* ul = us + l * QR_U_PITCH + LO;
#pragma unroll
        for (int i = 0; i < 16; i += 4) {
            if (l < ((LO + i) & ~3) + 4) {
                double2 a = *reinterpret_cast<const double2*>(ul + i);
                double2 b = *reinterpret_cast<const double2*>(ul + i + 2);
                s[i] = fma(xl, a.x, s[i]);
                s[i + 1] = fma(xl, a.y, s[i + 1]);
                s[i + 2] = fma(xl, b.x, s[i + 2]);
                s[i + 3] = fma(xl, b.y, s[i + 3]);
            }
        }
    }
#pragma unroll
    for (int i = 0; i < 16; i++) p[LO + i] = (double)(T)s[i];
}
template <typename T>
__device__ __forceinline__ void qr_apply_row32(double* p, const double* __restrict__ us) {
    qr_apply_half32<T, 16>(p, us);
    qr_apply_half32<T, 0>(p, us);
}
template <typename T>
__device__ __forceinline__ void qr_apply_row(double* x, int k, const double* __restrict__ us) {
    if (k == 32) qr_apply_row32<T>(x, us);
    else qr_apply_groups<T>(SharedRow{x}, k, QrSharedU{us});
}

// V <- V U and its Gram partials in one pass (k <= 32; grid (B, 1)); gram_reduce_f64 sums them.
// 44 KB of static shared memory: the slab's 36 KB and U's 8 KB.
// __launch_bounds__(GRAM_THREADS, 2): under gram_partial's 3 blocks per SM (<= 72 registers) the
// apply phase spills 200 bytes per thread; with 2 (<= 113) nothing spills. Not yet measured on a GPU.
extern "C" __global__ void __launch_bounds__(GRAM_THREADS, 2) qr_apply_gram_f32(float* v, i64 ld, i64 d, int k, const double* u, double* partial) {
    gram_partial_impl<float, true>(v, ld, d, k, u, partial);
}
extern "C" __global__ void __launch_bounds__(GRAM_THREADS, 2) qr_apply_gram_f64(double* v, i64 ld, i64 d, int k, const double* u, double* partial) {
    gram_partial_impl<double, true>(v, ld, d, k, u, partial);
}

// V <- V U for k > 32 (the Gram is a separate gram_partial pass): one thread per row, in place.
template <typename T>
__device__ __forceinline__ void qr_apply_impl(T* v, i64 ld, i64 d, int k, const double* __restrict__ u) {
    for (i64 row = gtid(); row < d; row += gstride()) qr_apply_groups<T>(GlobalRow<T>{v, ld, row}, k, QrGlobalU{u, k});
}
extern "C" __global__ void qr_apply_f32(float* v, i64 ld, i64 d, int k, const double* u) { qr_apply_impl(v, ld, d, k, u); }
extern "C" __global__ void qr_apply_f64(double* v, i64 ld, i64 d, int k, const double* u) { qr_apply_impl(v, ld, d, k, u); }

// G (k, k) = sum over the blocks of partial[x] (lower triangle, block order), mirrored to the upper.
extern "C" __global__ void gram_reduce_f64(const double* partial, int blocks, int k, double* g) {
    for (i64 e = gtid(); e < (i64)k * k; e += gstride()) {
        int i = (int)(e / k), j = (int)(e % k);
        if (j > i) continue;
        double s = 0;
        for (int x = 0; x < blocks; x++) s += partial[(i64)x * k * k + e];
        g[e] = s;
        g[(i64)j * k + i] = s;
    }
}
