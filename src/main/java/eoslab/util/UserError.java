package eoslab.util;

/**
 * An error caused by the user's input (a file, an option, a spec string), not by a bug in eoslab.
 * The CLI prints {@link #getMessage()} as one line, without a stack trace, and exits non-zero.
 *
 * <p>Write the message so the user can act on it without reading code: say <b>what</b> is wrong,
 * <b>where</b> (the file path or the option name) and <b>what to do</b>, e.g.
 * {@code "datasets/x/train-labels-idx1-ubyte.gz: 1999 labels for 2000 images; the two files are from
 * different sets, use the matching pair"}. The message must not contain line breaks.
 */
public final class UserError extends RuntimeException {

    public UserError(String message) {
        super(oneLine(message));
    }

    /** Keeps the low-level cause (e.g. the {@link java.io.IOException}) for debugging with {@code --verbose}. */
    public UserError(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    private static String oneLine(String m) {
        return m == null ? "invalid input" : m.replace("\r\n", " ").replace('\n', ' ').replace('\r', ' ');
    }
}
