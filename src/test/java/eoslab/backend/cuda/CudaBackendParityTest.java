package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every Backend op on the GPU against CpuBackend (STYLE.md principle 1: the kernel that ships is
 * the kernel that was tested). One dynamic test per {@link CudaParity} case and dtype: gemm in all
 * four transposes with padded leading dimensions and beta = 0 over NaN, strided batched, stride 0
 * for A, B and C; every elementwise, row, activation (forward, backward, R-backward for RELU, TANH,
 * GELU, IDENTITY) and loss op, and the conv/pool ops (im2col, col2im, addChannelBias, sumChannels,
 * maxPool2d with ties and NaN, gatherIndexed, scatterIndexed with repeated indices). Tolerances |gpu − cpu| ≤ atol + rtol·|cpu| per dtype and kind of op
 * are stated in {@link CudaParity#tolerance} (F32: 1e-7/1e-6 elementwise, 1e-6/1e-5
 * transcendental, 1e-6/1e-6 reductions, 1e-4/1e-4 GEMM; F64: 1e-15/1e-13, 1e-13/1e-11,
 * 1e-12/1e-11, 1e-12/1e-11). Skipped, not failed, where there is no GPU.
 */
class CudaBackendParityTest {
    static CudaBackend gpu;

    @BeforeAll
    static void open() {
        if (CudaBackend.available()) gpu = CudaBackend.open();
    }

    @AfterAll
    static void close() {
        if (gpu != null) gpu.close();
    }

    @TestFactory
    List<DynamicTest> everyOpMatchesTheCpu() {
        assumeTrue(gpu != null, "no CUDA GPU: " + CudaBackend.unavailableReason());
        List<DynamicTest> ts = new ArrayList<>();
        for (String name : CudaParity.names()) {
            for (DType dt : new DType[] {DType.F32, DType.F64}) {
                ts.add(DynamicTest.dynamicTest(name + " " + dt, () -> {
                    for (long seed : new long[] {1, 2}) {
                        CudaParity.Result r = CudaParity.run(name, dt, gpu, CpuBackend.INSTANCE, seed);
                        assertTrue(r.ok(), r.toString());
                    }
                }));
            }
        }
        return ts;
    }

    @Test
    void reductionsAreDeterministic() {
        assumeTrue(gpu != null, "no CUDA GPU");
        SplittableRandom r = new SplittableRandom(3);
        double[] x = new double[1_000_003], y = new double[x.length];
        for (int i = 0; i < x.length; i++) { x[i] = r.nextDouble(-1, 1); y[i] = r.nextDouble(-1, 1); }
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Tensor tx = gpu.fromDoubles(dt, x), ty = gpu.fromDoubles(dt, y);
            double first = gpu.dot(tx, ty);
            for (int i = 0; i < 5; i++) assertEquals(Double.doubleToRawLongBits(first), Double.doubleToRawLongBits(gpu.dot(tx, ty)));
        }
    }

    @Test
    void badIndicesFoundOnTheGpuAreReported() {
        assumeTrue(gpu != null, "no CUDA GPU");
        Tensor src = gpu.fromDoubles(DType.F32, new double[12]), dst = gpu.zeros(DType.F32, 6);
        gpu.gatherRows(src, gpu.fromInts(new int[] {0, 4}), 3, dst);   // row 4 of 4
        var e = assertThrows(IndexOutOfBoundsException.class, gpu::sync);
        assertTrue(e.getMessage().contains("gatherRows: row 4 of 4"), e.getMessage());
        gpu.sync();                                                        // the record was cleared
        Tensor z = gpu.zeros(DType.F64, 6), p = gpu.zeros(DType.F64, 6), d = gpu.zeros(DType.F64, 6);
        var e2 = assertThrows(IndexOutOfBoundsException.class,
                () -> gpu.softmaxCrossEntropy(z, gpu.fromInts(new int[] {1, 3}), 2, 3, 1, p, d, null));
        assertTrue(e2.getMessage().contains("label 3 not in [0, 3)"), e2.getMessage());
        Tensor s2 = gpu.zeros(DType.F32, 16), d2 = gpu.zeros(DType.F32, 16);
        gpu.gatherIndexed(s2, 4, gpu.fromInts(new int[] {0, 1, 4, 2}), 2, 2, d2, 2);
        var e3 = assertThrows(IndexOutOfBoundsException.class, gpu::sync);
        assertTrue(e3.getMessage().contains("gatherIndexed: index 4 of 4"), e3.getMessage());
        gpu.scatterIndexed(s2, gpu.fromInts(new int[] {0, -1, 3, 2}), 2, 2, d2, 4, 2);
        var e4 = assertThrows(IndexOutOfBoundsException.class, gpu::sync);
        assertTrue(e4.getMessage().contains("scatterIndexed: index -1 of 4"), e4.getMessage());
    }

    @Test
    void tensorsBelongToTheirBackend() {
        assumeTrue(gpu != null, "no CUDA GPU");
        Tensor g = gpu.zeros(DType.F32, 4);
        assertSame(gpu, g.backend);
        Backend cpu = CpuBackend.INSTANCE;
        assertThrows(IllegalArgumentException.class, () -> gpu.axpby(1, cpu.zeros(DType.F32, 4), 1, g));
        assertTrue(g.storage instanceof DevicePointer);
        assertEquals(0, ((DevicePointer) g.storage).address() % 256, "cuMemAlloc alignment");
    }

    @Test
    void doctorParityPasses() {
        assumeTrue(gpu != null, "no CUDA GPU");
        CudaDoctor.Report r = CudaDoctor.report();
        assertTrue(r.problem() == null && !r.devices().isEmpty() && r.cublasVersion() != null, r.format());
    }
}
