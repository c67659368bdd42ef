package eoslab.cli;

import eoslab.backend.Backend;
import eoslab.backend.Backends;
import eoslab.util.Parallel;
import picocli.CommandLine.Option;

/** Options every command shares: the device, CPU threads, debug output. */
public final class CommonOptions {
    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or auto (default: ${DEFAULT-VALUE}); cuda fails if no GPU is usable")
    String device;

    @Option(names = "--threads", description = "CPU threads (default: all cores)")
    Integer threads;

    @Option(names = "--debug", description = "print stack traces on errors")
    void setDebug(boolean on) {
        if (on) System.setProperty("eoslab.debug", "true");
    }

    /** Apply the thread count and open the chosen backend, logging the choice to stderr. */
    Backend open() {
        if (threads != null) {
            if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
            Parallel.setThreads(threads);
        }
        Backend be = Backends.select(device);
        System.err.println("eoslab: device " + be.name() + (be.name().equals("cpu") ? " (" + Parallel.threads() + " threads)" : ""));
        return be;
    }
}
