package eoslab.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class AtomicFilesTest {
    @TempDir
    Path dir;

    private List<Path> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void createsAndReplaces() throws IOException {
        Path f = dir.resolve("sub/config.json");
        AtomicFiles.writeString(f, "old");
        assertEquals("old", Files.readString(f));
        AtomicFiles.write(f, out -> {
            try (OutputStream o = out) { // closing the handed stream must be harmless
                o.write("new".getBytes(StandardCharsets.UTF_8));
            }
        });
        assertEquals("new", Files.readString(f));
        try (Stream<Path> s = Files.list(f.getParent())) {
            assertEquals(List.of(f), s.toList(), "no temporary file may remain");
        }
    }

    @Test
    void writerThatThrowsMidwayLeavesOldFileIntact() throws IOException {
        Path f = dir.resolve("ckpt.safetensors");
        byte[] old = new byte[100_000];
        for (int i = 0; i < old.length; i++) old[i] = (byte) i;
        AtomicFiles.writeBytes(f, old);

        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
            out.write(new byte[300_000]); // more than the buffer, so bytes really reached the temp file
            throw new IOException("disk full (simulated)");
        }));
        assertEquals("disk full (simulated)", e.getMessage());
        assertArrayEquals(old, Files.readAllBytes(f));
        assertEquals(List.of(f), listing(), "temporary file must be removed");

        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(f, out -> {
            out.write(1);
            throw new IllegalStateException("bug in the serializer (simulated)");
        }));
        assertArrayEquals(old, Files.readAllBytes(f));
        assertEquals(List.of(f), listing());
    }

    @Test
    void failedFirstWriteCreatesNothing() throws IOException {
        Path f = dir.resolve("metrics.png");
        assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
            out.write(7);
            throw new IOException("x");
        }));
        assertEquals(List.of(), listing());
    }

    /**
     * The real failure mode: a process SIGKILLed at an arbitrary moment while rewriting a file over
     * and over. Every time we look, the target must be a complete version (all bytes equal to one
     * version number, full length), never a prefix or a mix.
     */
    @Test
    void processKilledAtRandomMomentsLeavesACompleteFile() throws Exception {
        Path f = dir.resolve("state.bin");
        String java = ProcessHandle.current().info().command().orElse("java");
        String cp = System.getProperty("java.class.path");
        List<String> seen = new ArrayList<>();
        for (int trial = 0; trial < 3; trial++) {
            Process p = new ProcessBuilder(java, "-cp", cp, AtomicFilesCrashChild.class.getName(), f.toString())
                    .redirectErrorStream(true).start();
            // wait until the child has written at least one version, then kill it mid-loop
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!Files.exists(f) && System.nanoTime() < deadline) Thread.sleep(5);
            Thread.sleep(50 + 70L * trial);
            p.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
            p.waitFor();
            byte[] b = Files.readAllBytes(f);
            assertEquals(AtomicFilesCrashChild.SIZE, b.length, "partial file after kill");
            for (byte x : b) assertEquals(b[0], x, "mixed versions after kill");
            seen.add(Byte.toString(b[0]));
        }
        assertFalse(seen.isEmpty());
    }
}
