package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import eoslab.backend.Act;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Java side of every kernel launch agrees with kernels/eoslab.cu: same kernel names, same
 * parameter kinds in the same order (a wrong width in kernelParams would shift every later
 * argument and cannot be seen without a GPU), same constants. Runs without a GPU.
 */
class CudaKernelSourceTest {
    static final Path SRC = Path.of("kernels/eoslab.cu");

    /** These read the kernel sources: run from the repository root (mvn test); skipped in the image. */
    @org.junit.jupiter.api.BeforeEach
    void needsTheSourceTree() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(SRC), "no " + SRC + " here (not the source tree)");
    }

    /** extern "C" __global__ void [__launch_bounds__(..)] name(params) → parameter kinds parsed from the C types. */
    static Map<String, List<Kernels.Arg>> parseKernels(String src) {
        Map<String, List<Kernels.Arg>> m = new LinkedHashMap<>();
        Matcher k = Pattern.compile("extern \"C\" __global__ void (?:__launch_bounds__\\([^)]*\\) )?(\\w+)\\(([^)]*)\\)").matcher(src);
        while (k.find()) {
            List<Kernels.Arg> args = new ArrayList<>();
            for (String p : k.group(2).split(",")) {
                String t = p.trim().replaceAll("\\s+", " ");
                t = t.substring(0, t.lastIndexOf(' ')).trim();   // drop the parameter name
                Kernels.Arg a;
                if (t.endsWith("*")) a = Kernels.Arg.PTR;
                else if (t.equals("int")) a = Kernels.Arg.I32;
                else if (t.equals("i64") || t.equals("long long")) a = Kernels.Arg.I64;
                else if (t.equals("float")) a = Kernels.Arg.F32;
                else if (t.equals("double")) a = Kernels.Arg.F64;
                else throw new AssertionError("unexpected kernel parameter type '" + t + "' in " + k.group(1));
                args.add(a);
            }
            m.put(k.group(1), args);
        }
        return m;
    }

    /** kernels/eoslab.cu with its {@code #include "x.cu"} lines (files of kernels/) replaced by their text, as nvcc sees it. */
    static String source() throws IOException {
        StringBuilder b = new StringBuilder();
        for (String line : Files.readString(SRC).split("\n", -1)) {
            Matcher m = Pattern.compile("^#include \"([\\w.]+)\"\\s*$").matcher(line);
            b.append(m.matches() ? Files.readString(SRC.resolveSibling(m.group(1))) : line).append('\n');
        }
        return b.toString();
    }

    @Test
    void everyKernelSignatureMatchesTheSource() throws IOException {
        Map<String, List<Kernels.Arg>> parsed = parseKernels(source());
        assertTrue(parsed.size() >= 30, "parsed only " + parsed.size() + " kernels");
        assertEquals(parsed.keySet(), Kernels.SIGNATURES.keySet(), "kernel names in Kernels.SIGNATURES vs kernels/eoslab.cu and its includes");
        for (var e : parsed.entrySet()) {
            assertEquals(e.getValue(), Kernels.SIGNATURES.get(e.getKey()), "parameters of " + e.getKey());
        }
    }

    @Test
    void constantsMatchJava() throws IOException {
        String src = source();
        assertTrue(src.contains("#define GRAM_THREADS " + CudaBackend.GRAM_THREADS + " "), "GRAM_THREADS must equal CudaBackend.GRAM_THREADS");
        // GELU's sqrt(2/pi) must be the double Java's Act uses, bit for bit.
        assertTrue(src.contains("#define GELU_K " + Double.toHexString(Math.sqrt(2 / Math.PI)) + "\n"), "GELU_K literal");
        assertTrue(src.contains("#define GELU_A 0.044715\n"));
        assertTrue(src.contains("#define THREADS " + CudaBackend.THREADS + "\n"), "THREADS must equal CudaBackend.THREADS");
        // Activation codes are Act.ordinal().
        for (Act a : Act.values()) assertTrue(src.contains("#define ACT_" + a + " " + a.ordinal() + "\n"), "ACT_" + a);
        assertTrue(src.contains("#define ERR_GATHER_ROW 1\n") && src.contains("#define ERR_LABEL 2\n"));
        assertTrue(src.contains("#define ERR_GATHER_INDEX 3\n") && src.contains("#define ERR_SCATTER_INDEX 4\n"));
        assertTrue(CudaBackend.recordedError(3, 9, 4).getMessage().contains("gatherIndexed: index 9 of 4"));
        assertTrue(CudaBackend.recordedError(4, -2, 4).getMessage().contains("scatterIndexed: index -2 of 4"));
        assertTrue(CudaBackend.recordedError(1, 7, 5).getMessage().contains("gatherRows: row 7 of 5"));
        assertTrue(CudaBackend.recordedError(2, -1, 10).getMessage().contains("label -1 not in [0, 10)"));
    }

    @Test
    void argumentsAreCheckedAgainstTheTable() {
        Kernels.checkArgs("fill_f32", new Object[] {new Kernels.Ptr(256), 10L, 1f});
        // an int where the kernel takes long long, a double where it takes float, a count mismatch
        var e1 = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Kernels.checkArgs("fill_f32", new Object[] {new Kernels.Ptr(256), 10, 1f}));
        assertTrue(e1.getMessage().contains("argument 1 must be I64"), e1.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Kernels.checkArgs("fill_f32", new Object[] {new Kernels.Ptr(256), 10L, 1.0}));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Kernels.checkArgs("fill_f32", new Object[] {new Kernels.Ptr(256), 10L}));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Kernels.checkArgs("no_such_kernel", new Object[0]));
    }

    @Test
    void kernelParamsPointAtEachArgumentValue() {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            Object[] args = {new Kernels.Ptr(0x7f0012345600L), 3, 1L << 40, 0.25f, -1.5};
            var ptrs = Kernels.params(arena, args);
            var A = java.lang.foreign.ValueLayout.ADDRESS;
            assertEquals(0x7f0012345600L, ptrs.getAtIndex(A, 0).reinterpret(8).get(java.lang.foreign.ValueLayout.JAVA_LONG, 0));
            assertEquals(3, ptrs.getAtIndex(A, 1).reinterpret(4).get(java.lang.foreign.ValueLayout.JAVA_INT, 0));
            assertEquals(1L << 40, ptrs.getAtIndex(A, 2).reinterpret(8).get(java.lang.foreign.ValueLayout.JAVA_LONG, 0));
            assertEquals(0.25f, ptrs.getAtIndex(A, 3).reinterpret(4).get(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0));
            assertEquals(-1.5, ptrs.getAtIndex(A, 4).reinterpret(8).get(java.lang.foreign.ValueLayout.JAVA_DOUBLE, 0));
            // every slot is 8-byte aligned (the strictest parameter alignment here)
            for (int i = 0; i < args.length; i++) assertEquals(0, ptrs.getAtIndex(A, i).address() % 8);
        }
    }

    @Test
    void launchShapesDependOnlyOnSizes() {
        // The dot reduction tree is a function of n only: same n, same blocks, same bits.
        assertEquals(1, CudaBackend.reductionBlocks(0));
        assertEquals(1, CudaBackend.reductionBlocks(1024));
        assertEquals(2, CudaBackend.reductionBlocks(1025));
        assertEquals(CudaBackend.MAX_REDUCTION_BLOCKS, CudaBackend.reductionBlocks(1L << 40));
        assertEquals(1, CudaBackend.blocks(0));
        assertEquals(4, CudaBackend.blocks(1000));
        assertEquals(CudaBackend.MAX_BLOCKS, CudaBackend.blocks(1L << 40));
        // scatterIndexed: one tile per row when rows are plenty, tiles of >= 32 columns otherwise
        assertEquals(1, CudaBackend.scatterTiles(100_000, 4096));
        assertEquals(6, CudaBackend.scatterTiles(2, 200));
        assertEquals(1, CudaBackend.scatterTiles(1, 31));
        assertEquals(64, CudaBackend.scatterTiles(512, 1 << 20));
        // gram: one block per 256 rows up to MAX_GRAM_BLOCKS (792), fewer where k² partials would pass 64 MiB
        assertEquals(1, CudaBackend.gramBlocks(0, 32));
        assertEquals(4, CudaBackend.gramBlocks(1003, 32));
        assertEquals(CudaBackend.MAX_GRAM_BLOCKS, CudaBackend.gramBlocks(100_000_000L, 32));
        assertEquals(8, CudaBackend.gramBlocks(100_000_000L, 1024));
        assertEquals(1, CudaBackend.gramPairs(32));
        assertEquals(3, CudaBackend.gramPairs(33));
    }
}
