// eoslab CUDA kernels: everything the Backend interface needs that cuBLAS does not do.
//
// Every kernel here is the device twin of a method of eoslab.backend.CpuBackend (the reference)
// and is checked against it by eoslab.backend.cuda.CudaParity (run by CudaBackendParityTest and
// by `eoslab doctor`). Semantics, argument order and rounding follow CpuBackend exactly:
//   - F32 elementwise arithmetic is done in float, in the same order as the Java code; the build
//     passes --fmad=false so a*x + b*y is not contracted into an FMA (Java never fuses);
//   - activations are evaluated in double and rounded once, like Act.f/df/d2f on the CPU;
//   - reductions accumulate in double with a fixed tree whose shape depends only on the sizes,
//     so results are bit-reproducible run to run (they differ from the CPU's sequential sums
//     only by float64 rounding).
// Kernels are extern "C" so CudaBackend finds them by these names with cuModuleGetFunction;
// the suffix names the element type. Launch shapes are chosen in CudaBackend (THREADS below
// must match CudaBackend.THREADS: block reductions assume exactly that power of two).
//
// Layout conventions (as in Backend.java): row-major, sizes in elements, k tangent blocks of
// n elements stored one after another, a batch stride of 0 shares one operand.

typedef long long i64;

#define THREADS 256

// Act.ordinal() in eoslab.backend.Act.
#define ACT_RELU 0
#define ACT_TANH 1
#define ACT_GELU 2
#define ACT_IDENTITY 3

// Error kinds written to err[0] (CudaBackend turns them into exceptions at the next sync).
#define ERR_GATHER_ROW 1
#define ERR_LABEL 2
#define ERR_GATHER_INDEX 3
#define ERR_SCATTER_INDEX 4

__device__ __forceinline__ i64 gtid() { return (i64)blockIdx.x * blockDim.x + threadIdx.x; }
__device__ __forceinline__ i64 gstride() { return (i64)gridDim.x * blockDim.x; }

// First error wins; err = {kind, value, bound}.
__device__ void report_error(int* err, int kind, int value, int bound) {
    if (atomicCAS(err, 0, kind) == 0) {
        err[1] = value;
        err[2] = bound;
    }
}

// ---- block reductions: fixed tree over THREADS doubles, deterministic ---------------------------

__device__ double block_sum(double v, double* sh) {
    int t = threadIdx.x;
    sh[t] = v;
    __syncthreads();
    for (int s = THREADS / 2; s > 0; s >>= 1) {
        if (t < s) sh[t] += sh[t + s];
        __syncthreads();
    }
    double r = sh[0];
    __syncthreads();
    return r;
}

// max that propagates NaN like Java's Math.max (fmax would drop it).
__device__ __forceinline__ double nan_max(double a, double b) {
    return (a != a || a > b) ? a : b;
}

__device__ double block_max(double v, double* sh) {
    int t = threadIdx.x;
    sh[t] = v;
    __syncthreads();
    for (int s = THREADS / 2; s > 0; s >>= 1) {
        if (t < s) sh[t] = nan_max(sh[t], sh[t + s]);
        __syncthreads();
    }
    double r = sh[0];
    __syncthreads();
    return r;
}

// ---- activations: the scalar reference is eoslab.backend.Act; same expressions, same order ------

// K = sqrt(2/pi) exactly as Java's Math.sqrt(2 / Math.PI) rounds it (checked by CudaKernelSourceTest).
#define GELU_K 0x1.9884533d43651p-1
#define GELU_A 0.044715

__device__ __forceinline__ double gelu_u(double x) { return GELU_K * (x + GELU_A * x * x * x); }
__device__ __forceinline__ double gelu_du(double x) { return GELU_K * (1 + 3 * GELU_A * x * x); }

__device__ double act_f(int act, double x) {
    switch (act) {
        case ACT_RELU: return x > 0 ? x : 0;
        case ACT_TANH: return tanh(x);
        case ACT_GELU: return 0.5 * x * (1 + tanh(gelu_u(x)));
        default: return x;
    }
}

__device__ double act_df(int act, double x) {
    switch (act) {
        case ACT_RELU: return x > 0 ? 1 : 0;
        case ACT_TANH: { double t = tanh(x); return 1 - t * t; }
        case ACT_GELU: {
            double t = tanh(gelu_u(x));
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * gelu_du(x);
        }
        default: return 1;
    }
}

__device__ double act_d2f(int act, double x) {
    switch (act) {
        case ACT_TANH: { double t = tanh(x); return -2 * t * (1 - t * t); }
        case ACT_GELU: {
            double t = tanh(gelu_u(x));
            double s = 1 - t * t;                 // sech^2 u
            double up = gelu_du(x);
            double upp = GELU_K * 6 * GELU_A * x; // u''
            return s * up + 0.5 * x * (-2 * t * s * up * up + s * upp);
        }
        default: return 0;                        // RELU (a.e.), IDENTITY
    }
}

// ---- memory -------------------------------------------------------------------------------------

template <typename T>
__device__ void fill_impl(T* x, i64 n, T v) {
    for (i64 i = gtid(); i < n; i += gstride()) x[i] = v;
}
extern "C" __global__ void fill_f32(float* x, i64 n, float v) { fill_impl(x, n, v); }
extern "C" __global__ void fill_f64(double* x, i64 n, double v) { fill_impl(x, n, v); }
extern "C" __global__ void fill_i32(int* x, i64 n, int v) { fill_impl(x, n, v); }

// dst = (float) src / (double) src, round to nearest like Java's casts.
extern "C" __global__ void convert_f32_f64(const float* src, double* dst, i64 n) {
    for (i64 i = gtid(); i < n; i += gstride()) dst[i] = (double)src[i];
}
extern "C" __global__ void convert_f64_f32(const double* src, float* dst, i64 n) {
    for (i64 i = gtid(); i < n; i += gstride()) dst[i] = __double2float_rn(src[i]);
}

// dst[r, :] = src[idx[r], :]; element type only matters by width (F32 and I32 share b32).
template <typename T>
__device__ void gather_rows_impl(const T* src, i64 srcRows, const int* idx, int rows, int cols, T* dst, int* err) {
    i64 total = (i64)rows * cols;
    for (i64 i = gtid(); i < total; i += gstride()) {
        int r = (int)(i / cols), c = (int)(i % cols);
        int s = idx[r];
        if (s < 0 || s >= srcRows) {
            if (c == 0) report_error(err, ERR_GATHER_ROW, s, (int)srcRows);
            continue;
        }
        dst[i] = src[(i64)s * cols + c];
    }
}
extern "C" __global__ void gather_rows_b32(const unsigned int* src, i64 srcRows, const int* idx, int rows, int cols,
                                           unsigned int* dst, int* err) {
    gather_rows_impl(src, srcRows, idx, rows, cols, dst, err);
}
extern "C" __global__ void gather_rows_b64(const unsigned long long* src, i64 srcRows, const int* idx, int rows, int cols,
                                           unsigned long long* dst, int* err) {
    gather_rows_impl(src, srcRows, idx, rows, cols, dst, err);
}

// ---- level 1 ------------------------------------------------------------------------------------

// y = a x + b y; b == 0 does not read y (so NaN/garbage in y is overwritten, as in CpuBackend).
template <typename T>
__device__ void axpby_impl(i64 n, T a, const T* x, T b, T* y) {
    if (b == (T)0) {
        for (i64 i = gtid(); i < n; i += gstride()) y[i] = a * x[i];
    } else {
        for (i64 i = gtid(); i < n; i += gstride()) y[i] = a * x[i] + b * y[i];
    }
}
extern "C" __global__ void axpby_f32(i64 n, float a, const float* x, float b, float* y) { axpby_impl(n, a, x, b, y); }
extern "C" __global__ void axpby_f64(i64 n, double a, const double* x, double b, double* y) { axpby_impl(n, a, x, b, y); }

template <typename T>
__device__ void mul_impl(i64 n, const T* x, const T* y, T* out) {
    for (i64 i = gtid(); i < n; i += gstride()) out[i] = x[i] * y[i];
}
extern "C" __global__ void mul_f32(i64 n, const float* x, const float* y, float* out) { mul_impl(n, x, y, out); }
extern "C" __global__ void mul_f64(i64 n, const double* x, const double* y, double* out) { mul_impl(n, x, y, out); }

// Pass 1 of x.y: each block writes one float64 partial sum (products of floats are exact in double).
// The grid size is a function of n only (CudaBackend.reductionBlocks), so the sum is reproducible.
template <typename T>
__device__ void dot_partial_impl(i64 n, const T* x, const T* y, double* partial) {
    __shared__ double sh[THREADS];
    double s = 0;
    for (i64 i = gtid(); i < n; i += gstride()) s += (double)x[i] * (double)y[i];
    s = block_sum(s, sh);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}
extern "C" __global__ void dot_partial_f32(i64 n, const float* x, const float* y, double* partial) {
    dot_partial_impl(n, x, y, partial);
}
extern "C" __global__ void dot_partial_f64(i64 n, const double* x, const double* y, double* partial) {
    dot_partial_impl(n, x, y, partial);
}

// Pass 1 of c_r = a_r . x for the rows of a (rows, d): block (b, r) does what dot_partial's block b
// does for a_r, and writes partial[r * gridDim.x + b]; sum_f64_rows then adds each row's partials
// as sum_f64 does, so c_r has the bits of dot(a_r, x).
template <typename T>
__device__ void dot_rows_partial_impl(i64 d, const T* a, const T* x, double* partial) {
    __shared__ double sh[THREADS];
    const T* ar = a + (i64)blockIdx.y * d;
    double s = 0;
    for (i64 i = gtid(); i < d; i += gstride()) s += (double)ar[i] * (double)x[i];
    s = block_sum(s, sh);
    if (threadIdx.x == 0) partial[(i64)blockIdx.y * gridDim.x + blockIdx.x] = s;
}
extern "C" __global__ void dot_rows_partial_f32(i64 d, const float* a, const float* x, double* partial) {
    dot_rows_partial_impl(d, a, x, partial);
}
extern "C" __global__ void dot_rows_partial_f64(i64 d, const double* a, const double* x, double* partial) {
    dot_rows_partial_impl(d, a, x, partial);
}
// out[r] = sum of x[r * n .. r * n + n), one block of THREADS threads per row r (sum_f64 row by row).
extern "C" __global__ void sum_f64_rows(const double* x, i64 n, double* out) {
    __shared__ double sh[THREADS];
    const double* xr = x + (i64)blockIdx.x * n;
    double s = 0;
    for (i64 i = threadIdx.x; i < n; i += THREADS) s += xr[i];
    s = block_sum(s, sh);
    if (threadIdx.x == 0) out[blockIdx.x] = s;
}

// Pass 2 (and the loss sums): out[0] = sum of x[0..n), one block of THREADS threads.
extern "C" __global__ void sum_f64(const double* x, i64 n, double* out) {
    __shared__ double sh[THREADS];
    double s = 0;
    for (i64 i = threadIdx.x; i < n; i += THREADS) s += x[i];
    s = block_sum(s, sh);
    if (threadIdx.x == 0) out[0] = s;
}

// ---- rows ---------------------------------------------------------------------------------------

// y_b[r, :] += bias_b, y (batch, rows, cols), bias_b = bias + b * biasStride (0 shares one bias).
template <typename T>
__device__ void add_bias_impl(const T* bias, i64 biasStride, T* y, int rows, int cols, int batch) {
    i64 per = (i64)rows * cols, total = per * batch;
    for (i64 i = gtid(); i < total; i += gstride()) {
        i64 b = i / per;
        int j = (int)(i % cols);
        y[i] += bias[b * biasStride + j];
    }
}
extern "C" __global__ void add_bias_f32(const float* bias, i64 biasStride, float* y, int rows, int cols, int batch) {
    add_bias_impl(bias, biasStride, y, rows, cols, batch);
}
extern "C" __global__ void add_bias_f64(const double* bias, i64 biasStride, double* y, int rows, int cols, int batch) {
    add_bias_impl(bias, biasStride, y, rows, cols, batch);
}

// out_b = sum_r x_b[r, :] + beta out_b, for x_b (rows, cols). Block (32, 8): 32 columns, 8 row
// lanes; lane q sums rows q, q+8, ... of its span in double, then lane 0 adds the 8 lane sums in
// order. One block per (column tile, batch) when rows <= SR_CHUNK (sum_rows); longer columns are
// cut into chunks of SR_CHUNK rows, one block each (sum_rows_partial, grid (tiles, chunks, batch)),
// whose float64 sums sum_rows_finish adds in chunk order: a 10,000-row bias gradient then keeps
// hundreds of blocks busy instead of 16, and the order, so the bits, depends only on the shape.
#define SR_COLS 32
#define SR_LANES 8
#define SR_CHUNK 256
template <typename T>
__device__ double sum_rows_span(const T* xb, int r0, int r1, int cols, int j) {
    __shared__ double sh[SR_LANES][SR_COLS];
    int tx = threadIdx.x, ty = threadIdx.y;
    double acc = 0;
    if (j < cols) {
        for (int r = r0 + ty; r < r1; r += SR_LANES) acc += (double)xb[(i64)r * cols + j];
    }
    sh[ty][tx] = acc;
    __syncthreads();
    double s = 0;
    if (ty == 0) {
        for (int q = 0; q < SR_LANES; q++) s += sh[q][tx];
    }
    return s;  // meaningful in lane 0 only
}
template <typename T>
__device__ void sum_rows_impl(const T* x, int rows, int cols, int batch, double beta, T* out, i64 outStride) {
    int j = blockIdx.x * SR_COLS + threadIdx.x;
    int b = blockIdx.y;
    double s = sum_rows_span(x + (i64)b * rows * cols, 0, rows, cols, j);
    if (threadIdx.y == 0 && j < cols) {
        T* o = out + (i64)b * outStride + j;
        *o = (T)(s + (beta == 0 ? 0 : beta * (double)*o));
    }
}
// partial[(b * chunks + c) * cols + j] = the sum of x_b[r, j] over chunk c's rows.
template <typename T>
__device__ void sum_rows_partial_impl(const T* x, int rows, int cols, double* partial) {
    int j = blockIdx.x * SR_COLS + threadIdx.x;
    int c = blockIdx.y, chunks = gridDim.y, b = blockIdx.z;
    int r0 = c * SR_CHUNK, r1 = rows - r0 < SR_CHUNK ? rows : r0 + SR_CHUNK;
    double s = sum_rows_span(x + (i64)b * rows * cols, r0, r1, cols, j);
    if (threadIdx.y == 0 && j < cols) partial[((i64)b * chunks + c) * cols + j] = s;
}
extern "C" __global__ void sum_rows_partial_f32(const float* x, int rows, int cols, double* partial) {
    sum_rows_partial_impl(x, rows, cols, partial);
}
extern "C" __global__ void sum_rows_partial_f64(const double* x, int rows, int cols, double* partial) {
    sum_rows_partial_impl(x, rows, cols, partial);
}
// out_b[j] = sum_c partial[b, c, j] (in chunk order) + beta out_b[j]; a thread per (b, j).
template <typename T>
__device__ void sum_rows_finish_impl(const double* partial, int chunks, int cols, int batch, double beta, T* out, i64 outStride) {
    i64 n = (i64)batch * cols;
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {
        i64 b = i / cols;
        int j = (int)(i - b * cols);
        const double* p = partial + b * chunks * cols + j;
        double s = 0;
        for (int c = 0; c < chunks; c++) s += p[(i64)c * cols];
        T* o = out + b * outStride + j;
        *o = (T)(s + (beta == 0 ? 0 : beta * (double)*o));
    }
}
extern "C" __global__ void sum_rows_finish_f32(const double* partial, int chunks, int cols, int batch, double beta, float* out, i64 outStride) {
    sum_rows_finish_impl(partial, chunks, cols, batch, beta, out, outStride);
}
extern "C" __global__ void sum_rows_finish_f64(const double* partial, int chunks, int cols, int batch, double beta, double* out, i64 outStride) {
    sum_rows_finish_impl(partial, chunks, cols, batch, beta, out, outStride);
}
extern "C" __global__ void sum_rows_f32(const float* x, int rows, int cols, int batch, double beta, float* out, i64 outStride) {
    sum_rows_impl(x, rows, cols, batch, beta, out, outStride);
}
extern "C" __global__ void sum_rows_f64(const double* x, int rows, int cols, int batch, double beta, double* out, i64 outStride) {
    sum_rows_impl(x, rows, cols, batch, beta, out, outStride);
}

// ---- convolutions and pooling (NCHW; an example is (C, H, W) flattened, as in Backend.java) -------
//
// Every output element is computed by one thread from its own inputs in a fixed order (a gather
// formulation): there are no atomics, so results are bit-reproducible, and the adjoint ops
// (col2im, scatter_indexed) add their contributions in the same order as CpuBackend, in T, so they
// are bit-identical to it (two floats added in double and rounded once equal their float sum).

// cols (n, C*kh*kw, Ho*Wo): row (c*kh + i)*kw + j, column oh*Wo + ow holds
// x[c, oh*stride - pad + i, ow*stride - pad + j], zero outside the image. One thread per entry of cols.
template <typename T>
__device__ void im2col_impl(const T* x, int n, int channels, int height, int width, int kh, int kw, int stride,
                            int pad, T* cols) {
    int ho = (height + 2 * pad - kh) / stride + 1, wo = (width + 2 * pad - kw) / stride + 1;
    i64 p = (i64)ho * wo, ck = (i64)channels * kh * kw, total = (i64)n * ck * p;
    for (i64 e = gtid(); e < total; e += gstride()) {
        i64 col = e % p, rowAll = e / p;            // rowAll = b*ck + row
        int row = (int)(rowAll % ck);
        i64 b = rowAll / ck;
        int j = row % kw, i = (row / kw) % kh, c = row / (kw * kh);
        int oh = (int)(col / wo), ow = (int)(col % wo);
        int ih = oh * stride - pad + i, iw = ow * stride - pad + j;
        cols[e] = (ih >= 0 && ih < height && iw >= 0 && iw < width)
                ? x[((b * channels + c) * height + ih) * width + iw] : (T)0;
    }
}
extern "C" __global__ void im2col_f32(const float* x, int n, int channels, int height, int width, int kh, int kw,
                                      int stride, int pad, float* cols) {
    im2col_impl(x, n, channels, height, width, kh, kw, stride, pad, cols);
}
extern "C" __global__ void im2col_f64(const double* x, int n, int channels, int height, int width, int kh, int kw,
                                      int stride, int pad, double* cols) {
    im2col_impl(x, n, channels, height, width, kh, kw, stride, pad, cols);
}

// The adjoint of im2col, as a gather: one thread per pixel x[b, c, ih, iw] sums, for i < kh then
// j < kw (CpuBackend's order), the one entry of cols that patch offset (i, j) took from this pixel,
// if any: oh = (ih + pad - i) / stride when that divides exactly and 0 <= oh < Ho (same for ow).
template <typename T>
__device__ void col2im_impl(const T* cols, int n, int channels, int height, int width, int kh, int kw, int stride,
                            int pad, T* x) {
    int ho = (height + 2 * pad - kh) / stride + 1, wo = (width + 2 * pad - kw) / stride + 1;
    i64 p = (i64)ho * wo, ck = (i64)channels * kh * kw, plane = (i64)height * width;
    i64 total = (i64)n * channels * plane;
    for (i64 e = gtid(); e < total; e += gstride()) {
        int iw = (int)(e % width), ih = (int)((e / width) % height);
        i64 bc = e / plane;                          // b*channels + c
        int c = (int)(bc % channels);
        i64 b = bc / channels;
        const T* cb = cols + b * ck * p;
        T acc = 0;
        for (int i = 0; i < kh; i++) {
            int th = ih + pad - i;
            if (th < 0 || th % stride != 0 || th / stride >= ho) continue;
            int oh = th / stride;
            for (int j = 0; j < kw; j++) {
                int tw = iw + pad - j;
                if (tw < 0 || tw % stride != 0 || tw / stride >= wo) continue;
                int ow = tw / stride;
                acc += cb[((i64)(c * kh + i) * kw + j) * p + (i64)oh * wo + ow];
            }
        }
        x[e] = acc;
    }
}
extern "C" __global__ void col2im_f32(const float* cols, int n, int channels, int height, int width, int kh, int kw,
                                      int stride, int pad, float* x) {
    col2im_impl(cols, n, channels, height, width, kh, kw, stride, pad, x);
}
extern "C" __global__ void col2im_f64(const double* cols, int n, int channels, int height, int width, int kh, int kw,
                                      int stride, int pad, double* x) {
    col2im_impl(cols, n, channels, height, width, kh, kw, stride, pad, x);
}

// y_b[i, c, s] += bias_b[c], y (batch, n, channels, spatial), bias_b = bias + b * biasStride.
template <typename T>
__device__ void add_channel_bias_impl(const T* bias, i64 biasStride, T* y, int n, int channels, int spatial, int batch) {
    i64 per = (i64)n * channels * spatial, total = per * batch;
    for (i64 e = gtid(); e < total; e += gstride()) {
        i64 b = e / per;
        int c = (int)((e / spatial) % channels);
        y[e] += bias[b * biasStride + c];
    }
}
extern "C" __global__ void add_channel_bias_f32(const float* bias, i64 biasStride, float* y, int n, int channels,
                                                int spatial, int batch) {
    add_channel_bias_impl(bias, biasStride, y, n, channels, spatial, batch);
}
extern "C" __global__ void add_channel_bias_f64(const double* bias, i64 biasStride, double* y, int n, int channels,
                                                int spatial, int batch) {
    add_channel_bias_impl(bias, biasStride, y, n, channels, spatial, batch);
}

// out_b[c] = sum_{i,s} x_b[i, c, s] + beta out_b[c]: one block per (b, c), float64 accumulation over
// the n*spatial terms (thread t takes terms t, t + THREADS, ...), then the fixed block_sum tree.
template <typename T>
__device__ void sum_channels_impl(const T* x, int n, int channels, int spatial, int batch, double beta, T* out,
                                  i64 outStride) {
    __shared__ double sh[THREADS];
    i64 blocks = (i64)batch * channels, terms = (i64)n * spatial;
    for (i64 bc = blockIdx.x; bc < blocks; bc += gridDim.x) {
        i64 b = bc / channels;
        int c = (int)(bc % channels);
        const T* xb = x + b * n * channels * spatial;
        double s = 0;
        for (i64 q = threadIdx.x; q < terms; q += THREADS) {
            i64 i = q / spatial, sp = q % spatial;
            s += (double)xb[(i * channels + c) * spatial + sp];
        }
        s = block_sum(s, sh);
        if (threadIdx.x == 0) {
            T* o = out + b * outStride + c;
            *o = (T)(beta == 0 ? s : s + beta * (double)*o);
        }
    }
}
extern "C" __global__ void sum_channels_f32(const float* x, int n, int channels, int spatial, int batch, double beta,
                                            float* out, i64 outStride) {
    sum_channels_impl(x, n, channels, spatial, batch, beta, out, outStride);
}
extern "C" __global__ void sum_channels_f64(const double* x, int n, int channels, int spatial, int batch, double beta,
                                            double* out, i64 outStride) {
    sum_channels_impl(x, n, channels, spatial, batch, beta, out, outStride);
}

// Max pooling over size x size windows, stride size: one thread per output (b, c, oh, ow) scans its
// window in row-major order; the first maximum wins ties and a NaN wins (CpuBackend.maxPool2d).
// argmax = c*H*W + the winner's offset in its plane. y or argmax may be NULL.
template <typename T>
__device__ void max_pool2d_impl(const T* x, int n, int channels, int height, int width, int size, T* y, int* argmax) {
    int ho = height / size, wo = width / size;
    i64 plane = (i64)height * width, total = (i64)n * channels * ho * wo;
    for (i64 e = gtid(); e < total; e += gstride()) {
        int ow = (int)(e % wo), oh = (int)((e / wo) % ho);
        i64 bc = e / ((i64)ho * wo);
        int c = (int)(bc % channels);
        const T* src = x + bc * plane;
        int best = -1;
        double mx = -INFINITY;
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < size; j++) {
                int q = (oh * size + i) * width + ow * size + j;
                double v = (double)src[q];
                if (best < 0 || v > mx || (v != v && mx == mx)) {
                    mx = v;
                    best = q;
                }
            }
        }
        if (y != NULL) y[e] = (T)mx;
        if (argmax != NULL) argmax[e] = (int)(c * plane) + best;
    }
}
extern "C" __global__ void max_pool2d_f32(const float* x, int n, int channels, int height, int width, int size,
                                          float* y, int* argmax) {
    max_pool2d_impl(x, n, channels, height, width, size, y, argmax);
}
extern "C" __global__ void max_pool2d_f64(const double* x, int n, int channels, int height, int width, int size,
                                          double* y, int* argmax) {
    max_pool2d_impl(x, n, channels, height, width, size, y, argmax);
}

// dst_b[r, c] = src_b[r, idx[r, c]]; one thread per entry of dst (batch, rows, idxCols).
template <typename T>
__device__ void gather_indexed_impl(const T* src, int srcCols, const int* idx, int rows, int idxCols, T* dst, int batch,
                                    int* err) {
    i64 per = (i64)rows * idxCols, total = per * batch;
    for (i64 e = gtid(); e < total; e += gstride()) {
        i64 rc = e % per, b = e / per;
        i64 r = rc / idxCols;
        int q = idx[rc];
        if (q < 0 || q >= srcCols) {
            report_error(err, ERR_GATHER_INDEX, q, srcCols);
            continue;
        }
        dst[e] = src[(b * rows + r) * srcCols + q];
    }
}
extern "C" __global__ void gather_indexed_f32(const float* src, int srcCols, const int* idx, int rows, int idxCols,
                                              float* dst, int batch, int* err) {
    gather_indexed_impl(src, srcCols, idx, rows, idxCols, dst, batch, err);
}
extern "C" __global__ void gather_indexed_f64(const double* src, int srcCols, const int* idx, int rows, int idxCols,
                                              double* dst, int batch, int* err) {
    gather_indexed_impl(src, srcCols, idx, rows, idxCols, dst, batch, err);
}

// The adjoint of gather_indexed: dst_b[r, :] = 0, then dst_b[r, idx[r, c]] += src_b[r, c] in order
// of c. Gather formulation without atomics: thread (b, r, t) owns the columns [t*tile, (t+1)*tile)
// of dst_b's row r, zeroes them, then scans the row's idxCols indices in order and adds the
// entries that land in its columns, so repeated indices add up in c order, as on the CPU. Each
// thread reads the whole index row: the work is tiles * idxCols per row, and CudaBackend picks
// tiles (>= 1) only to give the GPU enough threads when batch * rows is small.
template <typename T>
__device__ void scatter_indexed_impl(const T* src, const int* idx, int rows, int idxCols, T* dst, int dstCols,
                                     int batch, int tiles, int* err) {
    int tile = (dstCols + tiles - 1) / tiles;
    i64 total = (i64)batch * rows * tiles;
    for (i64 e = gtid(); e < total; e += gstride()) {
        int t = (int)(e % tiles);
        i64 br = e / tiles;                          // b*rows + r
        i64 r = br % rows;
        int lo = t * tile, hi = lo + tile < dstCols ? lo + tile : dstCols;
        T* d = dst + br * dstCols;
        const T* s = src + br * idxCols;
        const int* ix = idx + r * idxCols;
        for (int q = lo; q < hi; q++) d[q] = (T)0;
        for (int c = 0; c < idxCols; c++) {
            int q = ix[c];
            if (q >= lo && q < hi) d[q] += s[c];
            else if ((q < 0 || q >= dstCols) && t == 0) report_error(err, ERR_SCATTER_INDEX, q, dstCols);
        }
    }
}
extern "C" __global__ void scatter_indexed_f32(const float* src, const int* idx, int rows, int idxCols, float* dst,
                                               int dstCols, int batch, int tiles, int* err) {
    scatter_indexed_impl(src, idx, rows, idxCols, dst, dstCols, batch, tiles, err);
}
extern "C" __global__ void scatter_indexed_f64(const double* src, const int* idx, int rows, int idxCols, double* dst,
                                               int dstCols, int batch, int tiles, int* err) {
    scatter_indexed_impl(src, idx, rows, idxCols, dst, dstCols, batch, tiles, err);
}

// ---- activations --------------------------------------------------------------------------------

extern "C" __global__ void activation_f32(int act, i64 n, const float* x, float* y) {
    for (i64 i = gtid(); i < n; i += gstride()) {
        float v = x[i];
        y[i] = act == ACT_RELU ? (v > 0 ? v : 0.0f) : (float)act_f(act, (double)v);
    }
}
extern "C" __global__ void activation_f64(int act, i64 n, const double* x, double* y) {
    for (i64 i = gtid(); i < n; i += gstride()) y[i] = act_f(act, x[i]);
}

// out_j = sigma'(x) * g_j for the k blocks of n elements of g and out; x is read once per element.
extern "C" __global__ void activation_backward_f32(int act, i64 n, int k, const float* x, const float* g, float* out) {
    for (i64 i = gtid(); i < n; i += gstride()) {
        float xv = x[i];
        float d = act == ACT_RELU ? (xv > 0 ? 1.0f : 0.0f) : (float)act_df(act, (double)xv);
        for (int j = 0; j < k; j++) out[(i64)j * n + i] = d * g[(i64)j * n + i];
    }
}
extern "C" __global__ void activation_backward_f64(int act, i64 n, int k, const double* x, const double* g, double* out) {
    for (i64 i = gtid(); i < n; i += gstride()) {
        double d = act_df(act, x[i]);
        for (int j = 0; j < k; j++) out[(i64)j * n + i] = d * g[(i64)j * n + i];
    }
}

// R-op of the backward pass (Pearlmutter 1994): out_j = sigma''(x) dy Rx_j + sigma'(x) Rdy_j.
extern "C" __global__ void activation_rbackward_f32(int act, i64 n, int k, const float* x, const float* dy,
                                                    const float* rx, const float* rdy, float* out) {
    for (i64 i = gtid(); i < n; i += gstride()) {
        double xv = x[i];
        float d1 = (float)act_df(act, xv);
        float d2dy = (float)(act_d2f(act, xv) * (double)dy[i]);
        for (int j = 0; j < k; j++) {
            i64 q = (i64)j * n + i;
            out[q] = d2dy * rx[q] + d1 * rdy[q];
        }
    }
}
extern "C" __global__ void activation_rbackward_f64(int act, i64 n, int k, const double* x, const double* dy,
                                                    const double* rx, const double* rdy, double* out) {
    for (i64 i = gtid(); i < n; i += gstride()) {
        double xv = x[i];
        double d1 = act_df(act, xv), d2dy = act_d2f(act, xv) * dy[i];
        for (int j = 0; j < k; j++) {
            i64 q = (i64)j * n + i;
            out[q] = d2dy * rx[q] + d1 * rdy[q];
        }
    }
}

// ---- losses -------------------------------------------------------------------------------------

// Softmax cross-entropy, one block per row of logits (rows, classes), all arithmetic in double:
// probs = softmax(z), dlogits = scale (p - onehot(y)), losses[r] = logsumexp(z) - z_y (float64,
// summed afterwards by sum_f64), rowLoss[r] = the same rounded to T when rowLoss != NULL.
template <typename T>
__device__ void softmax_ce_impl(const T* logits, const int* labels, int rows, int classes, double scale,
                                T* probs, T* dlogits, T* rowLoss, double* losses, int* err) {
    __shared__ double sh[THREADS];
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* z = logits + (i64)r * classes;
        double mx = -INFINITY;
        for (int c = threadIdx.x; c < classes; c += THREADS) mx = nan_max(mx, (double)z[c]);
        mx = block_max(mx, sh);
        double s = 0;
        for (int c = threadIdx.x; c < classes; c += THREADS) s += exp((double)z[c] - mx);
        s = block_sum(s, sh);
        int y = labels[r];
        bool bad = y < 0 || y >= classes;
        if (bad && threadIdx.x == 0) report_error(err, ERR_LABEL, y, classes);
        double loss = bad ? (double)NAN : (log(s) + mx) - (double)z[y];
        __syncthreads();   // every read of z[y] is done before probs (which may alias logits) is written
        for (int c = threadIdx.x; c < classes; c += THREADS) {
            double p = exp((double)z[c] - mx) / s;
            i64 q = (i64)r * classes + c;
            probs[q] = (T)p;
            dlogits[q] = (T)(scale * (p - (c == y ? 1 : 0)));
        }
        if (threadIdx.x == 0) {
            losses[r] = loss;
            if (rowLoss != NULL) rowLoss[r] = (T)loss;
        }
    }
}
extern "C" __global__ void softmax_ce_f32(const float* logits, const int* labels, int rows, int classes, double scale,
                                          float* probs, float* dlogits, float* rowLoss, double* losses, int* err) {
    softmax_ce_impl(logits, labels, rows, classes, scale, probs, dlogits, rowLoss, losses, err);
}
extern "C" __global__ void softmax_ce_f64(const double* logits, const int* labels, int rows, int classes, double scale,
                                          double* probs, double* dlogits, double* rowLoss, double* losses, int* err) {
    softmax_ce_impl(logits, labels, rows, classes, scale, probs, dlogits, rowLoss, losses, err);
}

// R-op of the CE gradient: out_j = scale p (Rz_j - <p, Rz_j>_row); one block per (tangent j, row r).
// out must not alias probs: block (j, r) writes out_j[r] while every block (j', r) reads probs[r].
template <typename T>
__device__ void softmax_ce_r_impl(const T* probs, const T* rlogits, int rows, int classes, int k, double scale, T* out) {
    __shared__ double sh[THREADS];
    i64 blocks = (i64)rows * k;
    for (i64 bi = blockIdx.x; bi < blocks; bi += gridDim.x) {
        int j = (int)(bi / rows), r = (int)(bi % rows);
        const T* p = probs + (i64)r * classes;
        i64 tb = (i64)j * rows * classes + (i64)r * classes;
        double pr = 0;
        for (int c = threadIdx.x; c < classes; c += THREADS) pr += (double)p[c] * (double)rlogits[tb + c];
        pr = block_sum(pr, sh);
        for (int c = threadIdx.x; c < classes; c += THREADS) {
            out[tb + c] = (T)(scale * (double)p[c] * ((double)rlogits[tb + c] - pr));
        }
    }
}
extern "C" __global__ void softmax_ce_r_f32(const float* probs, const float* rlogits, int rows, int classes, int k,
                                            double scale, float* out) {
    softmax_ce_r_impl(probs, rlogits, rows, classes, k, scale, out);
}
extern "C" __global__ void softmax_ce_r_f64(const double* probs, const double* rlogits, int rows, int classes, int k,
                                            double scale, double* out) {
    softmax_ce_r_impl(probs, rlogits, rows, classes, k, scale, out);
}

// Squared error, one block per row: e = out - target (double), dout = scale e,
// losses[r] = 1/2 |e|^2 (float64), rowLoss[r] = the same rounded to T when rowLoss != NULL.
template <typename T>
__device__ void mse_impl(const T* out, const T* target, int rows, int cols, double scale, T* dout, T* rowLoss,
                         double* losses) {
    __shared__ double sh[THREADS];
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        double s = 0;
        for (int c = threadIdx.x; c < cols; c += THREADS) {
            i64 q = (i64)r * cols + c;
            double e = (double)out[q] - (double)target[q];
            s += e * e;
            dout[q] = (T)(scale * e);
        }
        s = block_sum(s, sh);
        if (threadIdx.x == 0) {
            losses[r] = 0.5 * s;
            if (rowLoss != NULL) rowLoss[r] = (T)(0.5 * s);
        }
    }
}
extern "C" __global__ void mse_f32(const float* out, const float* target, int rows, int cols, double scale, float* dout,
                                   float* rowLoss, double* losses) {
    mse_impl(out, target, rows, cols, scale, dout, rowLoss, losses);
}
extern "C" __global__ void mse_f64(const double* out, const double* target, int rows, int cols, double scale,
                                   double* dout, double* rowLoss, double* losses) {
    mse_impl(out, target, rows, cols, scale, dout, rowLoss, losses);
}

// GPT-2 kernels (issue #6): embeddings, LayerNorm, causal softmax and their backward/tangent passes.
#include "transformer.cu"
// AdamW update and tangent map (optim/AdamW.java).
#include "optim.cu"
// Float64 Gram matrix of k tall vectors in one pass (CholeskyQR2, Backend.gram).
#include "gram.cu"
// Fused causal self-attention (issue #6): forward, backward and R-ops.
#include "attention.cu"
