package eoslab.io;

import java.nio.file.Path;

/** Child process for {@link AtomicFilesTest}: rewrites a file forever, each version a different byte value. */
public final class AtomicFilesCrashChild {
    static final int SIZE = 4 << 20; // 4 MiB, so a kill often lands mid-write

    public static void main(String[] args) throws Exception {
        Path f = Path.of(args[0]);
        byte[] chunk = new byte[1 << 16];
        for (int v = 0; ; v++) {
            byte val = (byte) v;
            java.util.Arrays.fill(chunk, val);
            AtomicFiles.write(f, out -> {
                for (int done = 0; done < SIZE; done += chunk.length) out.write(chunk);
            });
        }
    }
}
