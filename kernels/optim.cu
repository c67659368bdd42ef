// Optimizer steps on the device (issue #6): AdamW's fused state update and its tangent map, so the
// state (w, m, v), the gradient and the HVPs never leave the GPU. Included at the end of
// kernels/eoslab.cu (uses its i64, gtid, gstride). Device twins of CpuBackend.adamwUpdate /
// adamwTangents; the scalar reference is eoslab.backend.AdamWCoefficients, whose expressions are
// written here in the same order. All arithmetic is float64 for both dtypes, rounded once on
// store; float64 division and sqrt are IEEE round-to-nearest on the GPU and the build passes
// --fmad=false, so the results are the CPU's bits.
//
// Coefficients (AdamWCoefficients): lr = η, wd = λ, c1 = 1 − β₁ˢ, c2 = 1 − β₂ˢ.

__device__ __forceinline__ double adamw_m(double beta1, double m, double g) { return beta1 * m + (1 - beta1) * g; }
__device__ __forceinline__ double adamw_v(double beta2, double v, double g) { return beta2 * v + (1 - beta2) * g * g; }

// m' = β₁ m + (1 − β₁) g,  v' = β₂ v + (1 − β₂) g²,  p = √(v'/c₂) + ε,  w' = (1 − ηλ) w − η (m'/c₁) / p.
// w, m, v, g: (n).
template <typename T>
__device__ void adamw_update_impl(i64 n, T* w, T* m, T* v, const T* g, double lr, double beta1, double beta2,
                                  double eps, double wd, double c1, double c2) {
    for (i64 i = gtid(); i < n; i += gstride()) {
        double gi = (double)g[i];
        double mi = adamw_m(beta1, (double)m[i], gi), vi = adamw_v(beta2, (double)v[i], gi);
        double p = sqrt(vi / c2) + eps;
        w[i] = (T)((1 - lr * wd) * (double)w[i] - lr * (mi / c1) / p);
        m[i] = (T)mi;
        v[i] = (T)vi;
    }
}
extern "C" __global__ void adamw_update_f32(i64 n, float* w, float* m, float* v, const float* g, double lr, double beta1,
                                            double beta2, double eps, double wd, double c1, double c2) {
    adamw_update_impl(n, w, m, v, g, lr, beta1, beta2, eps, wd, c1, c2);
}
extern "C" __global__ void adamw_update_f64(i64 n, double* w, double* m, double* v, const double* g, double lr,
                                            double beta1, double beta2, double eps, double wd, double c1, double c2) {
    adamw_update_impl(n, w, m, v, g, lr, beta1, beta2, eps, wd, c1, c2);
}

// The tangent map at the pre-step state, in place on k tangents x (k, 3n), each (δw, δm, δv);
// g (n) the gradient, hv (k, n) = H δw_j, m, v (n) the pre-step moments (m', v' recomputed here):
//   δm' = β₁ δm + (1 − β₁) H δw,   δv' = β₂ δv + 2(1 − β₂) g H δw,
//   δw' = (1 − ηλ) δw − η δm'/(c₁ p) + η (m'/c₁) δv'/(2 c₂ √v̂ p²)   (last term only if !freeze and v̂ > 0).
// One thread per parameter i, looping over the k tangents: m', v', √v̂ and p are formed once.
template <typename T>
__device__ void adamw_tangents_impl(i64 n, int k, T* x, const T* g, const T* hv, const T* m, const T* v, double lr,
                                    double beta1, double beta2, double eps, double wd, double c1, double c2, int freeze) {
    for (i64 i = gtid(); i < n; i += gstride()) {
        double gi = (double)g[i];
        double mi = adamw_m(beta1, (double)m[i], gi), vi = adamw_v(beta2, (double)v[i], gi);
        double sq = sqrt(vi / c2), p = sq + eps;
        for (int j = 0; j < k; j++) {
            T* xw = x + 3 * n * (i64)j;
            T* xm = xw + n;
            T* xv = xm + n;
            double hdw = (double)hv[n * (i64)j + i];
            double dm = beta1 * (double)xm[i] + (1 - beta1) * hdw;
            double dv = beta2 * (double)xv[i] + 2 * (1 - beta2) * gi * hdw;
            double dw = (1 - lr * wd) * (double)xw[i] - lr * dm / (c1 * p);
            if (!freeze && sq > 0) dw += lr * (mi / c1) * dv / (2 * c2 * sq * p * p);
            xw[i] = (T)dw;
            xm[i] = (T)dm;
            xv[i] = (T)dv;
        }
    }
}
extern "C" __global__ void adamw_tangents_f32(i64 n, int k, float* x, const float* g, const float* hv, const float* m,
                                              const float* v, double lr, double beta1, double beta2, double eps,
                                              double wd, double c1, double c2, int freeze) {
    adamw_tangents_impl(n, k, x, g, hv, m, v, lr, beta1, beta2, eps, wd, c1, c2, freeze);
}
extern "C" __global__ void adamw_tangents_f64(i64 n, int k, double* x, const double* g, const double* hv,
                                              const double* m, const double* v, double lr, double beta1, double beta2,
                                              double eps, double wd, double c1, double c2, int freeze) {
    adamw_tangents_impl(n, k, x, g, hv, m, v, lr, beta1, beta2, eps, wd, c1, c2, freeze);
}
