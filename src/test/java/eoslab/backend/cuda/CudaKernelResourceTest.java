package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every kernel fits the SM at the block size the Java side launches it with, on sm_80 and sm_90:
 * what the host emulator cannot see. A kernel whose registers per thread × threads per block exceed
 * the 65536 registers of an SM fails every launch with CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES (701);
 * static __shared__ over 48 KiB per block does not load. The numbers are ptxas's
 * ({@code nvcc --resource-usage}), which native/build-kernels.sh saves to
 * target/kernels-resource-usage.txt when it builds the fatbin with the real flags; the block sizes are
 * {@link Kernels#blockThreads}, which every launch enforces.
 */
class CudaKernelResourceTest {
    static final Path USAGE = Path.of("target/kernels-resource-usage.txt");
    /** Registers of one SM (sm_80, sm_90) and the static shared memory a block may declare. */
    static final int SM_REGISTERS = 65536, STATIC_SHARED = 48 * 1024;

    /** Registers, static shared bytes of one kernel for one architecture. */
    record Usage(String kernel, String arch, int registers, int sharedBytes) {
    }

    /** Parses ptxas's "Compiling entry function 'k' for 'sm_NN'" ... "Used R registers, ..., S bytes smem" lines. */
    static List<Usage> parse(String text) {
        Pattern entry = Pattern.compile("Compiling entry function '(\\w+)' for '(sm_\\d+)'");
        Pattern used = Pattern.compile("Used (\\d+) registers");
        Pattern smem = Pattern.compile("(\\d+) bytes smem");
        List<Usage> out = new ArrayList<>();
        String kernel = null, arch = null;
        for (String line : text.split("\n")) {
            Matcher e = entry.matcher(line);
            if (e.find()) {
                kernel = e.group(1);
                arch = e.group(2);
                continue;
            }
            Matcher u = used.matcher(line);
            if (u.find() && kernel != null) {
                Matcher s = smem.matcher(line);
                out.add(new Usage(kernel, arch, Integer.parseInt(u.group(1)), s.find() ? Integer.parseInt(s.group(1)) : 0));
                kernel = null;
            }
        }
        return out;
    }

    /**
     * Registers a block takes from the SM: registers are allocated per warp, in units of 256
     * (CUDA occupancy calculator, sm_80/sm_90), so a block of t threads at r registers uses
     * ⌈t/32⌉ · ⌈32 r / 256⌉ · 256.
     */
    static long blockRegisters(int registers, int threads) {
        long warps = (threads + 31) / 32, perWarp = (32L * registers + 255) / 256 * 256;
        return warps * perWarp;
    }

    /** Every problem with {@code usage} at the launch block sizes, as one line each. */
    static List<String> problems(List<Usage> usage) {
        List<String> bad = new ArrayList<>();
        for (Usage u : usage) {
            int t = Kernels.blockThreads(u.kernel());
            long regs = blockRegisters(u.registers(), t);
            if (regs > SM_REGISTERS)
                bad.add(u.kernel() + " (" + u.arch() + "): " + u.registers() + " registers x " + t + " threads = " + regs + " > " + SM_REGISTERS);
            if (u.sharedBytes() > STATIC_SHARED)
                bad.add(u.kernel() + " (" + u.arch() + "): " + u.sharedBytes() + " bytes of static shared memory > " + STATIC_SHARED);
        }
        return bad;
    }

    @Test
    void everyKernelFitsAnSmAtItsLaunchBlockSize() throws IOException {
        assumeTrue(CudaKernelBuildTest.nvccPresent(), "nvcc not installed: no fatbin, no resource usage");
        assertTrue(Files.isRegularFile(USAGE), USAGE + " missing: native/build-kernels.sh did not run in generate-resources");
        List<Usage> usage = parse(Files.readString(USAGE));
        // every kernel the Java side binds was compiled, and parsed, for both architectures
        Map<String, List<String>> archs = new TreeMap<>();
        for (Usage u : usage) archs.computeIfAbsent(u.kernel(), k -> new ArrayList<>()).add(u.arch());
        for (String k : Kernels.SIGNATURES.keySet()) {
            List<String> a = archs.getOrDefault(k, List.of());
            assertTrue(a.contains("sm_80") && a.contains("sm_90"), "kernel " + k + " has no ptxas resource usage for sm_80 and sm_90 in " + USAGE + ": " + a);
        }
        List<String> bad = problems(usage);
        assertTrue(bad.isEmpty(), "kernels that cannot launch on the GPU:\n" + String.join("\n", bad));
    }

    @Test
    void checkRejectsAKernelThatCannotLaunch() {
        // 255 registers fit a 256-thread block exactly (8 warps x 8192); at 288 threads they do not.
        String text = """
                ptxas info    : Compiling entry function 'gram_partial_f64' for 'sm_90'
                ptxas info    : Function properties for gram_partial_f64
                ptxas info    : Used 255 registers, used 1 barriers, 36864 bytes smem, 400 bytes cmem[0]
                ptxas info    : Compiling entry function 'fill_f32' for 'sm_80'
                ptxas info    : Used 255 registers, used 0 barriers, 49153 bytes smem
                ptxas info    : Compiling entry function 'attn_fwd_f32' for 'sm_80'
                ptxas info    : Used 255 registers, 2048 bytes cumulative stack size, 16384 bytes smem
                """;
        List<Usage> u = parse(text);
        assertEquals(3, u.size());
        assertEquals(new Usage("gram_partial_f64", "sm_90", 255, 36864), u.get(0));
        assertEquals(65536, blockRegisters(255, 256));
        assertEquals(73728, blockRegisters(255, 288));
        assertEquals(256 * 8, blockRegisters(1, 256));   // one register still takes a 256-register unit per warp
        List<String> bad = problems(u);
        assertEquals(2, bad.size(), bad.toString());
        assertTrue(bad.get(0).startsWith("gram_partial_f64 (sm_90): 255 registers x 288 threads"), bad.get(0));
        assertTrue(bad.get(1).startsWith("fill_f32 (sm_80): 49153 bytes of static shared memory"), bad.get(1));
    }
}
