package eoslab.cli;

import eoslab.optim.DivergedException;
import eoslab.util.UserError;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * {@code eoslab}: the root command. Errors caused by the user (bad files, options, values) print
 * one line — what, where, what to do — and exit 2; a diverged run exits 3; anything else is a bug
 * and exits 1 with one line, or the full stack trace with {@code --debug} / {@code EOSLAB_DEBUG=1}.
 */
@Command(name = "eoslab", mixinStandardHelpOptions = true, version = "eoslab 0.1.0",
        description = "Train networks while measuring their curvature; edge-of-stability research.",
        subcommands = {DemoCommand.class, TrainCommand.class, HessianCommand.class, LyapunovCommand.class, BranchCommand.class, GrokCommand.class, SdCommand.class, SweepCommand.class, PlotCommand.class, DoctorCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        int rc;
        try {
            rc = execute(args);
        } catch (OutOfMemoryError oom) {
            // picocli hands only Exceptions to the handler; a heap too small for the model is the user's to fix
            if (debug()) oom.printStackTrace();
            System.err.println("eoslab: error: out of Java heap (" + oom.getMessage() + ", max heap " + (Runtime.getRuntime().maxMemory() >> 20)
                    + " MiB): raise it with EOSLAB_JAVA_OPTS=-Xmx<size> (e.g. -Xmx16g), or use a smaller --batch-size, --seq-len or --chunk");
            rc = 2;
        }
        System.exit(rc);
    }

    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(Main::handle);
        cl.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = stderr();
            err.println("eoslab: error: " + ex.getMessage());
            err.println("run '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for the options");
            err.flush();
            return 2;
        });
        return cl;
    }

    /** Diagnostics go to the process's standard error as it is now (tests may redirect it). */
    static PrintWriter stderr() {
        return new PrintWriter(System.err, true);
    }

    static boolean debug() {
        return "1".equals(System.getenv("EOSLAB_DEBUG")) || Boolean.getBoolean("eoslab.debug");
    }

    private static int handle(Exception ex, CommandLine cl, CommandLine.ParseResult pr) {
        PrintWriter err = stderr();
        try {
            return report(ex, err);
        } finally {
            err.flush();
        }
    }

    private static int report(Exception ex, PrintWriter err) {
        Throwable e = ex;
        if (debug()) ex.printStackTrace(err);
        // no usable GPU for --device cuda is the user's setup, said in the message, not a bug
        if (e instanceof UserError || e instanceof IllegalArgumentException || e instanceof eoslab.backend.cuda.CudaUnavailableException) {
            err.println("eoslab: error: " + e.getMessage());
            return 2;
        }
        if (e instanceof DivergedException) {
            err.println("eoslab: " + e.getMessage());
            return 3;
        }
        if (e instanceof java.io.IOException io) {
            err.println("eoslab: error: " + io.getClass().getSimpleName() + ": " + io.getMessage());
            return 2;
        }
        err.println("eoslab: internal error: " + e + " (rerun with --debug for the stack trace, and please report it)");
        return 1;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
