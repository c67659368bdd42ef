package eoslab.data;

import eoslab.util.UserError;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** File access shared by the loaders: existence, SHA256SUMS verification, transparent gunzip. */
final class DataFiles {
    static final String SUMS = "SHA256SUMS";

    private DataFiles() {
    }

    /**
     * The first of {@code candidates} (file names inside {@code dir}) that exists, else a
     * {@link UserError} listing every name tried and {@code hint}.
     */
    static Path find(Path dir, List<String> candidates, String what, String hint) {
        if (!Files.isDirectory(dir)) throw new UserError(dir + ": no such directory (" + what + "); " + hint);
        for (String c : candidates) {
            Path p = dir.resolve(c);
            if (Files.isRegularFile(p)) return p;
        }
        throw new UserError(dir + ": missing " + what + " (looked for " + String.join(", ", candidates) + "); " + hint);
    }

    /**
     * The bytes of {@code file}, gunzipped when they start with the gzip magic 1f 8b. When the
     * file's directory holds a {@code SHA256SUMS} file (format of {@code sha256sum}) that lists
     * it, the compressed bytes are checked against it first. With {@code sumsRequired}, a missing
     * {@code SHA256SUMS} or a file it does not list is an error too (used for the committed subset).
     */
    static byte[] read(Path file, boolean sumsRequired) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": missing file; check the path", e);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + e.getMessage() + "); check permissions", e);
        }
        verifyChecksum(file, raw, sumsRequired);
        if (raw.length >= 2 && (raw[0] & 0xFF) == 0x1F && (raw[1] & 0xFF) == 0x8B) return gunzip(file, raw);
        return raw;
    }

    private static byte[] gunzip(Path file, byte[] raw) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw), 1 << 16)) {
            return in.readAllBytes();
        } catch (EOFException e) {
            throw new UserError(file + ": gzip stream ends early (truncated download or copy); fetch the file again", e);
        } catch (ZipException e) {
            throw new UserError(file + ": corrupt gzip data (" + e.getMessage() + "); fetch the file again", e);
        } catch (IOException e) {
            throw new UserError(file + ": cannot decompress (" + e.getMessage() + "); fetch the file again", e);
        }
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static void verifyChecksum(Path file, byte[] raw, boolean required) {
        Path dir = file.toAbsolutePath().getParent();
        Path sums = dir.resolve(SUMS);
        String name = file.getFileName().toString();
        if (!Files.isRegularFile(sums)) {
            if (required) throw new UserError(sums + ": missing checksum file for " + name + "; restore it (git checkout datasets/)");
            return;
        }
        String expected = null;
        List<String> lines;
        try {
            lines = Files.readAllLines(sums);
        } catch (IOException e) {
            throw new UserError(sums + ": cannot read (" + e.getMessage() + ")", e);
        }
        for (String line : lines) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) continue;
            String[] parts = t.split("\\s+", 2);
            if (parts.length != 2) continue;
            String listed = parts[1].startsWith("*") ? parts[1].substring(1) : parts[1]; // '*' = binary mode in sha256sum
            if (listed.equals(name)) expected = parts[0].toLowerCase();
        }
        if (expected == null) {
            if (required) throw new UserError(sums + ": does not list " + name + "; regenerate the folder or restore it (git checkout datasets/)");
            return;
        }
        String actual = sha256(raw);
        if (!actual.equals(expected)) {
            throw new UserError(file + ": SHA-256 " + actual + " does not match " + expected + " in " + SUMS
                    + "; the file is damaged or was replaced: restore or fetch it again (committed subset: git checkout datasets/)");
        }
    }
}
