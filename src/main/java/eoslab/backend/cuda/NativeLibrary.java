package eoslab.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One shared library opened with {@link SymbolLookup#libraryLookup} (dlopen) under the first of
 * several names that loads, plus the downcall handles bound to it. A missing library is not an
 * error until one of its functions is called: then the call throws a
 * {@link CudaUnavailableException} that names the library and the names that were tried. This keeps
 * the binding classes loadable (and testable) on machines without CUDA.
 */
final class NativeLibrary {
    private static final Linker LINKER = Linker.nativeLinker();

    /** What the library is, for messages ("CUDA driver", "cuBLAS"). */
    final String what;
    /** The dlopen names tried, in order. */
    final List<String> names;
    /** The name that loaded, or null. */
    final String loadedName;
    /** Why none loaded (the last dlopen error), or null. */
    final String failure;
    private final SymbolLookup lookup;
    private final List<Binding> bindings = new ArrayList<>();

    private NativeLibrary(String what, List<String> names, String loadedName, String failure, SymbolLookup lookup) {
        this.what = what;
        this.names = names;
        this.loadedName = loadedName;
        this.failure = failure;
        this.lookup = lookup;
    }

    /**
     * Directory searched before the system's library path: {@code -Deoslab.cuda.libpath=DIR}
     * (for CUDA installs outside ld.so's path, and for the host emulator in native/emulator).
     */
    static final String LIBPATH_PROPERTY = "eoslab.cuda.libpath";

    /** Open the first of {@code names} that loads; never throws. The library stays loaded for the JVM's life. */
    static NativeLibrary open(String what, String... names) {
        String failure = null;
        String dir = System.getProperty(LIBPATH_PROPERTY);
        List<String> tries = new ArrayList<>();
        if (dir != null && !dir.isBlank()) {
            for (String n : names) tries.add(java.nio.file.Path.of(dir, n).toAbsolutePath().toString());
        }
        tries.addAll(List.of(names));
        for (String n : tries) {
            try {
                SymbolLookup l = n.startsWith("/") ? SymbolLookup.libraryLookup(java.nio.file.Path.of(n), Arena.global())
                        : SymbolLookup.libraryLookup(n, Arena.global());
                return new NativeLibrary(what, List.of(names), n, null, l);
            } catch (IllegalArgumentException | IllegalCallerException e) {
                failure = e.getMessage();
            }
        }
        return new NativeLibrary(what, List.of(names), null, failure, null);
    }

    boolean loaded() {
        return lookup != null;
    }

    /** Throw the user-facing message when the library is missing. */
    void require() {
        if (lookup == null) throw new CudaUnavailableException(missingMessage());
    }

    String missingMessage() {
        return what + " library not found (tried " + String.join(", ", names) + "): install it or add its directory to LD_LIBRARY_PATH";
    }

    /**
     * Bind {@code symbol} with the C prototype it has in the vendor header (kept as text for the
     * tests that check the descriptor against it) and the matching descriptor.
     */
    Binding bind(String symbol, String prototype, FunctionDescriptor descriptor) {
        MethodHandle h = null;
        if (lookup != null) {
            h = lookup.find(symbol).map(addr -> LINKER.downcallHandle(addr, descriptor)).orElse(null);
        }
        Binding b = new Binding(this, symbol, prototype, descriptor, h);
        bindings.add(b);
        return b;
    }

    List<Binding> bindings() {
        return Collections.unmodifiableList(bindings);
    }

    /** Rethrow what {@code invokeExact} threw (it declares Throwable). */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    /** One bound C function. {@code handle()} throws the clear message when the library or symbol is missing. */
    record Binding(NativeLibrary library, String symbol, String prototype, FunctionDescriptor descriptor, MethodHandle mh) {
        MethodHandle handle() {
            if (mh != null) return mh;
            library.require();
            throw new CudaUnavailableException(symbol, -1, "symbol " + symbol + " not found in " + library.loadedName
                    + " (" + library.what + " too old?)");
        }

        boolean present() {
            return mh != null;
        }
    }
}
