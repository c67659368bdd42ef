package eoslab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import eoslab.backend.CpuBackend;
import eoslab.gpt.GptObjective;
import eoslab.gpt.GptTrainer;
import eoslab.gpt.TextBatches;
import eoslab.io.Json;
import eoslab.sd.Kendall;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static eoslab.cli.CliErrorTest.oneLineError;
import static eoslab.cli.CliErrorTest.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code eoslab sweep --model gpt-tiny}: the paper's grids on a 1-block GPT on bytes — an SGD η × b
 * grid and an AdamW weight-decay axis — with the report's numbers checked against the checkpoints
 * and the correlation table against Kendall's τ of the report's own columns.
 */
class GptSweepCommandTest {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    static List<String> sweep(Path text, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("sweep", "--model", "gpt-tiny", "--layers", "1", "--channels", "16", "--heads", "2",
                "--data", "text:" + text, "--tokenizer", "bytes", "--seq-len", "8", "--steps", "6", "--log-every", "3",
                "--val-batches", "2", "--batches", "2", "--sd-lanczos-steps", "10", "--quantiles", "40", "--bins", "20",
                "--trace-probes", "4", "--seed", "1", "--out", out.toString()));
        a.addAll(List.of(extra));
        return a;
    }

    static void ok(List<String> args) {
        CliErrorTest.Run r = run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void sgdLearningRateByBatchSizeGrid(@TempDir Path tmp) throws Exception {
        Path text = GptTrainCommandTest.corpus(tmp), out = tmp.resolve("sweep");
        ok(sweep(text, out, "--optimizer", "sgd", "--lrs", "0.3,1", "--batch-sizes", "4,8"));
        JsonNode rep = Json.readTree(out.resolve("report.json"));
        assertEquals(4, rep.get("runs").size());
        List<String> csv = Files.readAllLines(out.resolve("report.csv"));
        assertEquals(5, csv.size(), "header + 4 runs");
        assertFalse(csv.getFirst().contains("weight_decay"), "no weight-decay axis in this grid");
        double[] lr = new double[4], bs = new double[4], sdPs = new double[4], gap = new double[4];
        for (int i = 0; i < 4; i++) {
            JsonNode r = rep.get("runs").get(i), a = r.get("analysis");
            assertEquals("ok", r.get("status").asText());
            assertEquals(32, a.get("batch_sharpness_batches").asInt());
            assertTrue(Double.isFinite(a.get("batch_sharpness").asDouble()), "batch sharpness of run " + i);
            lr[i] = r.get("lr").asDouble();
            bs[i] = r.get("batch_size").asDouble();
            sdPs[i] = a.get("sd").get("ps").get("sd").asDouble();
            gap[i] = a.get("loss_gap").asDouble();
            double d = a.get("d").asDouble();
            assertEquals(7664, d, "1 block, C = 16, V = 256");
            assertTrue(sdPs[i] >= 0 && sdPs[i] <= d, "SD-PS in [0, d]");
            assertEquals(a.get("test_loss").asDouble() - a.get("train_loss").asDouble(), gap[i], 1e-12);
            // the reported train loss is the final checkpoint's, over the first val-batches training windows
            Path ck = out.resolve(r.get("dir").asText()).resolve("checkpoint.safetensors");
            GptTrainer tr = new GptTrainer(GptTrainer.configOf(ck), CpuBackend.INSTANCE, QUIET);
            assertEquals(6, tr.loadCheckpoint(ck).step());
            assertEquals(lr[i], tr.cfg.lr());
            assertEquals((int) bs[i], tr.cfg.batchSize());
            var w = tr.opt.params(tr.loadCheckpoint(ck).x());
            GptObjective f = new GptObjective(CpuBackend.INSTANCE, tr.cfg.dtype(), tr.model,
                    new TextBatches(tr.data.train(), (int) bs[i], 8, 1), 1);
            double ref = f.meanLossAndAccuracy(w, 2, false)[0];
            assertEquals(ref, a.get("train_loss").asDouble(), 1e-6 * Math.abs(ref), "train loss of " + r.get("dir").asText());
        }
        assertEquals(List.of(0.3, 0.3, 1.0, 1.0), Arrays.stream(lr).boxed().toList(), "η outer, b inner");
        // the correlation rows are Kendall's coefficients of the report's own columns
        JsonNode c = null;
        for (JsonNode x : rep.get("correlations")) if (x.get("measure").asText().equals("sd_ps") && x.get("gap").asText().equals("loss_gap")) c = x;
        assertNotNull(c);
        Kendall.Granulated k = Kendall.granulated(lr, bs, sdPs, gap);
        assertEquals(k.tau(), c.get("tau").asDouble(Double.NaN), 0);
        assertEquals(12, rep.get("correlations").size(), "(sd_kde, sd_ps, λ_max, trace, batch sharpness, √(d/n)) × (error, loss gap)");
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("| sd_ps | loss_gap |") && !md.contains("psi_WD"), md);
        assertTrue(Files.exists(out.resolve("sd_ps_vs_gap.png")));
    }

    @Test
    void adamwWeightDecayAxis(@TempDir Path tmp) throws Exception {
        Path text = GptTrainCommandTest.corpus(tmp), out = tmp.resolve("sweep");
        ok(sweep(text, out, "--optimizer", "adamw", "--lrs", "0.01", "--batch-sizes", "4", "--weight-decays", "0,0.5", "--methods", "ps"));
        for (String dir : List.of("lr_0.01_bs_4_wd_0", "lr_0.01_bs_4_wd_0.5")) {
            JsonNode cfg = Json.readTree(out.resolve(dir).resolve("config.json"));
            assertEquals("adamw", cfg.get("optimizer").asText());
            assertEquals(dir.endsWith("0.5") ? 0.5 : 0.0, cfg.get("weight_decay").asDouble());
        }
        List<String> csv = Files.readAllLines(out.resolve("report.csv"));
        assertTrue(csv.getFirst().startsWith("lr,batch_size,weight_decay,status"), csv.getFirst());
        JsonNode rep = Json.readTree(out.resolve("report.json"));
        JsonNode a0 = rep.get("runs").get(0).get("analysis"), a1 = rep.get("runs").get(1).get("analysis");
        assertNotEquals(a0.get("train_loss").asDouble(), a1.get("train_loss").asDouble(), "decoupled weight decay changes the run");
        assertEquals(0.5, a1.get("sd_jacobian").get("weight_decay").asDouble());
        assertTrue(rep.get("correlations").get(0).has("psi_wd"));
        assertTrue(Files.readString(out.resolve("report.md")).contains("psi_WD"));
    }

    @Test
    void preconditionedSdIsTheSdOfPInvHalfHPInvHalf(@TempDir Path tmp) throws Exception {
        // AdamW: --preconditioned-sd takes SD-PS from P^{-1/2} H_B P^{-1/2} with P = diag(√v̂ + ε) of the final
        // state; rebuilt here by hand from the checkpoint's v and the SD settings the sweep used
        Path text = GptTrainCommandTest.corpus(tmp), out = tmp.resolve("sweep");
        ok(sweep(text, out, "--optimizer", "adamw", "--lrs", "0.01", "--batch-sizes", "4", "--methods", "ps", "--preconditioned-sd"));
        JsonNode a = Json.readTree(out.resolve("report.json")).get("runs").get(0).get("analysis");
        assertTrue(a.get("sd_hessian").asText().startsWith("P^-1/2 H_B P^-1/2"));
        Path ck = out.resolve("lr_0.01_bs_4").resolve("checkpoint.safetensors");
        GptTrainer tr = new GptTrainer(GptTrainer.configOf(ck), CpuBackend.INSTANCE, QUIET);
        var st = tr.loadCheckpoint(ck);
        int d = tr.model.numParams();
        double[] x = st.x().toDoubles(), sc = new double[d];
        double c2 = 1 - Math.pow(0.95, 6);
        for (int i = 0; i < d; i++) sc[i] = 1 / Math.sqrt(Math.sqrt(x[2 * d + i] / c2) + 1e-8);
        var be = CpuBackend.INSTANCE;
        var scale = be.fromDoubles(tr.cfg.dtype(), sc);
        var w = tr.opt.params(st.x());
        GptObjective f = new GptObjective(be, tr.cfg.dtype(), tr.model, new TextBatches(tr.data.train(), 4, 8, 1), 1);
        var so = new eoslab.sd.SdOptions(eoslab.sd.SdOptions.Method.PS, 2, 4, 10, 1e-8, 40, 20, 0, 1, 16);
        var jac = new eoslab.sd.UpdateJacobian(0.01, 0, 0);
        double pre = eoslab.sd.SdEstimators.estimate(i -> GptTrainer.preconditioned(f.hessian(w, i), scale), jac, so).sd();
        double plain = eoslab.sd.SdEstimators.estimate(i -> f.hessian(w, i), jac, so).sd();
        // float32 run: the hand-built scale rounds like the sweep's, so agreement is to rounding of the Lanczos runs
        assertEquals(pre, a.get("sd").get("ps").get("sd").asDouble(), 1e-6 * d);
        assertTrue(Math.abs(pre - plain) > 1, "preconditioning changes the spectrum: " + pre + " vs " + plain);
    }

    @Test
    void badSweepsAreOneLineErrors(@TempDir Path tmp) throws Exception {
        Path text = GptTrainCommandTest.corpus(tmp);
        // gpt-tiny on bytes has d = 34,176 > the dense limit of --methods exact: refused before training
        List<String> a = new ArrayList<>(List.of("sweep", "--model", "gpt-tiny", "--data", "text:" + text, "--tokenizer", "bytes", "--seq-len", "8",
                "--lrs", "0.1", "--batch-sizes", "4", "--methods", "exact", "--out", tmp.resolve("x").toString()));
        oneLineError(run(a.toArray(String[]::new)), "exact", "34176");
        oneLineError(run("sweep", "--lrs", "0.1", "--batch-sizes", "4", "--weight-decays", "0,0.1", "--out", tmp.resolve("y").toString()),
                "--weight-decays", "GPT");
        oneLineError(run(sweep(text, tmp.resolve("z"), "--lrs", "0.1", "--batch-sizes", "4,6", "--accum", "4").toArray(String[]::new)),
                "--batch-size 6", "--accum 4");
        assertFalse(Files.exists(tmp.resolve("z")), "the grid is validated before any run");
        oneLineError(run(sweep(text, tmp.resolve("p"), "--optimizer", "sgd", "--lrs", "0.1", "--batch-sizes", "4", "--preconditioned-sd")
                .toArray(String[]::new)), "preconditioned", "adamw");
    }
}
