package eoslab.cli;

import eoslab.backend.Backend;
import eoslab.backend.Backends;
import eoslab.backend.GemmPrecision;
import eoslab.util.Parallel;
import eoslab.util.UserError;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Options every command shares: the device, GEMM precision, CPU threads, debug output. */
public final class CommonOptions {
    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or auto (default: ${DEFAULT-VALUE}); cuda fails if no GPU is usable")
    String device;

    @Option(names = "--precision", defaultValue = "f32", paramLabel = "f32|tf32|bf16",
            description = "arithmetic of float32 matrix products (default: ${DEFAULT-VALUE}): tf32 or bf16 round the two GEMM "
                    + "inputs (tensor cores on the GPU) and accumulate in float32; weights, optimizer state and all other ops stay float32")
    String precision;

    @Option(names = "--threads", description = "CPU threads (default: all cores)")
    Integer threads;

    @Option(names = "--debug", description = "print stack traces on errors")
    void setDebug(boolean on) {
        if (on) System.setProperty("eoslab.debug", "true");
    }

    /** The command this mixin is part of, to see its --dtype (null when not built by picocli). */
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    /** --precision, checked against the command's --dtype: a reduced precision only changes F32 GEMMs. */
    GemmPrecision precision() {
        GemmPrecision p = GemmPrecision.parse(precision);
        OptionSpec dtype = mixee == null ? null : mixee.findOption("--dtype");
        Object d = dtype == null ? null : dtype.getValue();
        if (p != GemmPrecision.F32 && d != null && d.toString().trim().equalsIgnoreCase("f64")) {
            throw new UserError("--precision " + p.label + " rounds float32 matrix products only; with --dtype f64 it would change nothing"
                    + " (use --dtype f32, or drop --precision)");
        }
        return p;
    }

    /** Apply the thread count and open the chosen backend at the chosen GEMM precision, logging both to stderr. */
    Backend open() {
        if (threads != null) {
            if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
            Parallel.setThreads(threads);
        }
        GemmPrecision p = precision();
        Backend be = Backends.select(device);
        be.setGemmPrecision(p);
        System.err.println("eoslab: device " + be.name() + (be.name().equals("cpu") ? " (" + Parallel.threads() + " threads)" : "")
                + ", gemm precision " + p.label);
        return be;
    }
}
