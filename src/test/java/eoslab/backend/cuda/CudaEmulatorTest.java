package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * CudaBackend end to end without a GPU: native/emulator builds a host libcuda.so.1 (kernels/eoslab.cu
 * compiled for the CPU, threads of a block as coroutines) and a host libcublas.so.13 (the BLAS
 * reference GEMM, column-major, with cuBLAS's argument checks). A child JVM loads them through
 * {@code -Deoslab.cuda.libpath} and runs {@link EmulatorMain}: the doctor's full parity table
 * against CpuBackend (tolerances of {@link CudaParity#tolerance}), recorded kernel errors,
 * deterministic dot, memory recycling, reopen.
 *
 * <p>What this checks: the FFM calls and descriptors as actually called, kernelParams marshalling
 * by the kernels' own C++ parameter types, pointer arithmetic for views (every pointer argument
 * must fall inside a live allocation), the row-major → column-major GEMM mapping, and the
 * kernels' indexing and reduction logic. What it cannot check: real-GPU arithmetic (libdevice,
 * FMA), scheduling and races, the fatbin's SASS; CudaBackendParityTest does that on a GPU.
 */
class CudaEmulatorTest {
    @Test
    void cudaBackendRunsOnTheHostEmulator() throws IOException, InterruptedException {
        String out = HostEmulator.run(EmulatorMain.class, "1g", 180);
        assertTrue(out.contains("GPU 0       : eoslab host emulator"), out);
        assertTrue(out.contains("parity: all ops agree"), out);
        // every kernel family is in the doctor's table, the newer ones included
        for (String op : List.of("gptSoftmaxCausal", "adamw", "gram", "attention", "gemmBf16", "gemmTf32", "mlpGradHvpGgn", "sumRows", "dotRows", "lanczos"))
            assertTrue(Pattern.compile("(?m)^\\s*" + op + "\\s+F32 ok").matcher(out).find(), "doctor's table lists no " + op + ":\n" + out);
        assertTrue(out.contains("EMULATOR OK"), out);
    }
}
