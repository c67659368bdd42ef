package eoslab.util;

/**
 * An error caused by the user's input (a file, an option, a value). The CLI prints its message as
 * one line — what is wrong, where, and what to do — and exits non-zero, without a stack trace.
 */
public final class UserError extends RuntimeException {
    public UserError(String message) {
        super(message);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
    }
}
