package eoslab.cli;

import eoslab.backend.Backend;
import eoslab.io.Plots;
import eoslab.train.EosSummary;
import eoslab.train.RunReport;
import eoslab.train.TrainConfig;
import eoslab.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code eoslab demo}: the main job on the committed data. Full-batch GD with MSE on an MLP from
 * initialisation into the edge of stability (Cohen et al. 2021): λ_max rises (progressive
 * sharpening), reaches 2/η, and then hovers there while the loss keeps falling non-monotonically.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Full-batch GD on the committed Fashion-MNIST subset, from initialisation into the edge of stability.",
                "Prints where λ_max crossed 2/η and how closely it hovered there; writes the run and its plots to --out."})
public final class DemoCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;
    @Option(names = "--out", defaultValue = "runs/demo", description = "output directory (default: ${DEFAULT-VALUE})")
    Path out;
    @Option(names = "--steps", defaultValue = "1200", description = "GD steps (default: ${DEFAULT-VALUE})")
    long steps;
    @Option(names = "--lr", defaultValue = "0.1", description = "learning rate η (default: ${DEFAULT-VALUE})")
    double lr;
    @Option(names = "--seed", defaultValue = "0", description = "seed (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--no-progress", description = "no progress bar")
    boolean noProgress;
    @Option(names = "--force", description = "overwrite what --out holds (a new demo replaces the one in the default runs/demo without it)")
    boolean force;

    /** The demo's run: MLP 784-128-128-2 tanh, MSE, full-batch GD, λ_max every 10 steps. */
    static TrainConfig preset(long steps, double lr, long seed, String device) {
        return new TrainConfig("fashion-mnist", new int[0], 1000, 500, null, "mlp", new int[]{128, 128}, "tanh", true, 1.0,
                "mse", "gd", lr, 0.9, 0, 0, steps, seed, 10, 1, 30, 1e-4, "f32", device, 4096, 500);
    }

    @Override
    public Integer call() throws Exception {
        Backend be = common.open();
        Trainer tr = new Trainer(preset(steps, lr, seed, common.device), be, System.err);
        TrainCommand.prepareFresh(out, force, out.normalize().equals(Path.of("runs", "demo")));
        EosSummary s = RunReport.run(tr, tr.initial(), out, !noProgress, System.out);
        if (Plots.available()) System.out.println("eoslab: plots: " + out.resolve(RunReport.SHARPNESS_PNG) + ", " + out.resolve(RunReport.LOSS_PNG));
        return s.reached() ? 0 : 4;
    }
}
