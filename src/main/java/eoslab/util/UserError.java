package eoslab.util;

public final class UserError extends RuntimeException {
    public UserError(String msg) {
        super(msg);
    }

    public UserError(String msg, Throwable cause) {
        super(msg, cause);
    }
}
