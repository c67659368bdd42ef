package eoslab.backend.cuda;

import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * Child-JVM entry point of {@link CudaEmulatorTest}: with {@code -Deoslab.cuda.libpath} pointing at
 * the host emulator (native/emulator), run the doctor (report + full parity against the CPU) and
 * the CudaBackend behaviours a parity run does not cover. Prints "EMULATOR OK" and exits 0 when
 * everything held.
 */
public final class EmulatorMain {
    public static void main(String[] args) {
        int rc = CudaDoctor.run(System.out, 1);
        if (rc != 0 || CudaBackend.unavailableReason() != null) fail("doctor rc " + rc + ", problem " + CudaBackend.unavailableReason());
        try (CudaBackend gpu = CudaBackend.open()) {
            LinalgChecks.run(gpu);   // cuSOLVER QR and eigh (emulated: layouts, R extraction, info)

            // errors recorded by kernels surface at the next sync, once
            Tensor src = gpu.fromDoubles(DType.F32, new double[12]), dst = gpu.zeros(DType.F32, 6);
            gpu.gatherRows(src, gpu.fromInts(new int[] {0, 4}), 3, dst);
            expectIndexError(gpu::sync, "gatherRows: row 4 of 4");
            gpu.sync();
            Tensor z = gpu.zeros(DType.F64, 6), p = gpu.zeros(DType.F64, 6), d = gpu.zeros(DType.F64, 6);
            expectIndexError(() -> gpu.softmaxCrossEntropy(z, gpu.fromInts(new int[] {1, 3}), 2, 3, 1, p, d, null),
                    "label 3 not in [0, 3)");
            gpu.sync();

            // conv/pool index errors, found by the kernels, also surface at the next sync
            Tensor s2 = gpu.zeros(DType.F64, 16), d2 = gpu.zeros(DType.F64, 16);
            gpu.gatherIndexed(s2, 4, gpu.fromInts(new int[] {0, 1, 4, 2}), 2, 2, d2, 2);
            expectIndexError(gpu::sync, "gatherIndexed: index 4 of 4");
            gpu.scatterIndexed(s2, gpu.fromInts(new int[] {0, -1, 3, 2}), 2, 2, d2, 4, 2);
            expectIndexError(gpu::sync, "scatterIndexed: index -1 of 4");
            gpu.sync();

            // scatter (the max-pool backward) and col2im have no atomics: repeated calls give the same bits
            double[] big = new double[4 * 3000];
            for (int i = 0; i < big.length; i++) big[i] = Math.cos(i * 0.61);
            int[] ix = new int[3000];
            for (int i = 0; i < ix.length; i++) ix[i] = (i * 7919) % 257;       // many repeats per row
            Tensor sb = gpu.fromDoubles(DType.F32, big), ib = gpu.fromInts(ix), db = gpu.zeros(DType.F32, 4 * 257);
            gpu.scatterIndexed(sb, ib, 1, 3000, db, 257, 4);
            double[] firstScatter = gpu.toDoubles(db);
            gpu.scatterIndexed(sb, ib, 1, 3000, db, 257, 4);
            if (!java.util.Arrays.equals(firstScatter, gpu.toDoubles(db))) fail("scatterIndexed not deterministic");
            eoslab.backend.Backend cpu = eoslab.backend.CpuBackend.INSTANCE;
            Tensor dc = cpu.zeros(DType.F32, 4 * 257);
            cpu.scatterIndexed(cpu.fromDoubles(DType.F32, big), cpu.fromInts(ix), 1, 3000, dc, 257, 4);
            if (!java.util.Arrays.equals(firstScatter, dc.toDoubles())) fail("scatterIndexed F32 not bit-identical to the CPU");

            // bit-identical reductions
            double[] x = new double[100_003];
            for (int i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37);
            Tensor tx = gpu.fromDoubles(DType.F32, x);
            double first = gpu.dot(tx, tx);
            for (int i = 0; i < 3; i++) if (Double.doubleToRawLongBits(gpu.dot(tx, tx)) != Double.doubleToRawLongBits(first)) fail("dot not deterministic");

            // dropped tensors come back to the cache and are reused: live memory stays bounded
            for (int i = 0; i < 300; i++) gpu.zeros(DType.F64, 100_000);   // 240 MB in all
            System.gc();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (gpu.liveBytes() > 64L << 20 && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(20);
            }
            if (gpu.liveBytes() > 64L << 20) fail("tensors not recycled: " + gpu.liveBytes() + " live bytes");
            gpu.zeros(DType.F64, 100_000);
            if (gpu.cachedBytes() == 0) fail("nothing was cached");
        } catch (InterruptedException e) {
            fail("interrupted");
        }
        // GEMMs split into row blocks (past 2^31 elements on a GPU; here every block is a few rows):
        // every GEMM parity case still agrees with the CPU, with the same bits as the unsplit call
        try (CudaBackend gpu = CudaBackend.open()) {
            long saved = CudaBackend.gemmRowBlockElements;
            for (DType dt : new DType[] {DType.F32, DType.F64}) {
                for (String name : CudaParity.names()) {
                    if (!name.startsWith("gemm")) continue;
                    CudaBackend.gemmRowBlockElements = 40;
                    CudaParity.Result r = CudaParity.run(name, dt, gpu, eoslab.backend.CpuBackend.INSTANCE, 5);
                    CudaBackend.gemmRowBlockElements = saved;
                    if (!r.ok()) fail("GEMM in row blocks: " + r);
                }
                double[][] out = new double[2][];
                for (int side = 0; side < 2; side++) {
                    CudaBackend.gemmRowBlockElements = side == 0 ? saved : 40;
                    Tensor a = gpu.fromDoubles(dt, ramp(37 * 23)), b = gpu.fromDoubles(dt, ramp(23 * 19)), c = gpu.fromDoubles(dt, ramp(37 * 19));
                    gpu.gemm(false, true, 37, 19, 23, 0.5, a, 23, b, 23, 0.25, c, 19);
                    Tensor at = gpu.fromDoubles(dt, ramp(23 * 37)), c2 = gpu.zeros(dt, 37 * 19);
                    gpu.gemm(true, false, 37, 19, 23, 1, at, 37, gpu.fromDoubles(dt, ramp(23 * 19)), 19, 0, c2, 19);
                    double[] x = c.toDoubles(), y = c2.toDoubles(), both = new double[x.length + y.length];
                    System.arraycopy(x, 0, both, 0, x.length);
                    System.arraycopy(y, 0, both, x.length, y.length);
                    out[side] = both;
                }
                CudaBackend.gemmRowBlockElements = saved;
                if (!java.util.Arrays.equals(out[0], out[1])) fail("GEMM in row blocks changed the bits (" + dt + ")");
            }
        }
        // a second open after close works (primary context retained again)
        try (CudaBackend again = CudaBackend.open()) {
            if (again.dot(again.fromFloats(new float[] {1, 2}), again.fromFloats(new float[] {3, 4})) != 11) fail("reopen");
        }
        System.out.println("EMULATOR OK");
    }

    private static double[] ramp(int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = Math.sin(0.37 * i) + 0.01 * i;
        return x;
    }

    private static void expectIndexError(Runnable r, String text) {
        try {
            r.run();
        } catch (IndexOutOfBoundsException e) {
            if (!e.getMessage().contains(text)) fail("wrong message: " + e.getMessage());
            return;
        }
        fail("no IndexOutOfBoundsException for " + text);
    }

    private static void fail(String why) {
        System.out.println("EMULATOR FAILED: " + why);
        System.exit(1);
    }
}
