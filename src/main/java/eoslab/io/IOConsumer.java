package eoslab.io;

import java.io.IOException;

/** A consumer that may throw {@link IOException}, so file-writing lambdas need no try/catch. */
@FunctionalInterface
public interface IOConsumer<T> {
    void accept(T t) throws IOException;
}
