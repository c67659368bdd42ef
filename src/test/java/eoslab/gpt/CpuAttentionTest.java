package eoslab.gpt;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused attention core ({@link CpuAttention}) against (1) a dense float64 implementation in this
 * file that materialises S, P (T, T) per head and uses the softmax-Jacobian form of every pass (the
 * math of Gpt2's materialized path), and (2) central finite differences of the fused op itself in
 * float64: the gradient of ⟨G, y⟩, the forward tangent R{y}, R{lse}, and the tangent of the backward
 * pass R{dqkv}. T = 1 (one key), 7, 16 and 70 (more than one key tile of {@link CpuAttention#BC}, so
 * the online-softmax rescaling runs), H = 1, 2, 3 heads.
 */
class CpuAttentionTest {
    static final Backend BE = CpuBackend.INSTANCE;
    static final AttentionKernels AK = CpuAttention.INSTANCE;
    static final int B = 2, HS = 4;

    /** Everything the four passes produce, as doubles. */
    record Out(double[] y, double[] lse, double[] dqkv, double[] ry, double[] rlse, double[] rdqkv) {
    }

    /** Random inputs: qkv, rqkv (N, 3C), dy, rdy (N, C); {@code amp} scales qkv (large amp → peaked softmax). */
    record In(double[] qkv, double[] rqkv, double[] dy, double[] rdy) {
        static In random(int t, int h, double amp, long seed) {
            Random r = new Random(seed);
            int n = B * t, c = h * HS;
            double[] qkv = FdUtil.gaussian(3 * n * c, r);
            for (int i = 0; i < qkv.length; i++) qkv[i] *= amp;
            return new In(qkv, FdUtil.gaussian(3 * n * c, r), FdUtil.gaussian(n * c, r), FdUtil.gaussian(n * c, r));
        }

        In roundedToF32() {
            return new In(f32(qkv), f32(rqkv), f32(dy), f32(rdy));
        }

        private static double[] f32(double[] a) {
            double[] o = new double[a.length];
            for (int i = 0; i < a.length; i++) o[i] = (float) a[i];
            return o;
        }
    }

    // ---- the fused op through the interface ----------------------------------------------------------

    static Out fused(AttentionKernels ak, Backend be, DType dt, In in, int t, int h) {
        int n = B * t, c = h * HS;
        Tensor qkv = be.fromDoubles(dt, in.qkv), rqkv = be.fromDoubles(dt, in.rqkv), dy = be.fromDoubles(dt, in.dy), rdy = be.fromDoubles(dt, in.rdy);
        Tensor y = be.zeros(dt, (long) n * c), lse = be.zeros(dt, (long) n * h), dqkv = be.zeros(dt, 3L * n * c);
        Tensor ry = be.zeros(dt, (long) n * c), rlse = be.zeros(dt, (long) n * h), rdqkv = be.zeros(dt, 3L * n * c);
        ak.forward(qkv, y, lse, B, t, h, c);
        ak.backward(qkv, y, lse, dy, dqkv, B, t, h, c);
        ak.rForward(qkv, y, lse, rqkv, ry, rlse, B, t, h, c);
        ak.rBackward(qkv, y, lse, dy, rqkv, ry, rlse, rdy, rdqkv, B, t, h, c);
        return new Out(be.toDoubles(y), be.toDoubles(lse), be.toDoubles(dqkv), be.toDoubles(ry), be.toDoubles(rlse), be.toDoubles(rdqkv));
    }

    // ---- dense float64 reference: S, P materialised, softmax Jacobian form ----------------------------

    static Out dense(In in, int t, int h) {
        int n = B * t, c = h * HS;
        double sc = 1 / Math.sqrt(HS);
        double[] y = new double[n * c], lse = new double[n * h], dqkv = new double[3 * n * c];
        double[] ry = new double[n * c], rlse = new double[n * h], rdqkv = new double[3 * n * c];
        for (int b = 0; b < B; b++) {
            for (int hh = 0; hh < h; hh++) {
                double[][] q = slice(in.qkv, b, hh, 0, t, c), k = slice(in.qkv, b, hh, 1, t, c), v = slice(in.qkv, b, hh, 2, t, c);
                double[][] rq = slice(in.rqkv, b, hh, 0, t, c), rk = slice(in.rqkv, b, hh, 1, t, c), rv = slice(in.rqkv, b, hh, 2, t, c);
                double[][] dY = rows(in.dy, b, hh, t, c), rdY = rows(in.rdy, b, hh, t, c);
                double[][] S = new double[t][t], P = new double[t][t], RS = new double[t][t], RP = new double[t][t];
                double[][] dP = new double[t][t], dS = new double[t][t], RdP = new double[t][t], RdS = new double[t][t];
                for (int i = 0; i < t; i++) {
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j <= i; j++) {
                        S[i][j] = sc * dot(q[i], k[j]);
                        RS[i][j] = sc * (dot(rq[i], k[j]) + dot(q[i], rk[j]));
                        dP[i][j] = dot(dY[i], v[j]);
                        RdP[i][j] = dot(rdY[i], v[j]) + dot(dY[i], rv[j]);
                        max = Math.max(max, S[i][j]);
                    }
                    for (int j = 0; j <= i; j++) sum += Math.exp(S[i][j] - max);
                    for (int j = 0; j <= i; j++) P[i][j] = Math.exp(S[i][j] - max) / sum;
                    lse[(b * h + hh) * t + i] = max + Math.log(sum);
                    double pRS = 0, pdP = 0, rpdP = 0, prdP = 0;
                    for (int j = 0; j <= i; j++) pRS += P[i][j] * RS[i][j];
                    for (int j = 0; j <= i; j++) RP[i][j] = P[i][j] * (RS[i][j] - pRS);     // J_softmax R{S}
                    rlse[(b * h + hh) * t + i] = pRS;
                    for (int j = 0; j <= i; j++) {
                        pdP += P[i][j] * dP[i][j];
                        rpdP += RP[i][j] * dP[i][j];
                        prdP += P[i][j] * RdP[i][j];
                    }
                    for (int j = 0; j <= i; j++) {
                        dS[i][j] = P[i][j] * (dP[i][j] - pdP);                                    // J_softmax dP
                        RdS[i][j] = RP[i][j] * (dP[i][j] - pdP) + P[i][j] * (RdP[i][j] - rpdP - prdP);
                    }
                }
                double[][] Y = new double[t][HS], RY = new double[t][HS], dQ = new double[t][HS], dK = new double[t][HS], dV = new double[t][HS];
                double[][] RdQ = new double[t][HS], RdK = new double[t][HS], RdV = new double[t][HS];
                for (int i = 0; i < t; i++) {
                    for (int j = 0; j < t; j++) {
                        for (int e = 0; e < HS; e++) {
                            Y[i][e] += P[i][j] * v[j][e];
                            RY[i][e] += RP[i][j] * v[j][e] + P[i][j] * rv[j][e];
                            dQ[i][e] += sc * dS[i][j] * k[j][e];
                            dK[j][e] += sc * dS[i][j] * q[i][e];
                            dV[j][e] += P[i][j] * dY[i][e];
                            RdQ[i][e] += sc * (RdS[i][j] * k[j][e] + dS[i][j] * rk[j][e]);
                            RdK[j][e] += sc * (RdS[i][j] * q[i][e] + dS[i][j] * rq[i][e]);
                            RdV[j][e] += RP[i][j] * dY[i][e] + P[i][j] * rdY[i][e];
                        }
                    }
                }
                putRows(Y, y, b, hh, t, c);
                putRows(RY, ry, b, hh, t, c);
                putSlice(dQ, dqkv, b, hh, 0, t, c);
                putSlice(dK, dqkv, b, hh, 1, t, c);
                putSlice(dV, dqkv, b, hh, 2, t, c);
                putSlice(RdQ, rdqkv, b, hh, 0, t, c);
                putSlice(RdK, rdqkv, b, hh, 1, t, c);
                putSlice(RdV, rdqkv, b, hh, 2, t, c);
            }
        }
        return new Out(y, lse, dqkv, ry, rlse, rdqkv);
    }

    static double[][] slice(double[] qkv, int b, int h, int part, int t, int c) {
        double[][] o = new double[t][HS];
        for (int i = 0; i < t; i++) for (int e = 0; e < HS; e++) o[i][e] = qkv[(b * t + i) * 3 * c + part * c + h * HS + e];
        return o;
    }

    static void putSlice(double[][] a, double[] qkv, int b, int h, int part, int t, int c) {
        for (int i = 0; i < t; i++) for (int e = 0; e < HS; e++) qkv[(b * t + i) * 3 * c + part * c + h * HS + e] = a[i][e];
    }

    static double[][] rows(double[] y, int b, int h, int t, int c) {
        double[][] o = new double[t][HS];
        for (int i = 0; i < t; i++) for (int e = 0; e < HS; e++) o[i][e] = y[(b * t + i) * c + h * HS + e];
        return o;
    }

    static void putRows(double[][] a, double[] y, int b, int h, int t, int c) {
        for (int i = 0; i < t; i++) for (int e = 0; e < HS; e++) y[(b * t + i) * c + h * HS + e] = a[i][e];
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    // ---- comparisons ---------------------------------------------------------------------------------

    /** |a − r| ≤ atol + rtol·|r| elementwise. */
    static void close(double[] ref, double[] got, double atol, double rtol, String what) {
        assertTrue(ref.length == got.length, what + ": length " + got.length + " != " + ref.length);
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs(got[i] - ref[i]);
            assertTrue(err <= atol + rtol * Math.abs(ref[i]), what + "[" + i + "]: expected " + ref[i] + " got " + got[i] + " (err " + err + ")");
        }
    }

    /**
     * Every output, with atol taken relative to the output's largest entry (atol·max(1, max|ref|)):
     * sums of O(max) terms cancel to small entries, whose rounding error is O(ε·max), not O(ε·|entry|).
     */
    static void closeAll(Out ref, Out got, double atol, double rtol, String what) {
        close(ref.y, got.y, atol * big(ref.y), rtol, what + " y");
        close(ref.lse, got.lse, atol * big(ref.lse), rtol, what + " lse");
        close(ref.dqkv, got.dqkv, atol * big(ref.dqkv), rtol, what + " dqkv");
        close(ref.ry, got.ry, atol * big(ref.ry), rtol, what + " R{y}");
        close(ref.rlse, got.rlse, atol * big(ref.rlse), rtol, what + " R{lse}");
        close(ref.rdqkv, got.rdqkv, atol * big(ref.rdqkv), rtol, what + " R{dqkv}");
    }

    static double big(double[] a) {
        double m = 1;
        for (double x : a) m = Math.max(m, Math.abs(x));
        return m;
    }

    static final int[] TS = {1, 7, 16, 70};
    static final int[] HEADS = {1, 2, 3};

    /** F64: the same math in another order; only float64 rounding differs. atol 1e-12·max|ref|, rtol 1e-10. */
    @Test
    void f64MatchesDenseReference() {
        for (int t : TS) {
            for (int h : HEADS) {
                for (double amp : new double[] {1, 6}) {
                    In in = In.random(t, h, amp, 31L * t + h);
                    closeAll(dense(in, t, h), fused(AK, BE, DType.F64, in, t, h), 1e-12, 1e-10, "T=" + t + " H=" + h + " amp=" + amp);
                }
            }
        }
    }

    /**
     * F32 storage (the CPU computes in double and rounds once on write; tangents use the rounded y,
     * R{y}): against the dense float64 reference on the same rounded inputs, atol 1e-5·max|ref|, rtol 1e-4.
     */
    @Test
    void f32MatchesDenseReference() {
        for (int t : TS) {
            for (int h : HEADS) {
                In in = In.random(t, h, 2, 7L * t + h).roundedToF32();
                closeAll(dense(in, t, h), fused(AK, BE, DType.F32, in, t, h), 1e-5, 1e-4, "F32 T=" + t + " H=" + h);
            }
        }
    }

    /** The dense reference is what Gpt2's materialized path computes: spot-check it is not trivially zero. */
    @Test
    void referenceIsNotTrivial() {
        Out r = dense(In.random(7, 2, 1, 3), 7, 2);
        for (double[] a : new double[][] {r.y, r.dqkv, r.ry, r.rlse, r.rdqkv}) {
            double m = 0;
            for (double x : a) m = Math.max(m, Math.abs(x));
            assertTrue(m > 1e-3, "reference output is ~0");
        }
    }

    // ---- finite differences of the fused op (float64) ------------------------------------------------

    static final double FD_H = 1e-5, FD_ATOL = 1e-7, FD_RTOL = 1e-6;

    static double[] axpy(double[] x, double a, double[] v) {
        double[] o = x.clone();
        for (int i = 0; i < o.length; i++) o[i] += a * v[i];
        return o;
    }

    static double[] central(double[] plus, double[] minus) {
        double[] o = new double[plus.length];
        for (int i = 0; i < o.length; i++) o[i] = (plus[i] - minus[i]) / (2 * FD_H);
        return o;
    }

    /**
     * dqkv = ∇_qkv ⟨dy, y(qkv)⟩ on every coordinate; R{y}, R{lse} = d/dε of y, lse at qkv + ε Rqkv; R{dqkv} =
     * d/dε of dqkv at (qkv + ε Rqkv, dy + ε R{dy}). Central differences with h = 1e-5 err by O(h²);
     * |fd − exact| ≤ 1e-7 + 1e-6·|fd|.
     */
    @Test
    void gradientAndTangentsMatchFiniteDifferences() {
        for (int t : new int[] {1, 7, 16, 70}) {
            int h = 2, c = h * HS, n = B * t;
            In in = In.random(t, h, 1.5, 100 + t);
            Out at = fused(AK, BE, DType.F64, in, t, h);
            // gradient: coordinates (all for small T, a stride otherwise)
            int step = t >= 16 ? 7 : 1;
            for (int i = 0; i < 3 * n * c; i += step) {
                double[] e = new double[3 * n * c];
                e[i] = FD_H;
                double lp = dot(in.dy, fused(AK, BE, DType.F64, new In(axpy(in.qkv, 1, e), in.rqkv, in.dy, in.rdy), t, h).y);
                double lm = dot(in.dy, fused(AK, BE, DType.F64, new In(axpy(in.qkv, -1, e), in.rqkv, in.dy, in.rdy), t, h).y);
                double fd = (lp - lm) / (2 * FD_H);
                assertTrue(Math.abs(fd - at.dqkv[i]) <= FD_ATOL + FD_RTOL * Math.abs(fd),
                        "T=" + t + " dqkv[" + i + "]: fd " + fd + " vs " + at.dqkv[i]);
            }
            Out plus = fused(AK, BE, DType.F64, new In(axpy(in.qkv, FD_H, in.rqkv), in.rqkv, axpy(in.dy, FD_H, in.rdy), in.rdy), t, h);
            Out minus = fused(AK, BE, DType.F64, new In(axpy(in.qkv, -FD_H, in.rqkv), in.rqkv, axpy(in.dy, -FD_H, in.rdy), in.rdy), t, h);
            close(central(plus.y, minus.y), at.ry, FD_ATOL, FD_RTOL, "T=" + t + " R{y} vs FD");
            close(central(plus.lse, minus.lse), at.rlse, FD_ATOL, FD_RTOL, "T=" + t + " R{lse} vs FD");
            close(central(plus.dqkv, minus.dqkv), at.rdqkv, FD_ATOL, FD_RTOL, "T=" + t + " R{dqkv} vs FD");
        }
    }

    /** Bad shapes are refused with a message naming the tensor. */
    @Test
    void refusesShortTensors() {
        Tensor qkv = BE.zeros(DType.F64, 3 * 2 * 8), y = BE.zeros(DType.F64, 2 * 8 - 1), lse = BE.zeros(DType.F64, 4);
        try {
            AK.forward(qkv, y, lse, 1, 2, 2, 8);
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("(B·T, C)"), e.getMessage());
            return;
        }
        throw new AssertionError("short y accepted");
    }
}
