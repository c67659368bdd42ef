package eoslab.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/**
 * Crash-safe whole-file writes. A run can be killed at any instant (OOM killer, time limit, ^C); a
 * checkpoint, config or plot written through this class is then either the complete old file or the
 * complete new one, never a prefix.
 *
 * <p>Recipe (the standard POSIX one): write to a temporary file in the <em>same directory</em> (a
 * rename is only atomic within one file system), {@code fsync} its data, {@code rename(2)} it over the
 * target with {@link StandardCopyOption#ATOMIC_MOVE}, then {@code fsync} the directory so the rename
 * itself survives a power cut. If the body throws, the temporary file is deleted and the target is
 * untouched. A kill between "write" and "rename" can leave a stray {@code .<name>.*.tmp} file behind;
 * it is never read by eoslab and is safe to delete.
 */
public final class AtomicFiles {
    private static final SecureRandom RANDOM = new SecureRandom();
    private AtomicFiles() {
    }

    /**
     * Atomically replace (or create) {@code target} with the bytes {@code body} writes. The stream
     * handed to {@code body} is buffered; closing it is allowed and does nothing (we still need the
     * file open to fsync it).
     */
    public static void write(Path target, IOConsumer<OutputStream> body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null) throw new IOException("cannot write " + target + ": it has no parent directory");
        Files.createDirectories(dir);
        // Not Files.createTempFile: it creates mode 0600, and the rename would then make every
        // checkpoint and plot private. CREATE_NEW uses the process umask, like any new file.
        Path tmp = dir.resolve("." + abs.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
        FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
        boolean moved = false;
        try {
            try (ch) {
                BufferedOutputStream buf = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
                body.accept(new NonClosing(buf));
                buf.flush();
                ch.force(true); // data and metadata on disk before the rename makes them visible
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot write " + target + " atomically: the file system does not support atomic rename", e);
            }
            moved = true;
            fsyncDirectory(dir);
        } finally {
            if (!moved) Files.deleteIfExists(tmp);
        }
    }

    /** Atomically replace {@code target} with {@code bytes}. */
    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    /** Atomically replace {@code target} with {@code text} in UTF-8. */
    public static void writeString(Path target, String text) throws IOException {
        writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Make a completed rename durable. Linux allows fsync on a directory opened read-only; some
     * platforms (Windows) do not, and there the rename is as durable as the OS makes it.
     */
    static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort: the file content itself was already forced before the rename
        }
    }

    /** Lets a body use try-with-resources on the stream without closing the file under us. */
    private static final class NonClosing extends FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len); // FilterOutputStream's default writes byte by byte
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
