package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * GPT training and the Lyapunov tracker end to end on the CUDA backend against the CPU
 * ({@link GptEndToEndMain}: cases and tolerances there): on the host emulator in a child JVM (as
 * {@link CudaEmulatorTest}; skipped without nvcc or g++) and in process on a GPU.
 */
class CudaGptEndToEndTest {
    @Test
    void onTheGpu() throws IOException {   // no @TempDir parameter: bin/eoslab-test selects it as CudaGptEndToEndTest#onTheGpu
        assumeTrue(CudaBackend.available(), () -> "no CUDA GPU: " + CudaBackend.unavailableReason());
        Path tmp = Files.createTempDirectory("eoslab-gpt-e2e");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<String> fails = GptEndToEndMain.run(tmp, new PrintStream(log, true, StandardCharsets.UTF_8));
        System.out.print(log.toString(StandardCharsets.UTF_8));
        assertTrue(fails.isEmpty(), String.join("\n", fails));
    }

    @Test
    void onTheHostEmulator() throws IOException, InterruptedException {
        String out = HostEmulator.run(GptEndToEndMain.class, "1g", 240);
        System.out.println(out);
        assertTrue(out.contains("GPT END TO END OK"), out);
    }
}
