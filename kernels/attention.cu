// Fused causal self-attention (issue #6): FlashAttention-2 style (Dao 2023) forward, backward and
// their tangents (R-ops, Pearlmutter 1994). Included at the end of kernels/eoslab.cu.
//
// The device twin of eoslab.gpt.CpuAttention (the reference; formulas in eoslab.gpt.AttentionKernels),
// checked against it by CudaAttentionEmulatorTest (host emulator) and, on a GPU, by the same parity code.
//
// Layout (Gpt2's): qkv (B*T, 3C), row b*T+i holds q_i | k_i | v_i, head h the columns [h*hs, (h+1)*hs)
// of each C-wide third; y, dy (B*T, C) with head h in columns [h*hs, (h+1)*hs); lse, rlse (B, H, T).
//
// Launch: grid (ceil(T / TILE), B*H), block TILE threads; thread r of block x owns query (or key)
// row x*TILE + r of sequence blockIdx.y / H, head blockIdx.y % H. Its own rows (q_i, the output
// accumulator, ...) live in registers (length ATT_HS_MAX, head size hs <= ATT_HS_MAX); the tiles of
// the other side stream through shared memory TILE rows at a time and are read by broadcast.
//   - forward: online softmax (running max m, running sum l, accumulator rescaled by exp(m_old - m_new)),
//     writes y and the row log-sum-exp lse = m + log l; no T x T matrix exists.
//   - backward: P_ij = exp(S_ij - lse_i) is recomputed. dq by a query-parallel pass, dk and dv by a
//     key-parallel pass (each thread owns one key row): no atomics, so results are deterministic.
//   - R-ops likewise (rforward query-parallel; rbackward one query-parallel and one key-parallel pass).
// Causality: a query tile only visits key tiles at or before it, a key tile only query tiles at or after.
// Arithmetic is in the storage type (float accumulators for F32, as FlashAttention does), so F32 results
// differ from the float64 CPU reference by float rounding (the parity test's tolerance says how much).
//
// Tiles: TILE = 32 rows for F32, 16 for F64, so the largest kernel (4 tiles of TILE x 64) stays within
// 32 KiB of static shared memory (the emulator has no dynamic shared memory). Register arrays of
// ATT_HS_MAX = 64 cover GPT-2's head size 64; F64 and the R-ops spill some of them to local memory.

#define ATT_HS_MAX 64

// Full unrolling keeps the per-thread row arrays in registers; the host emulator's g++ has no such pragma.
#ifdef __CUDACC__
#define ATT_UNROLL _Pragma("unroll")
#else
#define ATT_UNROLL
#endif
#define ATT_TILE_F32 32
#define ATT_TILE_F64 16

__device__ __forceinline__ int att_min(int a, int b) { return a < b ? a : b; }
__device__ __forceinline__ int att_max(int a, int b) { return a > b ? a : b; }
__device__ __forceinline__ float att_exp(float x) { return expf(x); }
__device__ __forceinline__ double att_exp(double x) { return exp(x); }
__device__ __forceinline__ float att_log(float x) { return logf(x); }
__device__ __forceinline__ double att_log(double x) { return log(x); }
// a*b + c in one rounding. The build's --fmad=false keeps the Backend kernels rounding like Java; here
// fused multiply-adds are asked for explicitly, as the dot products and axpys are the inner loops (the
// CPU reference's Vector API axpy uses FMA too, and the parity test's tolerance covers either).
__device__ __forceinline__ float att_fma(float a, float b, float c) { return fmaf(a, b, c); }
__device__ __forceinline__ double att_fma(double a, double b, double c) { return fma(a, b, c); }

// r[0, hs) = src[0, hs), r[hs, ATT_HS_MAX) = 0 (unrolled: r stays in registers)
template <typename T>
__device__ __forceinline__ void att_load(T* r, const T* src, int hs) {
ATT_UNROLL
    for (int d = 0; d < ATT_HS_MAX; d++) r[d] = d < hs ? src[d] : (T)0;
}

template <typename T>
__device__ __forceinline__ void att_zero(T* r) {
ATT_UNROLL
    for (int d = 0; d < ATT_HS_MAX; d++) r[d] = (T)0;
}

template <typename T>
__device__ __forceinline__ void att_store(T* dst, const T* r, int hs) {
ATT_UNROLL
    for (int d = 0; d < ATT_HS_MAX; d++)
        if (d < hs) dst[d] = r[d];
}

template <typename T>
__device__ __forceinline__ T att_dot(const T* a, const T* b, int hs) {
    T s = 0;
ATT_UNROLL
    for (int d = 0; d < ATT_HS_MAX; d++)
        if (d < hs) s = att_fma(a[d], b[d], s);
    return s;
}

// y += a x
template <typename T>
__device__ __forceinline__ void att_axpy(T a, const T* x, T* y, int hs) {
ATT_UNROLL
    for (int d = 0; d < ATT_HS_MAX; d++)
        if (d < hs) y[d] = att_fma(a, x[d], y[d]);
}

// Rows [row0, row0 + TILE) of a (rows, stride) slice starting at base into tile (rows >= n are zero).
template <typename T, int TILE>
__device__ __forceinline__ void att_tile(T (*tile)[ATT_HS_MAX], const T* base, i64 stride, int row0, int n, int hs) {
    for (int e = threadIdx.x; e < TILE * hs; e += TILE) {
        int r = e / hs, d = e - r * hs;
        tile[r][d] = row0 + r < n ? base[(i64)(row0 + r) * stride + d] : (T)0;
    }
}

// Where this block's (sequence, head) starts: qkv row 0 of the sequence, column h*hs; y likewise; lse row.
struct AttHead {
    int hs, b, h;
    i64 qkv0, y0, stat0;
};

__device__ __forceinline__ AttHead att_head(int Tn, int H, int C) {
    AttHead a;
    a.hs = C / H;
    a.b = blockIdx.y / H;
    a.h = blockIdx.y % H;
    a.qkv0 = (i64)a.b * Tn * 3 * C + (i64)a.h * a.hs;
    a.y0 = (i64)a.b * Tn * C + (i64)a.h * a.hs;
    a.stat0 = ((i64)a.b * H + a.h) * Tn;
    return a;
}

// ---- forward ------------------------------------------------------------------------------------------

template <typename T, int TILE>
__device__ void attn_fwd_impl(const T* qkv, T* y, T* lse, int Tn, int H, int C, double scale) {
    __shared__ T Ks[TILE][ATT_HS_MAX];
    __shared__ T Vs[TILE][ATT_HS_MAX];
    const AttHead a = att_head(Tn, H, C);
    const int hs = a.hs, i0 = blockIdx.x * TILE, i = i0 + threadIdx.x;
    const i64 C3 = 3 * (i64)C;
    const bool live = i < Tn;
    const T sc = (T)scale;
    T q[ATT_HS_MAX], acc[ATT_HS_MAX];
    att_load(q, qkv + a.qkv0 + (i64)(live ? i : 0) * C3, hs);
    att_zero(acc);
    T m = -INFINITY, l = 0;
    const int kend = att_min(Tn, i0 + TILE);   // keys j < kend can be visible to this tile
    for (int j0 = 0; j0 < kend; j0 += TILE) {
        att_tile<T, TILE>(Ks, qkv + a.qkv0 + C, C3, j0, Tn, hs);
        att_tile<T, TILE>(Vs, qkv + a.qkv0 + 2 * C, C3, j0, Tn, hs);
        __syncthreads();
        const int jn = live ? att_min(TILE, i - j0 + 1) : 0;   // causal: keys j0 .. i
        for (int jj = 0; jj < jn; jj++) {
            T s = sc * att_dot(q, Ks[jj], hs);
            if (s > m) {   // new running max: rescale what was summed under the old one (exp(-inf) = 0)
                T alpha = att_exp(m - s);
                l *= alpha;
ATT_UNROLL
                for (int d = 0; d < ATT_HS_MAX; d++) acc[d] *= alpha;
                m = s;
            }
            T p = att_exp(s - m);
            l += p;
            att_axpy(p, Vs[jj], acc, hs);
        }
        __syncthreads();
    }
    if (live) {
        T inv = (T)1 / l;
ATT_UNROLL
        for (int d = 0; d < ATT_HS_MAX; d++) acc[d] *= inv;
        att_store(y + a.y0 + (i64)i * C, acc, hs);
        lse[a.stat0 + i] = m + att_log(l);
    }
}

// ---- backward -----------------------------------------------------------------------------------------

// dq_i = scale sum_j dS_ij k_j, dS_ij = P_ij (dy_i.v_j - D_i), D_i = dy_i.y_i. One thread per query row.
template <typename T, int TILE>
__device__ void attn_bwd_dq_impl(const T* qkv, const T* y, const T* lse, const T* dy, T* dqkv, int Tn, int H, int C,
                                 double scale) {
    __shared__ T Ks[TILE][ATT_HS_MAX];
    __shared__ T Vs[TILE][ATT_HS_MAX];
    const AttHead a = att_head(Tn, H, C);
    const int hs = a.hs, i0 = blockIdx.x * TILE, i = i0 + threadIdx.x;
    const i64 C3 = 3 * (i64)C;
    const bool live = i < Tn;
    const int ir = live ? i : 0;
    const T sc = (T)scale;
    T q[ATT_HS_MAX], g[ATT_HS_MAX], dq[ATT_HS_MAX];
    att_load(q, qkv + a.qkv0 + (i64)ir * C3, hs);
    att_load(g, dy + a.y0 + (i64)ir * C, hs);
    att_zero(dq);
    T D = 0;
    for (int d = 0; d < hs; d++) D += dy[a.y0 + (i64)ir * C + d] * y[a.y0 + (i64)ir * C + d];
    const T L = lse[a.stat0 + ir];
    const int kend = att_min(Tn, i0 + TILE);
    for (int j0 = 0; j0 < kend; j0 += TILE) {
        att_tile<T, TILE>(Ks, qkv + a.qkv0 + C, C3, j0, Tn, hs);
        att_tile<T, TILE>(Vs, qkv + a.qkv0 + 2 * C, C3, j0, Tn, hs);
        __syncthreads();
        const int jn = live ? att_min(TILE, i - j0 + 1) : 0;
        for (int jj = 0; jj < jn; jj++) {
            T p = att_exp(sc * att_dot(q, Ks[jj], hs) - L);
            T ds = sc * p * (att_dot(g, Vs[jj], hs) - D);
            att_axpy(ds, Ks[jj], dq, hs);
        }
        __syncthreads();
    }
    if (live) att_store(dqkv + a.qkv0 + (i64)i * C3, dq, hs);
}

// dk_j = scale sum_i dS_ij q_i, dv_j = sum_i P_ij dy_i over queries i >= j. One thread per key row.
template <typename T, int TILE>
__device__ void attn_bwd_dkdv_impl(const T* qkv, const T* y, const T* lse, const T* dy, T* dqkv, int Tn, int H, int C,
                                   double scale) {
    __shared__ T Qs[TILE][ATT_HS_MAX];
    __shared__ T Gs[TILE][ATT_HS_MAX];
    __shared__ T Ls[TILE];
    __shared__ T Ds[TILE];
    const AttHead a = att_head(Tn, H, C);
    const int hs = a.hs, j0 = blockIdx.x * TILE, j = j0 + threadIdx.x;
    const i64 C3 = 3 * (i64)C;
    const bool live = j < Tn;
    const int jr = live ? j : 0;
    const T sc = (T)scale;
    T k[ATT_HS_MAX], v[ATT_HS_MAX], dk[ATT_HS_MAX], dv[ATT_HS_MAX];
    att_load(k, qkv + a.qkv0 + C + (i64)jr * C3, hs);
    att_load(v, qkv + a.qkv0 + 2 * C + (i64)jr * C3, hs);
    att_zero(dk);
    att_zero(dv);
    for (int i0 = j0; i0 < Tn; i0 += TILE) {   // query tiles at or after this key tile
        att_tile<T, TILE>(Qs, qkv + a.qkv0, C3, i0, Tn, hs);
        att_tile<T, TILE>(Gs, dy + a.y0, C, i0, Tn, hs);
        {
            const int r = threadIdx.x, i = i0 + r;
            T D = 0;
            if (i < Tn)
                for (int d = 0; d < hs; d++) D += dy[a.y0 + (i64)i * C + d] * y[a.y0 + (i64)i * C + d];
            Ds[r] = D;
            Ls[r] = i < Tn ? lse[a.stat0 + i] : (T)0;
        }
        __syncthreads();
        const int in = live ? att_min(TILE, Tn - i0) : 0;
        for (int ii = live ? att_max(0, j - i0) : 0; ii < in; ii++) {   // causal: queries i >= j
            T p = att_exp(sc * att_dot(Qs[ii], k, hs) - Ls[ii]);
            T ds = sc * p * (att_dot(Gs[ii], v, hs) - Ds[ii]);
            att_axpy(p, Gs[ii], dv, hs);
            att_axpy(ds, Qs[ii], dk, hs);
        }
        __syncthreads();
    }
    if (live) {
        att_store(dqkv + a.qkv0 + C + (i64)j * C3, dk, hs);
        att_store(dqkv + a.qkv0 + 2 * C + (i64)j * C3, dv, hs);
    }
}

// ---- tangents -----------------------------------------------------------------------------------------

// R{lse}_i = sum_j P_ij R{S}_ij,  R{y}_i = sum_j P_ij (R{S}_ij v_j + Rv_j) - R{lse}_i y_i. One thread per query row.
template <typename T, int TILE>
__device__ void attn_rfwd_impl(const T* qkv, const T* y, const T* lse, const T* rqkv, T* ry, T* rlse, int Tn, int H,
                               int C, double scale) {
    __shared__ T Ks[TILE][ATT_HS_MAX];
    __shared__ T Vs[TILE][ATT_HS_MAX];
    __shared__ T RKs[TILE][ATT_HS_MAX];
    __shared__ T RVs[TILE][ATT_HS_MAX];
    const AttHead a = att_head(Tn, H, C);
    const int hs = a.hs, i0 = blockIdx.x * TILE, i = i0 + threadIdx.x;
    const i64 C3 = 3 * (i64)C;
    const bool live = i < Tn;
    const int ir = live ? i : 0;
    const T sc = (T)scale;
    T q[ATT_HS_MAX], rq[ATT_HS_MAX], u[ATT_HS_MAX];
    att_load(q, qkv + a.qkv0 + (i64)ir * C3, hs);
    att_load(rq, rqkv + a.qkv0 + (i64)ir * C3, hs);
    att_zero(u);
    T rho = 0;
    const T L = lse[a.stat0 + ir];
    const int kend = att_min(Tn, i0 + TILE);
    for (int j0 = 0; j0 < kend; j0 += TILE) {
        att_tile<T, TILE>(Ks, qkv + a.qkv0 + C, C3, j0, Tn, hs);
        att_tile<T, TILE>(Vs, qkv + a.qkv0 + 2 * C, C3, j0, Tn, hs);
        att_tile<T, TILE>(RKs, rqkv + a.qkv0 + C, C3, j0, Tn, hs);
        att_tile<T, TILE>(RVs, rqkv + a.qkv0 + 2 * C, C3, j0, Tn, hs);
        __syncthreads();
        const int jn = live ? att_min(TILE, i - j0 + 1) : 0;
        for (int jj = 0; jj < jn; jj++) {
            T p = att_exp(sc * att_dot(q, Ks[jj], hs) - L);
            T rs = sc * (att_dot(rq, Ks[jj], hs) + att_dot(q, RKs[jj], hs));
            rho += p * rs;
            att_axpy(p * rs, Vs[jj], u, hs);
            att_axpy(p, RVs[jj], u, hs);
        }
        __syncthreads();
    }
    if (live) {
        const T* yi = y + a.y0 + (i64)i * C;
        T* ryi = ry + a.y0 + (i64)i * C;
        for (int d = 0; d < hs; d++) ryi[d] = u[d] - rho * yi[d];
        rlse[a.stat0 + i] = rho;
    }
}

// The per-pair terms shared by both R-backward passes (formulas in AttentionKernels):
// p, R{P}, scale*dS and scale*R{dS} for query row (q, rq, g = dy, rg = R{dy}; L, RL, D, RD) and key row (k, v, rk, rv).
template <typename T>
struct AttPair {
    T p, rp, ds, rds;
};

template <typename T>
__device__ __forceinline__ AttPair<T> att_pair(const T* q, const T* rq, const T* g, const T* rg, T L, T RL, T D, T RD,
                                               const T* k, const T* v, const T* rk, const T* rv, T sc, int hs) {
    AttPair<T> o;
    o.p = att_exp(sc * att_dot(q, k, hs) - L);
    o.rp = o.p * (sc * (att_dot(rq, k, hs) + att_dot(q, rk, hs)) - RL);
    T dp = att_dot(g, v, hs), rdp = att_dot(rg, v, hs) + att_dot(g, rv, hs);
    o.ds = sc * o.p * (dp - D);
    o.rds = sc * (o.rp * (dp - D) + o.p * (rdp - RD));
    return o;
}

// R{dq}_i = scale sum_j (R{dS}_ij k_j + dS_ij Rk_j). One thread per query row.
template <typename T, int TILE>
__device__ void attn_rbwd_dq_impl(const T* qkv, const T* y, const T* lse, const T* dy, const T* rqkv, const T* ry,
                                  const T* rlse, const T* rdy, T* rdqkv, int Tn, int H, int C, double scale) {
    __shared__ T Ks[TILE][ATT_HS_MAX];
    __shared__ T Vs[TILE][ATT_HS_MAX];
    __shared__ T RKs[TILE][ATT_HS_MAX];
    __shared__ T RVs[TILE][ATT_HS_MAX];
    const AttHead a = att_head(Tn, H, C);
    const int hs = a.hs, i0 = blockIdx.x * TILE, i = i0 + threadIdx.x;
    const i64 C3 = 3 * (i64)C;
    const bool live = i < Tn;
    const int ir = live ? i : 0;
    const T sc = (T)scale;
    T q[ATT_HS_MAX], rq[ATT_HS_MAX], g[ATT_HS_MAX], rg[ATT_HS_MAX], acc[ATT_HS_MAX];
    att_load(q, qkv + a.qkv0 + (i64)ir * C3, hs);
    att_load(rq, rqkv + a.qkv0 + (i64)ir * C3, hs);
    att_load(g, dy + a.y0 + (i64)ir * C, hs);
    att_load(rg, rdy + a.y0 + (i64)ir * C, hs);
    att_zero(acc);
    T D = 0, RD = 0;
    for (int d = 0; d < hs; d++) {
        i64 o = a.y0 + (i64)ir * C + d;
        D += dy[o] * y[o];
        RD += rdy[o] * y[o] + dy[o] * ry[o];
    }
    const T L = lse[a.stat0 + ir], RL = rlse[a.stat0 + ir];
    const int kend = att_min(Tn, i0 + TILE);
    for (int j0 = 0; j0 < kend; j0 += TILE) {
        att_tile<T, TILE>(Ks, qkv + a.qkv0 + C, C3, j0, Tn, hs);
        att_tile<T, TILE>(Vs, qkv + a.qkv0 + 2 * C, C3, j0, Tn, hs);
        att_tile<T, TILE>(RKs, rqkv + a.qkv0 + C, C3, j0, Tn, hs);
        att_tile<T, TILE>(RVs, rqkv + a.qkv0 + 2 * C, C3, j0, Tn, hs);
        __syncthreads();
        const int jn = live ? att_min(TILE, i - j0 + 1) : 0;
        for (int jj = 0; jj < jn; jj++) {
            AttPair<T> e = att_pair(q, rq, g, rg, L, RL, D, RD, Ks[jj], Vs[jj], RKs[jj], RVs[jj], sc, hs);
            att_axpy(e.rds, Ks[jj], acc, hs);
            att_axpy(e.ds, RKs[jj], acc, hs);
        }
        __syncthreads();
    }
    if (live) att_store(rdqkv + a.qkv0 + (i64)i * C3, acc, hs);
}

// R{dk}_j = scale sum_i (R{dS}_ij q_i + dS_ij Rq_i), R{dv}_j = sum_i (R{P}_ij dy_i + P_ij R{dy}_i). One thread per key row.
template <typename T, int TILE>
__device__ void attn_rbwd_dkdv_impl(const T* qkv, const T* y, const T* lse, const T* dy, const T* rqkv, const T* ry,
                                    const T* rlse, const T* rdy, T* rdqkv, int Tn, int H, int C, double scale) {
    __shared__ T Qs[TILE][ATT_HS_MAX];
    __shared__ T RQs[TILE][ATT_HS_MAX];
    __shared__ T Gs[TILE][ATT_HS_MAX];
    __shared__ T RGs[TILE][ATT_HS_MAX];
    __shared__ T Ls[TILE];
    __shared__ T RLs[TILE];
    __shared__ T Ds[TILE];
    __shared__ T RDs[TILE];
    const AttHead a = att_head(Tn, H, C);
    const int hs = a.hs, j0 = blockIdx.x * TILE, j = j0 + threadIdx.x;
    const i64 C3 = 3 * (i64)C;
    const bool live = j < Tn;
    const int jr = live ? j : 0;
    const T sc = (T)scale;
    T k[ATT_HS_MAX], v[ATT_HS_MAX], rk[ATT_HS_MAX], rv[ATT_HS_MAX], dk[ATT_HS_MAX], dv[ATT_HS_MAX];
    att_load(k, qkv + a.qkv0 + C + (i64)jr * C3, hs);
    att_load(v, qkv + a.qkv0 + 2 * C + (i64)jr * C3, hs);
    att_load(rk, rqkv + a.qkv0 + C + (i64)jr * C3, hs);
    att_load(rv, rqkv + a.qkv0 + 2 * C + (i64)jr * C3, hs);
    att_zero(dk);
    att_zero(dv);
    for (int i0 = j0; i0 < Tn; i0 += TILE) {
        att_tile<T, TILE>(Qs, qkv + a.qkv0, C3, i0, Tn, hs);
        att_tile<T, TILE>(RQs, rqkv + a.qkv0, C3, i0, Tn, hs);
        att_tile<T, TILE>(Gs, dy + a.y0, C, i0, Tn, hs);
        att_tile<T, TILE>(RGs, rdy + a.y0, C, i0, Tn, hs);
        {
            const int r = threadIdx.x, i = i0 + r;
            T D = 0, RD = 0;
            if (i < Tn) {
                for (int d = 0; d < hs; d++) {
                    i64 o = a.y0 + (i64)i * C + d;
                    D += dy[o] * y[o];
                    RD += rdy[o] * y[o] + dy[o] * ry[o];
                }
            }
            Ds[r] = D;
            RDs[r] = RD;
            Ls[r] = i < Tn ? lse[a.stat0 + i] : (T)0;
            RLs[r] = i < Tn ? rlse[a.stat0 + i] : (T)0;
        }
        __syncthreads();
        const int in = live ? att_min(TILE, Tn - i0) : 0;
        for (int ii = live ? att_max(0, j - i0) : 0; ii < in; ii++) {
            AttPair<T> e = att_pair(Qs[ii], RQs[ii], Gs[ii], RGs[ii], Ls[ii], RLs[ii], Ds[ii], RDs[ii], k, v, rk, rv, sc, hs);
            att_axpy(e.rds, Qs[ii], dk, hs);
            att_axpy(e.ds, RQs[ii], dk, hs);
            att_axpy(e.rp, Gs[ii], dv, hs);
            att_axpy(e.p, RGs[ii], dv, hs);
        }
        __syncthreads();
    }
    if (live) {
        att_store(rdqkv + a.qkv0 + C + (i64)j * C3, dk, hs);
        att_store(rdqkv + a.qkv0 + 2 * C + (i64)j * C3, dv, hs);
    }
}

// ---- entry points ---------------------------------------------------------------------------------------

extern "C" __global__ void attn_fwd_f32(const float* qkv, float* y, float* lse, int Tn, int H, int C, double scale) {
    attn_fwd_impl<float, ATT_TILE_F32>(qkv, y, lse, Tn, H, C, scale);
}
extern "C" __global__ void attn_fwd_f64(const double* qkv, double* y, double* lse, int Tn, int H, int C, double scale) {
    attn_fwd_impl<double, ATT_TILE_F64>(qkv, y, lse, Tn, H, C, scale);
}
extern "C" __global__ void attn_bwd_dq_f32(const float* qkv, const float* y, const float* lse, const float* dy, float* dqkv,
                                           int Tn, int H, int C, double scale) {
    attn_bwd_dq_impl<float, ATT_TILE_F32>(qkv, y, lse, dy, dqkv, Tn, H, C, scale);
}
extern "C" __global__ void attn_bwd_dq_f64(const double* qkv, const double* y, const double* lse, const double* dy,
                                           double* dqkv, int Tn, int H, int C, double scale) {
    attn_bwd_dq_impl<double, ATT_TILE_F64>(qkv, y, lse, dy, dqkv, Tn, H, C, scale);
}
extern "C" __global__ void attn_bwd_dkdv_f32(const float* qkv, const float* y, const float* lse, const float* dy,
                                             float* dqkv, int Tn, int H, int C, double scale) {
    attn_bwd_dkdv_impl<float, ATT_TILE_F32>(qkv, y, lse, dy, dqkv, Tn, H, C, scale);
}
extern "C" __global__ void attn_bwd_dkdv_f64(const double* qkv, const double* y, const double* lse, const double* dy,
                                             double* dqkv, int Tn, int H, int C, double scale) {
    attn_bwd_dkdv_impl<double, ATT_TILE_F64>(qkv, y, lse, dy, dqkv, Tn, H, C, scale);
}
extern "C" __global__ void attn_rfwd_f32(const float* qkv, const float* y, const float* lse, const float* rqkv, float* ry,
                                         float* rlse, int Tn, int H, int C, double scale) {
    attn_rfwd_impl<float, ATT_TILE_F32>(qkv, y, lse, rqkv, ry, rlse, Tn, H, C, scale);
}
extern "C" __global__ void attn_rfwd_f64(const double* qkv, const double* y, const double* lse, const double* rqkv,
                                         double* ry, double* rlse, int Tn, int H, int C, double scale) {
    attn_rfwd_impl<double, ATT_TILE_F64>(qkv, y, lse, rqkv, ry, rlse, Tn, H, C, scale);
}
extern "C" __global__ void attn_rbwd_dq_f32(const float* qkv, const float* y, const float* lse, const float* dy,
                                            const float* rqkv, const float* ry, const float* rlse, const float* rdy,
                                            float* rdqkv, int Tn, int H, int C, double scale) {
    attn_rbwd_dq_impl<float, ATT_TILE_F32>(qkv, y, lse, dy, rqkv, ry, rlse, rdy, rdqkv, Tn, H, C, scale);
}
extern "C" __global__ void attn_rbwd_dq_f64(const double* qkv, const double* y, const double* lse, const double* dy,
                                            const double* rqkv, const double* ry, const double* rlse, const double* rdy,
                                            double* rdqkv, int Tn, int H, int C, double scale) {
    attn_rbwd_dq_impl<double, ATT_TILE_F64>(qkv, y, lse, dy, rqkv, ry, rlse, rdy, rdqkv, Tn, H, C, scale);
}
extern "C" __global__ void attn_rbwd_dkdv_f32(const float* qkv, const float* y, const float* lse, const float* dy,
                                              const float* rqkv, const float* ry, const float* rlse, const float* rdy,
                                              float* rdqkv, int Tn, int H, int C, double scale) {
    attn_rbwd_dkdv_impl<float, ATT_TILE_F32>(qkv, y, lse, dy, rqkv, ry, rlse, rdy, rdqkv, Tn, H, C, scale);
}
extern "C" __global__ void attn_rbwd_dkdv_f64(const double* qkv, const double* y, const double* lse, const double* dy,
                                              const double* rqkv, const double* ry, const double* rlse, const double* rdy,
                                              double* rdqkv, int Tn, int H, int C, double scale) {
    attn_rbwd_dkdv_impl<double, ATT_TILE_F64>(qkv, y, lse, dy, rqkv, ry, rlse, rdy, rdqkv, Tn, H, C, scale);
}
