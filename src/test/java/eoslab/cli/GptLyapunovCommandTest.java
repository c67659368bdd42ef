package eoslab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.dynamics.LyapunovTracker;
import eoslab.dynamics.qr.HouseholderQr;
import eoslab.gpt.GptTrainer;
import eoslab.io.Json;
import eoslab.sd.SdEstimators;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static eoslab.cli.CliErrorTest.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code eoslab lyapunov --from GPT_CHECKPOINT}: the tracker on a GPT-2 run's optimizer map. For SGD
 * J_t = I − η(H_{B_t}(w_t) + λI) with H_{B_t} the Hessian of step t's text windows; with burn-in 0 the
 * tracker's Σ_t ln R_t,ii equals ln R_ii of the QR of J_{t0+T−1} ⋯ J_{t0} Q_0 (products of triangular
 * factors multiply their diagonals), which this test forms from dense Hessians of a micro GPT
 * (d = 1292) in float64.
 */
class GptLyapunovCommandTest {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    /** A 1-block, 1-head, C = 4, context 4 GPT on bytes, trained 2 steps, float64. */
    static Path train(Path tmp, String optimizer) throws Exception {
        Path text = GptTrainCommandTest.corpus(tmp), out = tmp.resolve(optimizer);
        CliErrorTest.Run r = run("train", "--model", "gpt-tiny", "--layers", "1", "--heads", "1", "--channels", "4", "--context", "4",
                "--data", "text:" + text, "--tokenizer", "bytes", "--batch-size", "2", "--optimizer", optimizer, "--lr", optimizer.equals("sgd") ? "0.5" : "0.01",
                "--weight-decay", "0.01", "--steps", "2", "--log-every", "1", "--val-batches", "1", "--dtype", "f64", "--seed", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        return out;
    }

    static JsonNode lyapunov(Path from, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("lyapunov", "--from", from.toString(), "--out", out.toString()));
        a.addAll(List.of(extra));
        CliErrorTest.Run r = run(a.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        return Json.readTree(out.resolve(LyapunovCommand.JSON));
    }

    @Test
    void sgdExponentsAreTheQrOfTheProductOfDenseJacobians(@TempDir Path tmp) throws Exception {
        Path run = train(tmp, "sgd");
        int k = 3, steps = 4;
        long seed = 5;
        JsonNode j = lyapunov(run, tmp.resolve("ly"), "--k", "" + k, "--steps", "" + steps, "--burn-in", "0", "--segments", "2",
                "--qr", "householder", "--seed", "" + seed);
        Path ck = run.resolve("checkpoint.safetensors");
        GptTrainer tr = new GptTrainer(GptTrainer.configOf(ck), CpuBackend.INSTANCE, QUIET);
        Backend be = tr.be;
        int d = tr.model.numParams();
        assertEquals(1292, d);
        assertEquals(d, j.get("dim").asLong(), "SGD's state is w");
        assertEquals(2, j.get("map").get("from_step").asLong());
        Tensor x = tr.loadCheckpoint(ck).x();
        double eta = tr.cfg.lr(), wd = tr.cfg.weightDecay();
        double[] v = LyapunovTracker.randomOrthonormal(be, tr.opt, d, k, seed).toDoubles(); // (k, d)
        for (long t = 2; t < 2 + steps; t++) {
            double[] h = SdEstimators.dense(tr.train.hessian(x, t), 128).a; // H_{B_t}(w_t), (d, d) symmetric
            double[] nv = new double[d * k];
            for (int q = 0; q < k; q++) {
                for (int r = 0; r < d; r++) {
                    double s = 0;
                    for (int c = 0; c < d; c++) s += h[r * d + c] * v[q * d + c];
                    nv[q * d + r] = v[q * d + r] - eta * (s + wd * v[q * d + r]);
                }
            }
            v = nv;
            tr.opt.step(t, x, null, 0);
        }
        double[] r = HouseholderQr.factorHost(v, d, k);
        for (int i = 0; i < k; i++) {
            double ref = Math.log(Math.abs(r[i * k + i])) / steps, got = j.get("exponents").get(i).asDouble();
            // float64 rounding through 4 steps of d = 1292: atol 1e-12 + rtol 1e-8
            assertEquals(ref, got, 1e-12 + 1e-8 * Math.abs(ref), "λ_" + (i + 1));
        }
        assertTrue(j.get("exponents").get(0).asDouble() > j.get("exponents").get(k - 1).asDouble());
    }

    @Test
    void adamwTracksTheFullStateMap(@TempDir Path tmp) throws Exception {
        Path run = train(tmp, "adamw");
        JsonNode j = lyapunov(run, tmp.resolve("ly"), "--k", "4", "--steps", "4", "--burn-in", "2", "--segments", "2");
        assertEquals(3 * 1292, j.get("dim").asLong(), "AdamW's state is (w, m, v)");
        assertEquals("adamw", j.get("map").get("optimizer").asText());
        assertEquals(2, j.get("settings").get("t0").asLong(), "the noise continues from the checkpoint's step");
        for (JsonNode e : j.get("exponents")) assertTrue(Double.isFinite(e.asDouble()));
        assertEquals(4, j.get("exponents").size());
        // (the AdamW tangent map itself is checked against finite differences in eoslab.gpt.AdamWJvpTest)
    }
}
