package eoslab.cli;

import eoslab.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Stream;

/** Where a command may write: never over another result, or among another command's files, unasked. */
final class OutDirs {
    private OutDirs() {
    }

    /**
     * Checks {@code out} before anything is written. A missing or empty directory is fine. One that
     * holds only {@code own} files (an earlier result of the same command) is replaced with
     * {@code force}; one holding other files needs {@code force}. With {@code replaceOwn} (the demo's
     * own default directory) the earlier result is replaced and other files (a density plot of it,
     * say) are left where they are. Creates the directory. {@code also} (may be empty) is offered next to
     * --force when the directory holds an earlier result, e.g. "--resume DIR to continue it, ".
     */
    static void claim(Path out, boolean force, boolean replaceOwn, Set<String> own, String what, String also) throws IOException {
        if (Files.exists(out) && !Files.isDirectory(out)) throw new UserError("--out " + out + ": exists and is not a directory");
        if (Files.isDirectory(out) && !force && !replaceOwn) {
            String foreign = null;
            boolean any = false;
            try (Stream<Path> s = Files.list(out)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    any = true;
                    String name = p.getFileName().toString();
                    if (!own.contains(name) && foreign == null) foreign = name;
                }
            }
            if (foreign != null) {
                throw new UserError("--out " + out + ": holds other files (" + foreign + ", …), not a " + what + "; choose another --out, or --force to write among them");
            }
            if (any) throw new UserError("--out " + out + ": already holds a " + what + "; use " + also + "--force to overwrite it, or another --out");
        }
        Files.createDirectories(out);
    }
}
