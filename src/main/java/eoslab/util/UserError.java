package eoslab.util;

/**
 * An error caused by the user's input (a file, an option, a config value), not by a bug in eoslab.
 * The message is one line that names the offending file or option and the problem; the CLI prints
 * it without a stack trace.
 */
public final class UserError extends RuntimeException {
    public UserError(String msg) {
        super(msg);
    }

    public UserError(String msg, Throwable cause) {
        super(msg, cause);
    }
}
