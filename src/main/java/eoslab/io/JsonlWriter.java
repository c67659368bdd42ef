package eoslab.io;

import com.fasterxml.jackson.databind.JsonNode;
import eoslab.util.UserError;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Append-only JSON Lines log (one compact {@link Json#line} object per line), e.g. {@code metrics.jsonl}.
 *
 * <p>Durability: each record is encoded in full and handed to the OS in one {@code write(2)} on a file
 * opened with O_APPEND, then nothing is buffered in the JVM. A killed JVM therefore loses at most the
 * line being written; a torn last line (no trailing newline) is removed by {@link #append} and by
 * {@link #truncateAfter} before anything is added. Lines are not fsynced one by one (that would cost a
 * disk flush per training step); after a power cut the tail may be missing, which resume handles by
 * truncating to the checkpoint's step anyway.
 *
 * <p>Resume: {@code truncateAfterStep(metrics, ckptStep)} then {@code append(metrics)} makes the log
 * exactly what an uninterrupted run would have written, provided the run is bit-exact from the checkpoint.
 */
public final class JsonlWriter implements Closeable {
    private final Path path;
    private final FileChannel ch;

    private JsonlWriter(Path path, FileChannel ch) {
        this.path = path;
        this.ch = ch;
    }

    /** Start a new, empty log at {@code path} (an existing file is replaced). */
    public static JsonlWriter create(Path path) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        AtomicFiles.writeBytes(path, new byte[0]);
        return new JsonlWriter(path, FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
    }

    /** Continue the log at {@code path} (created if missing); a torn last line is removed first. */
    public static JsonlWriter append(Path path) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        try {
            long size = ch.size();
            long keep = completeLength(path, size);
            if (keep < size) ch.truncate(keep);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return new JsonlWriter(path, ch);
    }

    public Path path() {
        return path;
    }

    /** Append {@code record} (a LinkedHashMap, a record, ...) as one line. */
    public synchronized void write(Object record) throws IOException {
        String line = Json.line(record);
        if (line.indexOf('\n') >= 0) throw new IllegalStateException("JSON line contains a newline: " + line);
        ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) ch.write(b);
    }

    /** Force written lines to disk (e.g. right after a checkpoint). */
    public synchronized void sync() throws IOException {
        ch.force(false);
    }

    @Override
    public synchronized void close() throws IOException {
        ch.close();
    }

    /** Length of the prefix of the file that ends with a newline (0 if there is none). */
    private static long completeLength(Path path, long size) throws IOException {
        if (size == 0) return 0;
        try (FileChannel r = FileChannel.open(path, StandardOpenOption.READ)) {
            // scan back from the end; lines are short, so this touches little of the file
            ByteBuffer block = ByteBuffer.allocate(1 << 16);
            long end = size;
            while (end > 0) {
                long start = Math.max(0, end - block.capacity());
                block.clear().limit((int) (end - start));
                long p = start;
                while (block.hasRemaining()) {
                    int n = r.read(block, p);
                    if (n < 0) break;
                    p += n;
                }
                for (int i = (int) (end - start) - 1; i >= 0; i--) {
                    if (block.get(i) == '\n') return start + i + 1;
                }
                end = start;
            }
            return 0;
        }
    }

    /**
     * Rewrite {@code file} atomically without the lines whose integer field {@code key} is greater than
     * {@code last}, and without a torn last line. Lines that lack {@code key} are kept. Returns how many
     * lines were removed. A missing file is left missing (returns 0). A complete line that is not valid
     * JSON is a {@link UserError} naming the file and line: we will not silently drop data.
     */
    public static int truncateAfter(Path file, String key, long last) throws IOException {
        if (!Files.exists(file)) return 0;
        byte[] bytes = Files.readAllBytes(file);
        String text = new String(bytes, StandardCharsets.UTF_8);
        int complete = text.lastIndexOf('\n') + 1; // everything after the last newline is a torn line
        StringBuilder kept = new StringBuilder(complete);
        int removed = complete < text.length() ? 1 : 0;
        int lineNo = 0;
        List<String> lines = new ArrayList<>(text.substring(0, complete).lines().toList());
        for (String line : lines) {
            lineNo++;
            if (line.isBlank()) continue;
            JsonNode node = Json.parse(file + " line " + lineNo, line);
            JsonNode v = node.isObject() ? node.get(key) : null;
            if (v != null && v.isNumber() && (v.isIntegralNumber() ? v.longValue() > last : v.doubleValue() > last)) {
                removed++;
                continue;
            }
            kept.append(line).append('\n');
        }
        if (removed > 0) AtomicFiles.writeString(file, kept.toString());
        return removed;
    }

    /** {@link #truncateAfter} on the {@code "step"} field: keep steps 0..step. */
    public static int truncateAfterStep(Path file, long step) throws IOException {
        return truncateAfter(file, "step", step);
    }
}
