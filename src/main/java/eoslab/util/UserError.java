package eoslab.util;

/**
 * An error caused by the user's input (a file, an option, a value). The CLI prints its message as
 * one line — what is wrong, where, and what to do — and exits non-zero, without a stack trace.
 */
public final class UserError extends RuntimeException {
    public UserError(String message) {
        super(oneLine(message));
    }

    public UserError(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    /** The CLI prints the message as a single line: line breaks become spaces. */
    private static String oneLine(String s) {
        return s == null ? null : s.replaceAll("\\s*\\R\\s*", " ");
    }
}
