package eoslab.cli;

import eoslab.util.Parallel;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code eoslab doctor}: what eoslab can use on this machine, and a parity check of the GPU against the CPU. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Print the JVM, CPU and CUDA setup; on a GPU, check every kernel against the CPU backend.")
public final class DoctorCommand implements Callable<Integer> {
    @picocli.CommandLine.Option(names = "--debug", description = "print stack traces on errors")
    void setDebug(boolean on) {
        if (on) System.setProperty("eoslab.debug", "true");
    }

    @Override
    public Integer call() {
        System.out.println("java      " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")");
        System.out.println("cpu       " + Runtime.getRuntime().availableProcessors() + " cores, " + Parallel.threads() + " threads in use, vector species "
                + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED);
        System.out.println("memory    max heap " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
        return eoslab.backend.cuda.CudaDoctor.run(System.out, 0);
    }
}
