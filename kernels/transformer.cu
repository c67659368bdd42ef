// GPT-2 kernels (issue #6): token/position embeddings, LayerNorm and the causal softmax, each with
// its backward pass and tangent (R-op, Pearlmutter 1994). Included at the end of kernels/eoslab.cu
// (one translation unit: THREADS, i64, gtid, block_sum, nan_max and report_error come from there).
//
// Every kernel is the device twin of a method of eoslab.gpt.CpuTransformerKernels (the reference)
// and is checked against it by CudaTransformerKernelsTest and the transformer cases of CudaParity
// (`eoslab doctor`). Conventions, as in eoslab.cu:
//   - loads are widened to double and every row/column statistic is accumulated in double, as the
//     CPU reference does; results are rounded to T once, when stored;
//   - reductions use fixed trees whose shape depends only on the sizes (block_sum over THREADS,
//     fixed row chunks for the column sums): bit-reproducible run to run, no float atomics;
//   - the embedding backward adds in row order in T, exactly as the CPU does, so it is
//     bit-identical to the reference.
// Launch shapes are chosen in eoslab.backend.cuda.CudaTransformerKernels.
//
// Shapes: rows N = B·T, channels C, vocabulary V; score blocks (rows, T) with query position
// i = r mod T. Row kernels run one block of THREADS threads per row (grid-stride over rows):
// thread k takes columns k, k + THREADS, ... so every load of a row is coalesced.

#define ERR_TOKEN 5

// LayerNorm epsilon: PyTorch's default, as in GPT-2 (CpuTransformerKernels.LN_EPS).
#define LN_EPS 1e-5

// Two sums over the block with one tree (half the barriers of two block_sum calls); sh holds
// 2*THREADS doubles. Same fixed order as block_sum, so deterministic.
__device__ void block_sum2(double& a, double& b, double* sh) {
    int t = threadIdx.x;
    sh[t] = a;
    sh[THREADS + t] = b;
    __syncthreads();
    for (int s = THREADS / 2; s > 0; s >>= 1) {
        if (t < s) {
            sh[t] += sh[t + s];
            sh[THREADS + t] += sh[THREADS + t + s];
        }
        __syncthreads();
    }
    a = sh[0];
    b = sh[THREADS];
    __syncthreads();
}

// ---- embeddings ---------------------------------------------------------------------------------

// out[r, :] = wte[tokens[r], :] + wpe[r mod t, :], out (b*t, c). A token outside [0, v) is
// recorded (ERR_TOKEN) and its row left unwritten. One thread per output element.
template <typename T>
__device__ void embedding_forward_impl(const int* tokens, const T* wte, const T* wpe, T* out, int b, int t, int c,
                                       int v, int* err) {
    i64 total = (i64)b * t * c;
    for (i64 e = gtid(); e < total; e += gstride()) {
        i64 r = e / c;
        int i = (int)(e % c), id = tokens[r], pos = (int)(r % t);
        if (id < 0 || id >= v) {
            if (i == 0) report_error(err, ERR_TOKEN, id, v);
            continue;
        }
        out[e] = wte[(i64)id * c + i] + wpe[(i64)pos * c + i];
    }
}
extern "C" __global__ void embedding_forward_f32(const int* tokens, const float* wte, const float* wpe, float* out,
                                                 int b, int t, int c, int v, int* err) {
    embedding_forward_impl(tokens, wte, wpe, out, b, t, c, v, err);
}
extern "C" __global__ void embedding_forward_f64(const int* tokens, const double* wte, const double* wpe, double* out,
                                                 int b, int t, int c, int v, int* err) {
    embedding_forward_impl(tokens, wte, wpe, out, b, t, c, v, err);
}

// dwte[tokens[r], :] += dout[r, :] for r = 0, 1, ... in row order, without atomics: block
// (x, y) owns the vocabulary rows [x*EMB_VROWS, (x+1)*EMB_VROWS) and the columns
// [y*THREADS, (y+1)*THREADS), one column per thread. The block walks all n tokens in row order
// (staged THREADS at a time in shared memory) and adds the rows whose token it owns, so each
// element of dwte is updated by one thread, in row order, in T: bit-identical to the CPU.
// Tokens outside [0, v) match no block (embedding_forward reports them). Grid
// (ceil(v / EMB_VROWS), ceil(c / THREADS)).
#define EMB_VROWS 128
template <typename T>
__device__ void embedding_backward_wte_impl(const int* tokens, const T* dout, T* dwte, int n, int c, int v) {
    __shared__ int tok[THREADS];
    int v0 = blockIdx.x * EMB_VROWS, v1 = v0 + EMB_VROWS < v ? v0 + EMB_VROWS : v;
    int i = blockIdx.y * THREADS + threadIdx.x;
    for (int r0 = 0; r0 < n; r0 += THREADS) {
        int m = n - r0 < THREADS ? n - r0 : THREADS;
        if ((int)threadIdx.x < m) tok[threadIdx.x] = tokens[r0 + threadIdx.x];
        __syncthreads();
        if (i < c) {
            for (int q = 0; q < m; q++) {
                int id = tok[q];
                if (id >= v0 && id < v1) {
                    T* d = dwte + (i64)id * c + i;
                    *d = *d + dout[(i64)(r0 + q) * c + i];
                }
            }
        }
        __syncthreads();
    }
}
extern "C" __global__ void embedding_backward_wte_f32(const int* tokens, const float* dout, float* dwte, int n, int c,
                                                      int v) {
    embedding_backward_wte_impl(tokens, dout, dwte, n, c, v);
}
extern "C" __global__ void embedding_backward_wte_f64(const int* tokens, const double* dout, double* dwte, int n, int c,
                                                      int v) {
    embedding_backward_wte_impl(tokens, dout, dwte, n, c, v);
}

// dwpe[p, :] += dout[b*t + p, :] for b = 0, 1, ... in order, in T (bit-identical to the CPU).
// One thread per element of dwpe[0..t).
template <typename T>
__device__ void embedding_backward_wpe_impl(const T* dout, T* dwpe, int b, int t, int c) {
    i64 total = (i64)t * c, stride = (i64)t * c;
    for (i64 e = gtid(); e < total; e += gstride()) {
        T acc = dwpe[e];
        for (int s = 0; s < b; s++) acc = acc + dout[(i64)s * stride + e];
        dwpe[e] = acc;
    }
}
extern "C" __global__ void embedding_backward_wpe_f32(const float* dout, float* dwpe, int b, int t, int c) {
    embedding_backward_wpe_impl(dout, dwpe, b, t, c);
}
extern "C" __global__ void embedding_backward_wpe_f64(const double* dout, double* dwpe, int b, int t, int c) {
    embedding_backward_wpe_impl(dout, dwpe, b, t, c);
}

// ---- LayerNorm ----------------------------------------------------------------------------------

// y = g ⊙ x̂ + β, x̂ = (x − μ) r, r = 1/√(σ² + ε); two passes (mean, then centred variance) as on
// the CPU. x, y (rows, c); g, beta (c); mean, rstd (rows).
template <typename T>
__device__ void layernorm_forward_impl(const T* x, const T* g, const T* beta, T* y, T* mean, T* rstd, int rows, int c) {
    __shared__ double sh[THREADS];
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + (i64)r * c;
        T* yr = y + (i64)r * c;
        double s = 0;
        for (int i = threadIdx.x; i < c; i += THREADS) s += (double)xr[i];
        double mu = block_sum(s, sh) / c;
        double q = 0;
        for (int i = threadIdx.x; i < c; i += THREADS) {
            double d = (double)xr[i] - mu;
            q += d * d;
        }
        double rs = 1 / sqrt(block_sum(q, sh) / c + LN_EPS);
        for (int i = threadIdx.x; i < c; i += THREADS) {
            yr[i] = (T)((double)g[i] * ((double)xr[i] - mu) * rs + (double)beta[i]);
        }
        if (threadIdx.x == 0) {
            mean[r] = (T)mu;
            rstd[r] = (T)rs;
        }
    }
}
extern "C" __global__ void layernorm_forward_f32(const float* x, const float* g, const float* beta, float* y,
                                                 float* mean, float* rstd, int rows, int c) {
    layernorm_forward_impl(x, g, beta, y, mean, rstd, rows, c);
}
extern "C" __global__ void layernorm_forward_f64(const double* x, const double* g, const double* beta, double* y,
                                                 double* mean, double* rstd, int rows, int c) {
    layernorm_forward_impl(x, g, beta, y, mean, rstd, rows, c);
}

// dx += r (ĝ − mean(ĝ) − x̂ mean(ĝ ⊙ x̂)), ĝ = dy ⊙ g. The parameter gradients are column sums,
// done by layernorm_param_partial + colsum2_finish.
template <typename T>
__device__ void layernorm_backward_impl(const T* x, const T* mean, const T* rstd, const T* g, const T* dy, T* dx,
                                        int rows, int c) {
    __shared__ double sh[2 * THREADS];
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        i64 o = (i64)r * c;
        double mu = (double)mean[r], rs = (double)rstd[r], m1 = 0, m2 = 0;
        for (int i = threadIdx.x; i < c; i += THREADS) {
            double gh = (double)dy[o + i] * (double)g[i], xh = ((double)x[o + i] - mu) * rs;
            m1 += gh;
            m2 += gh * xh;
        }
        block_sum2(m1, m2, sh);
        m1 /= c;
        m2 /= c;
        for (int i = threadIdx.x; i < c; i += THREADS) {
            double gh = (double)dy[o + i] * (double)g[i], xh = ((double)x[o + i] - mu) * rs;
            dx[o + i] = (T)((double)dx[o + i] + rs * (gh - m1 - xh * m2));
        }
    }
}
extern "C" __global__ void layernorm_backward_f32(const float* x, const float* mean, const float* rstd, const float* g,
                                                  const float* dy, float* dx, int rows, int c) {
    layernorm_backward_impl(x, mean, rstd, g, dy, dx, rows, c);
}
extern "C" __global__ void layernorm_backward_f64(const double* x, const double* mean, const double* rstd,
                                                  const double* g, const double* dy, double* dx, int rows, int c) {
    layernorm_backward_impl(x, mean, rstd, g, dy, dx, rows, c);
}

// Column sums over rows, pass 1 (dg = Σ_r dy ⊙ x̂, dβ = Σ_r dy): block (CS_COLS, CS_LANES) takes
// CS_COLS columns and the row chunk [y*chunk, (y+1)*chunk); lane q sums rows q, q + CS_LANES, ...
// of the chunk in double, lane 0 adds the CS_LANES lane sums in order. partial is (2, gridDim.y, c):
// the dg sums, then the dβ sums. Grid (ceil(c / CS_COLS), chunks); the chunking is a function of
// rows only (CudaTransformerKernels.chunks), so the sums are reproducible.
#define CS_COLS 32
#define CS_LANES 8
template <typename T>
__device__ void layernorm_param_partial_impl(const T* x, const T* mean, const T* rstd, const T* dy, int rows, int c,
                                             int chunk, double* partial) {
    __shared__ double s1[CS_LANES][CS_COLS], s2[CS_LANES][CS_COLS];
    int tx = threadIdx.x, ty = threadIdx.y;
    int j = blockIdx.x * CS_COLS + tx;
    int r0 = blockIdx.y * chunk, r1 = r0 + chunk < rows ? r0 + chunk : rows;
    double a = 0, b = 0;
    if (j < c) {
        for (int r = r0 + ty; r < r1; r += CS_LANES) {
            i64 q = (i64)r * c + j;
            double d = (double)dy[q];
            a += d * ((double)x[q] - (double)mean[r]) * (double)rstd[r];
            b += d;
        }
    }
    s1[ty][tx] = a;
    s2[ty][tx] = b;
    __syncthreads();
    if (ty == 0 && j < c) {
        double u = 0, w = 0;
        for (int q = 0; q < CS_LANES; q++) {
            u += s1[q][tx];
            w += s2[q][tx];
        }
        partial[(i64)blockIdx.y * c + j] = u;
        partial[((i64)gridDim.y + blockIdx.y) * c + j] = w;
    }
}
extern "C" __global__ void layernorm_param_partial_f32(const float* x, const float* mean, const float* rstd,
                                                       const float* dy, int rows, int c, int chunk, double* partial) {
    layernorm_param_partial_impl(x, mean, rstd, dy, rows, c, chunk, partial);
}
extern "C" __global__ void layernorm_param_partial_f64(const double* x, const double* mean, const double* rstd,
                                                       const double* dy, int rows, int c, int chunk, double* partial) {
    layernorm_param_partial_impl(x, mean, rstd, dy, rows, c, chunk, partial);
}

// Column sums, pass 2: out1[j] += Σ_k partial[0, k, j], out2[j] += Σ_k partial[1, k, j], k in order.
template <typename T>
__device__ void colsum2_finish_impl(const double* partial, int chunks, int c, T* out1, T* out2) {
    for (i64 j = gtid(); j < c; j += gstride()) {
        double u = 0, w = 0;
        for (int k = 0; k < chunks; k++) {
            u += partial[(i64)k * c + j];
            w += partial[((i64)chunks + k) * c + j];
        }
        out1[j] = (T)((double)out1[j] + u);
        out2[j] = (T)((double)out2[j] + w);
    }
}
extern "C" __global__ void colsum2_finish_f32(const double* partial, int chunks, int c, float* out1, float* out2) {
    colsum2_finish_impl(partial, chunks, c, out1, out2);
}
extern "C" __global__ void colsum2_finish_f64(const double* partial, int chunks, int c, double* out1, double* out2) {
    colsum2_finish_impl(partial, chunks, c, out1, out2);
}

// Tangent of the forward pass along (Rx, V_g, V_β): Ry = V_g ⊙ x̂ + g ⊙ R{x̂} + V_β with
// R{x̂} = r (u − x̂ mean(x̂ ⊙ u)), u = Rx − mean(Rx).
template <typename T>
__device__ void layernorm_rforward_impl(const T* x, const T* mean, const T* rstd, const T* g, const T* vg,
                                        const T* vbeta, const T* rx, T* ry, int rows, int c) {
    __shared__ double sh[THREADS];
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        i64 o = (i64)r * c;
        double mu = (double)mean[r], rs = (double)rstd[r];
        double s = 0;
        for (int i = threadIdx.x; i < c; i += THREADS) s += (double)rx[o + i];
        double mrx = block_sum(s, sh) / c;
        double q = 0;
        for (int i = threadIdx.x; i < c; i += THREADS) q += ((double)x[o + i] - mu) * rs * ((double)rx[o + i] - mrx);
        double mxu = block_sum(q, sh) / c;
        for (int i = threadIdx.x; i < c; i += THREADS) {
            double xh = ((double)x[o + i] - mu) * rs;
            double rxh = rs * (((double)rx[o + i] - mrx) - xh * mxu);
            ry[o + i] = (T)((double)vg[i] * xh + (double)g[i] * rxh + (double)vbeta[i]);
        }
    }
}
extern "C" __global__ void layernorm_rforward_f32(const float* x, const float* mean, const float* rstd, const float* g,
                                                  const float* vg, const float* vbeta, const float* rx, float* ry,
                                                  int rows, int c) {
    layernorm_rforward_impl(x, mean, rstd, g, vg, vbeta, rx, ry, rows, c);
}
extern "C" __global__ void layernorm_rforward_f64(const double* x, const double* mean, const double* rstd,
                                                  const double* g, const double* vg, const double* vbeta,
                                                  const double* rx, double* ry, int rows, int c) {
    layernorm_rforward_impl(x, mean, rstd, g, vg, vbeta, rx, ry, rows, c);
}

// Tangent of the backward pass: R{dx} += R{r}(ĝ − m1 − x̂ m2) + r (R{ĝ} − R{m1} − R{x̂} m2 − x̂ R{m2})
// with R{r} = −r² mean(x̂ ⊙ u), R{ĝ} = R{dy} ⊙ g + dy ⊙ V_g. Also writes the row statistics of
// R{x̂}, rowstat = (mean(Rx) (rows), mean(x̂ ⊙ u) (rows)), for layernorm_rparam_partial.
template <typename T>
__device__ void layernorm_rbackward_impl(const T* x, const T* mean, const T* rstd, const T* g, const T* vg,
                                         const T* dy, const T* rx, const T* rdy, T* rdx, double* rowstat, int rows,
                                         int c) {
    __shared__ double sh[2 * THREADS];
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        i64 o = (i64)r * c;
        double mu = (double)mean[r], rs = (double)rstd[r];
        double s = 0;
        for (int i = threadIdx.x; i < c; i += THREADS) s += (double)rx[o + i];
        double mrx = block_sum(s, sh) / c;
        double q = 0;
        for (int i = threadIdx.x; i < c; i += THREADS) q += ((double)x[o + i] - mu) * rs * ((double)rx[o + i] - mrx);
        double mxu = block_sum(q, sh) / c;
        double rr = -rs * rs * mxu;
        double m1 = 0, m2 = 0, rm1 = 0, rm2 = 0;
        for (int i = threadIdx.x; i < c; i += THREADS) {
            double xh = ((double)x[o + i] - mu) * rs;
            double rxh = rs * (((double)rx[o + i] - mrx) - xh * mxu);
            double gh = (double)dy[o + i] * (double)g[i];
            double rgh = (double)rdy[o + i] * (double)g[i] + (double)dy[o + i] * (double)vg[i];
            m1 += gh;
            m2 += gh * xh;
            rm1 += rgh;
            rm2 += rgh * xh + gh * rxh;
        }
        block_sum2(m1, m2, sh);
        block_sum2(rm1, rm2, sh);
        m1 /= c;
        m2 /= c;
        rm1 /= c;
        rm2 /= c;
        for (int i = threadIdx.x; i < c; i += THREADS) {
            double xh = ((double)x[o + i] - mu) * rs;
            double rxh = rs * (((double)rx[o + i] - mrx) - xh * mxu);
            double gh = (double)dy[o + i] * (double)g[i];
            double rgh = (double)rdy[o + i] * (double)g[i] + (double)dy[o + i] * (double)vg[i];
            rdx[o + i] = (T)((double)rdx[o + i] + (rr * (gh - m1 - xh * m2) + rs * (rgh - rm1 - rxh * m2 - xh * rm2)));
        }
        if (threadIdx.x == 0) {
            rowstat[r] = mrx;
            rowstat[(i64)rows + r] = mxu;
        }
    }
}
extern "C" __global__ void layernorm_rbackward_f32(const float* x, const float* mean, const float* rstd, const float* g,
                                                   const float* vg, const float* dy, const float* rx, const float* rdy,
                                                   float* rdx, double* rowstat, int rows, int c) {
    layernorm_rbackward_impl(x, mean, rstd, g, vg, dy, rx, rdy, rdx, rowstat, rows, c);
}
extern "C" __global__ void layernorm_rbackward_f64(const double* x, const double* mean, const double* rstd,
                                                   const double* g, const double* vg, const double* dy,
                                                   const double* rx, const double* rdy, double* rdx, double* rowstat,
                                                   int rows, int c) {
    layernorm_rbackward_impl(x, mean, rstd, g, vg, dy, rx, rdy, rdx, rowstat, rows, c);
}

// Pass 1 of R{dg} = Σ_r (R{dy} ⊙ x̂ + dy ⊙ R{x̂}) and R{dβ} = Σ_r R{dy}: as layernorm_param_partial,
// with R{x̂} from rowstat (written by layernorm_rbackward for the same rows).
template <typename T>
__device__ void layernorm_rparam_partial_impl(const T* x, const T* mean, const T* rstd, const T* dy, const T* rx,
                                              const T* rdy, const double* rowstat, int rows, int c, int chunk,
                                              double* partial) {
    __shared__ double s1[CS_LANES][CS_COLS], s2[CS_LANES][CS_COLS];
    int tx = threadIdx.x, ty = threadIdx.y;
    int j = blockIdx.x * CS_COLS + tx;
    int r0 = blockIdx.y * chunk, r1 = r0 + chunk < rows ? r0 + chunk : rows;
    double a = 0, b = 0;
    if (j < c) {
        for (int r = r0 + ty; r < r1; r += CS_LANES) {
            i64 q = (i64)r * c + j;
            double rs = (double)rstd[r], xh = ((double)x[q] - (double)mean[r]) * rs;
            double rxh = rs * (((double)rx[q] - rowstat[r]) - xh * rowstat[(i64)rows + r]);
            a += (double)rdy[q] * xh + (double)dy[q] * rxh;
            b += (double)rdy[q];
        }
    }
    s1[ty][tx] = a;
    s2[ty][tx] = b;
    __syncthreads();
    if (ty == 0 && j < c) {
        double u = 0, w = 0;
        for (int q = 0; q < CS_LANES; q++) {
            u += s1[q][tx];
            w += s2[q][tx];
        }
        partial[(i64)blockIdx.y * c + j] = u;
        partial[((i64)gridDim.y + blockIdx.y) * c + j] = w;
    }
}
extern "C" __global__ void layernorm_rparam_partial_f32(const float* x, const float* mean, const float* rstd,
                                                        const float* dy, const float* rx, const float* rdy,
                                                        const double* rowstat, int rows, int c, int chunk,
                                                        double* partial) {
    layernorm_rparam_partial_impl(x, mean, rstd, dy, rx, rdy, rowstat, rows, c, chunk, partial);
}
extern "C" __global__ void layernorm_rparam_partial_f64(const double* x, const double* mean, const double* rstd,
                                                        const double* dy, const double* rx, const double* rdy,
                                                        const double* rowstat, int rows, int c, int chunk,
                                                        double* partial) {
    layernorm_rparam_partial_impl(x, mean, rstd, dy, rx, rdy, rowstat, rows, c, chunk, partial);
}

// ---- causal softmax -----------------------------------------------------------------------------

// P[r, j] = exp(S[r, j] − max) / Σ_{j' ≤ i} exp(S[r, j'] − max) for j ≤ i = r mod t, 0 for j > i
// (GPT-2's attn.bias mask). In place allowed (s == p): every thread reads and writes only its own
// columns, and all reads of a pass finish at the block reduction before the next pass. As on the
// CPU, P first holds exp(S − max) rounded to T, then is scaled by 1/Σ.
template <typename T>
__device__ void softmax_causal_forward_impl(const T* s, T* p, int rows, int t) {
    __shared__ double sh[THREADS];
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        i64 o = (i64)r * t;
        int last = r % t;
        double mx = -INFINITY;
        for (int j = threadIdx.x; j <= last; j += THREADS) mx = nan_max(mx, (double)s[o + j]);
        mx = block_max(mx, sh);
        double sum = 0;
        for (int j = threadIdx.x; j <= last; j += THREADS) {
            double e = exp((double)s[o + j] - mx);
            p[o + j] = (T)e;
            sum += e;
        }
        double inv = 1 / block_sum(sum, sh);
        for (int j = threadIdx.x; j < t; j += THREADS) p[o + j] = j <= last ? (T)((double)p[o + j] * inv) : (T)0;
    }
}
extern "C" __global__ void softmax_causal_forward_f32(const float* s, float* p, int rows, int t) {
    softmax_causal_forward_impl(s, p, rows, t);
}
extern "C" __global__ void softmax_causal_forward_f64(const double* s, double* p, int rows, int t) {
    softmax_causal_forward_impl(s, p, rows, t);
}

// out = P ⊙ (G − ⟨P, G⟩_row) on the causal part, 0 above it: the (symmetric) softmax Jacobian
// applied to G (backward pass with G = dP, forward tangent with G = R{S}).
template <typename T>
__device__ void softmax_jvp_impl(const T* p, const T* g, T* out, int rows, int t) {
    __shared__ double sh[THREADS];
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        i64 o = (i64)r * t;
        int last = r % t;
        double s = 0;
        for (int j = threadIdx.x; j <= last; j += THREADS) s += (double)p[o + j] * (double)g[o + j];
        s = block_sum(s, sh);
        for (int j = threadIdx.x; j < t; j += THREADS) {
            out[o + j] = j <= last ? (T)((double)p[o + j] * ((double)g[o + j] - s)) : (T)0;
        }
    }
}
extern "C" __global__ void softmax_jvp_f32(const float* p, const float* g, float* out, int rows, int t) {
    softmax_jvp_impl(p, g, out, rows, t);
}
extern "C" __global__ void softmax_jvp_f64(const double* p, const double* g, double* out, int rows, int t) {
    softmax_jvp_impl(p, g, out, rows, t);
}

// Tangent of the softmax backward: out = RP ⊙ (dP − ⟨P, dP⟩) + P ⊙ (R{dP} − ⟨RP, dP⟩ − ⟨P, R{dP}⟩).
template <typename T>
__device__ void softmax_jvp_r_impl(const T* p, const T* dp, const T* rp, const T* rdp, T* out, int rows, int t) {
    __shared__ double sh[2 * THREADS];
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        i64 o = (i64)r * t;
        int last = r % t;
        double s = 0, rs = 0;
        for (int j = threadIdx.x; j <= last; j += THREADS) {
            double pj = (double)p[o + j], dj = (double)dp[o + j];
            s += pj * dj;
            rs += (double)rp[o + j] * dj + pj * (double)rdp[o + j];
        }
        block_sum2(s, rs, sh);
        for (int j = threadIdx.x; j < t; j += THREADS) {
            out[o + j] = j <= last
                    ? (T)((double)rp[o + j] * ((double)dp[o + j] - s) + (double)p[o + j] * ((double)rdp[o + j] - rs))
                    : (T)0;
        }
    }
}
extern "C" __global__ void softmax_jvp_r_f32(const float* p, const float* dp, const float* rp, const float* rdp,
                                             float* out, int rows, int t) {
    softmax_jvp_r_impl(p, dp, rp, rdp, out, rows, t);
}
extern "C" __global__ void softmax_jvp_r_f64(const double* p, const double* dp, const double* rp, const double* rdp,
                                             double* out, int rows, int t) {
    softmax_jvp_r_impl(p, dp, rp, rdp, out, rows, t);
}
