package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Where nvcc exists, the build put a real fatbin with every kernel into the classes (and so the jar). */
class CudaKernelBuildTest {
    /**
     * nvcc is installed and this is the Maven build tree (target/classes, target/test-classes and
     * native/emulator under the working directory): what the fatbin and host-emulator tests need.
     * False in the self-contained image (bin/eoslab-test), where those tests skip.
     */
    static boolean nvccPresent() {
        return buildTree() && nvccOnPath();
    }

    /** The working directory is the Maven build tree (not the image). */
    static boolean buildTree() {
        for (String p : new String[] {"target/classes", "target/test-classes", "native/emulator"})
            if (!Files.isDirectory(Path.of(p))) return false;
        return true;
    }

    static boolean nvccOnPath() {
        if (Files.isExecutable(Path.of("/usr/local/bin/nvcc")) || Files.isExecutable(Path.of("/usr/local/cuda/bin/nvcc"))) return true;
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String d : path.split(":")) if (Files.isExecutable(Path.of(d, "nvcc"))) return true;
        return false;
    }

    @Test
    void fatbinIsBuiltAndHoldsEveryKernel() throws IOException {
        assumeTrue(nvccPresent(), "nvcc not installed: CPU-only build");
        Path f = Path.of("target/classes/eoslab/kernels.fatbin");
        assertTrue(Files.isRegularFile(f), f + " missing: native/build-kernels.sh did not run in generate-resources");
        byte[] b = Files.readAllBytes(f);
        assertTrue(Kernels.isFatbin(b), "kernels.fatbin does not start with the fatbin magic 0xBA55ED50");
        // the same bytes are what CudaBackend loads from the classpath
        assertArrayEquals(b, Kernels.fatbin());
        // kernel names are stored uncompressed in the embedded ELF string tables
        String s = new String(b, StandardCharsets.ISO_8859_1);
        for (String k : Kernels.SIGNATURES.keySet()) assertTrue(s.contains(k + "\0"), "kernel " + k + " not in kernels.fatbin");
        assertTrue(s.contains("sm_90") || s.contains(".target sm_90"), "no sm_90 code/PTX in the fatbin");
    }

    @Test
    void magicCheckRejectsOtherFiles() {
        assertTrue(!Kernels.isFatbin(new byte[] {0x7f, 'E', 'L', 'F', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
        assertTrue(!Kernels.isFatbin(null));
        assertTrue(Kernels.isFatbin(new byte[] {0x50, (byte) 0xed, 0x55, (byte) 0xba, 1, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    }
}
