package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The host emulator of libcuda/cuBLAS/cuSOLVER (native/emulator) for tests: built once per test
 * JVM into target/cuda-emulator, then a {@code main} class run in a child JVM that loads it instead
 * of the NVIDIA libraries ({@link NativeLibrary#LIBPATH_PROPERTY}). A child, because the driver
 * bindings are opened once per process. Tests that use it are skipped (not failed) where it cannot
 * be built: no nvcc (no kernels.fatbin in the jar to load) or no g++.
 */
final class HostEmulator {
    private static Path built;

    private HostEmulator() {
    }

    /** Skips the calling test unless the emulator can be built; builds it on first use. */
    static synchronized Path require() throws IOException, InterruptedException {
        assumeTrue(CudaKernelBuildTest.nvccPresent(), "no nvcc: no kernels.fatbin to load");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/g++")) || Files.isExecutable(Path.of("/usr/local/bin/g++")), "no g++");
        assumeTrue(Files.isRegularFile(Path.of("native/emulator/build.sh")), "no source tree (native/emulator)");
        if (built == null) {
            Path dir = Path.of("target/cuda-emulator").toAbsolutePath();
            Process build = new ProcessBuilder("bash", "native/emulator/build.sh", dir.toString()).redirectErrorStream(true).start();
            String log = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(build.waitFor(180, TimeUnit.SECONDS), "emulator build timed out");
            assertEquals(0, build.exitValue(), log);
            built = dir;
        }
        return built;
    }

    /**
     * Runs {@code main} in a child JVM on the emulator with heap {@code xmx} (e.g. "1g") and extra JVM
     * options; asserts it exits 0 within {@code timeoutSeconds} and returns its output (stdout + stderr).
     */
    static String run(Class<?> main, String xmx, int timeoutSeconds, String... jvmOptions) throws IOException, InterruptedException {
        return run(main, xmx, timeoutSeconds, java.util.Map.of(), jvmOptions);
    }

    /** {@link #run(Class, String, int, String...)} with extra environment variables for the child (and the emulator in it). */
    static String run(Class<?> main, String xmx, int timeoutSeconds, java.util.Map<String, String> env, String... jvmOptions)
            throws IOException, InterruptedException {
        Path dir = require();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");   // this JVM's: classes, test classes and the dependencies
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
                "-Xmx" + xmx, "-Djava.awt.headless=true", "-D" + NativeLibrary.LIBPATH_PROPERTY + "=" + dir));
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", cp, main.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(timeoutSeconds, TimeUnit.SECONDS), main.getSimpleName() + " on the emulator timed out");
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
