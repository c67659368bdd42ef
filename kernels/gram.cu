// The Gram matrix G = VᵀV of k vectors in float64, in ONE pass over V: the hot loop of CholeskyQR2
// (Fukaya et al. 2014), the QR of the Lyapunov tracker (SPEC §4, issue #5). Included at the end of
// kernels/eoslab.cu. CPU reference: CpuBackend.gram (same math, different summation order).
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

template <typename T>
__device__ __forceinline__ void gram_partial_impl(const T* v, i64 ld, i64 d, int k, double* partial) {
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
    gram_partial_impl(v, ld, d, k, partial);
}
extern "C" __global__ void __launch_bounds__(GRAM_THREADS, 3) gram_partial_f64(const double* v, i64 ld, i64 d, int k, double* partial) {
    gram_partial_impl(v, ld, d, k, partial);
}

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
