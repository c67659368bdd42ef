package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import eoslab.backend.CpuBackend;
import eoslab.gpt.TransformerKernels;
import eoslab.tensor.DType;
import java.io.IOException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The GPT-2 kernels (kernels/transformer.cu via {@link CudaTransformerKernels}) against the CPU
 * reference: {@link TransformerChecks} (every kernel in F32 and F64 at odd sizes with the
 * atol + rtol·|ref| tolerances of {@link CudaParity#tolerance}, bit-identical embedding backward,
 * reproducible column sums, bad token ids, and GPT-2 tiny's loss, gradient and k = 3 HVPs end to end).
 * On a GPU it runs in process; without one, on the host emulator in a child JVM (as CudaEmulatorTest).
 */
class CudaTransformerKernelsTest {
    @Test
    void onTheGpu() {
        assumeTrue(CudaBackend.available(), "no CUDA GPU: " + CudaBackend.unavailableReason());
        try (CudaBackend gpu = CudaBackend.open()) {
            TransformerChecks.run(gpu, System.out, 1, 2);
            assertSame(gpu.transformerKernels(), TransformerKernels.of(gpu));
        }
    }

    @Test
    void onTheHostEmulator() throws IOException, InterruptedException {
        String out = HostEmulator.run(TransformerEmulatorMain.class, "1g", 180);
        System.out.println(out);
        assertTrue(out.contains("TRANSFORMER OK"), out);
    }

    /** The same cases run CPU against CPU (exact agreement): the cases are deterministic given the seed. */
    @Test
    void parityCasesRunOnTheCpu() {
        for (String name : CudaParity.names()) {
            if (!name.startsWith("gpt")) continue;
            for (DType dt : new DType[] {DType.F32, DType.F64}) {
                CudaParity.Result r = CudaParity.run(name, dt, CpuBackend.INSTANCE, CpuBackend.INSTANCE, 3);
                assertTrue(r.ok() && r.maxAbsError() == 0, r.toString());
            }
        }
        assertTrue(CudaParity.names().containsAll(List.of("gptEmbedding", "gptLayerNorm", "gptLayerNormR", "gptSoftmaxCausal")));
    }

    @Test
    void columnSumChunksDependOnlyOnRowsAndCoverThem() {
        for (int rows : new int[] {1, 2, 63, 64, 65, 130, 200, 8191, 8192, 98_305, 1 << 24}) {
            int ch = CudaTransformerKernels.chunkRows(rows), nb = CudaTransformerKernels.chunks(rows);
            assertTrue(nb >= 1 && nb <= CudaTransformerKernels.MAX_CHUNKS, rows + " rows: " + nb + " chunks");
            assertTrue((long) ch * nb >= rows && (long) ch * (nb - 1) < rows, rows + " rows: chunks of " + ch + " x " + nb);
        }
        assertEquals(1, CudaTransformerKernels.chunks(64));
        assertEquals(2, CudaTransformerKernels.chunks(65));
        assertEquals(CudaTransformerKernels.MAX_CHUNKS, CudaTransformerKernels.chunks(8192 * 12));
    }

    @Test
    void launchConstantsMatchTheSource() throws IOException {
        assumeTrue(Files.isRegularFile(Path.of("kernels/transformer.cu")), "no kernels/transformer.cu here (not the source tree)");
        String src = Files.readString(Path.of("kernels/transformer.cu"));
        assertTrue(src.contains("#define EMB_VROWS " + CudaTransformerKernels.EMB_VROWS + "\n"));
        assertTrue(src.contains("#define CS_COLS " + CudaTransformerKernels.CS_COLS + "\n"));
        assertTrue(src.contains("#define CS_LANES " + CudaTransformerKernels.CS_LANES + "\n"));
        assertTrue(src.contains("#define ERR_TOKEN 5\n"));
        assertTrue(CudaBackend.recordedError(5, 300, 256).getMessage().contains("embeddingForward: token id 300 not in [0, 256)"));
        assertTrue(Files.readString(Path.of("kernels/eoslab.cu")).contains("\n#include \"transformer.cu\"\n"));
    }
}
