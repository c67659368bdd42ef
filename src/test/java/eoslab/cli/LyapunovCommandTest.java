package eoslab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.dynamics.LyapunovTracker;
import eoslab.dynamics.qr.HouseholderQr;
import eoslab.io.Json;
import eoslab.io.SafetensorsReader;
import eoslab.linalg.DenseMatrix;
import eoslab.linalg.SymmetricEigen;
import eoslab.nn.HessianOperator;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import eoslab.train.TrainConfig;
import eoslab.train.Trainer;
import eoslab.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code eoslab lyapunov} end to end: known exponents (Hénon, GD on quadratics), the exact identity
 * between the tracker and a product of dense Jacobians for full-batch GD on a small network, the
 * issue's acceptance test (GD on linear regression: λ_i = ln|1 − ηα_i| to 1e-6 relative), the files,
 * the pullback mode and the one-line errors.
 */
class LyapunovCommandTest {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    /** Exit code, the exception the command threw (if any) and picocli's error text. */
    record Outcome(int rc, Exception error, String err) {
    }

    static Outcome run(String... args) {
        AtomicReference<Exception> caught = new AtomicReference<>();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new LyapunovCommand());
        cl.setErr(new PrintWriter(err));
        cl.setExecutionExceptionHandler((ex, c, pr) -> {   // what Main.handle sees
            caught.set(ex);
            return ex instanceof UserError || ex instanceof IllegalArgumentException ? 2 : 1;
        });
        PrintStream stdout = System.out;
        System.setOut(QUIET);
        try {
            return new Outcome(cl.execute(args), caught.get(), err.toString());
        } finally {
            System.setOut(stdout);
        }
    }

    static JsonNode ok(Path out, String... args) {
        List<String> a = new ArrayList<>(Arrays.asList(args));
        a.add("--out");
        a.add(out.toString());
        Outcome o = run(a.toArray(String[]::new));
        if (o.error() != null) throw new AssertionError("command failed: " + o.error(), o.error());
        assertEquals(0, o.rc(), o.err());
        return Json.readTree(out.resolve(a.contains("--pullback") ? LyapunovCommand.PULLBACK_JSON : LyapunovCommand.JSON));
    }

    static double[] doubles(JsonNode arr) {
        double[] v = new double[arr.size()];
        for (int i = 0; i < v.length; i++) v[i] = arr.get(i).asDouble();
        return v;
    }

    @Test
    void henonReproducesTheKnownExponentsAndWritesEveryFile(@TempDir Path tmp) throws Exception {
        JsonNode j = ok(tmp, "--system", "henon", "--steps", "20000", "--burn-in", "1000", "--record-every", "100");
        double[] l = doubles(j.get("exponents"));
        // Sprott 2003: 0.41922, −1.62319; a 20k-step finite-time estimate is within 0.02 (atol 0.02, rtol 0)
        assertEquals(0.41922, l[0], 0.02);
        assertEquals(-1.62319, l[1], 0.02);
        // λ_1 + λ_2 = ln|det J| = ln 0.3 at every step, so exactly up to rounding (atol 1e-10)
        assertEquals(Math.log(0.3), j.get("sum").asDouble(), 1e-10);
        assertEquals(1.25827, j.get("kaplan_yorke").get("dimension").asDouble(), 0.02);
        assertFalse(j.get("kaplan_yorke").get("k_too_small").asBoolean());
        assertTrue(j.get("note").asText().contains("contract"), j.get("note").asText());
        for (double se : doubles(j.get("std_errors"))) assertTrue(se > 0 && se < 0.02, "batch-means error " + se);
        assertEquals(21000, j.get("qr").get("count").asLong());
        assertEquals(0.41922, doubles(j.get("reference").get("exponents"))[0]);
        assertEquals(1000, j.get("settings").get("burn_in").asLong());

        List<String> csv = Files.readAllLines(tmp.resolve(LyapunovCommand.CSV));
        assertEquals("step,time,lambda_1,lambda_2", csv.getFirst());
        assertEquals(1 + 200, csv.size(), "one row per 100 measured steps");
        String[] last = csv.getLast().split(",");
        assertEquals("20000", last[0]);
        assertEquals(l[0], Double.parseDouble(last[2]), 1e-12, "the last running estimate is the final one");
        byte[] png = Files.readAllBytes(tmp.resolve(LyapunovCommand.PNG));
        assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G');
    }

    @Test
    void quadraticGdAndMomentumGiveTheExactExponents(@TempDir Path tmp) {
        // J constant: after burn-in the tracked exponents are ln|1 − ηα_i| (GD) and ln|μ| of the 2×2
        // blocks (momentum) up to the alignment error r^burnIn, r the largest ratio of successive |μ|
        // (atol 1e-9; here r ≤ 0.78, burn-in 400). For momentum β = 0.1 the blocks of α = 1, 3 have
        // real eigenvalues |μ| = 0.887, 0.645, 0.155, 0.113 and those of α = 8, 15 complex pairs with
        // |μ| = √β = 0.316: the top two are real and separated (ratio ≤ 0.73); a complex pair would
        // rotate and converge only like 1/T.
        JsonNode gd = ok(tmp.resolve("gd"), "--system", "quadratic", "--spectrum", "1,3,8,15", "--eta", "0.1",
                "--steps", "200", "--burn-in", "400");
        double[] exact = {Math.log(0.9), Math.log(0.7), Math.log(0.5), Math.log(0.2)};
        assertArrayEquals(exact, doubles(gd.get("exponents")), 1e-9);
        assertArrayEquals(exact, doubles(gd.get("reference").get("exponents")), 1e-15);
        JsonNode mom = ok(tmp.resolve("mom"), "--system", "quadratic", "--spectrum", "1,3,8,15", "--eta", "0.1",
                "--momentum", "0.1", "--k", "2", "--steps", "200", "--burn-in", "400", "--qr", "householder");
        double[] ref = LyapunovCommand.momentumExponents(new double[]{1, 3, 8, 15}, 0.1, 0.1);
        double s = Math.sqrt(1 - 0.4);   // α = 1: τ = 1, μ = (1 ± √(1 − 4β))/2
        assertEquals(Math.log((1 + s) / 2), ref[0], 1e-15);
        double[] got = doubles(mom.get("exponents"));
        for (int i = 0; i < 2; i++) assertEquals(ref[i], got[i], 1e-9, "momentum λ_" + (i + 1));
        assertEquals(2, mom.get("k").asInt());
        assertEquals(8, mom.get("dim").asInt(), "state (w, m)");
        assertFalse(mom.get("reference").has("sum"), "a sum over 2 of 8 exponents has no reference");
    }

    /** The training configuration the command parses from {@code args}, and the Trainer it builds. */
    static Trainer trainerOf(String... args) {
        LyapunovCommand c = new LyapunovCommand();
        new CommandLine(c).parseArgs(args);
        TrainConfig cfg = c.train.config("cpu");
        return new Trainer(cfg, CpuBackend.INSTANCE, QUIET);
    }

    /** H(w) as a dense (d, d) matrix, column by column from d HVPs in one batched pass. */
    static double[] denseHessian(Trainer tr, Tensor w) {
        Backend be = tr.be;
        int d = (int) tr.train.dim();
        double[] eye = new double[d * d];
        for (int i = 0; i < d; i++) eye[i * d + i] = 1;
        Tensor e = be.fromDoubles(DType.F64, eye), h = be.zeros(DType.F64, (long) d * d);
        new HessianOperator(tr.train, w, null).apply(e, h, d);
        return h.toDoubles(); // column i = H e_i; H symmetric, so read row-major as well
    }

    @Test
    void gdOnAnMlpMatchesTheQrOfTheProductOfDenseJacobians(@TempDir Path tmp) {
        // Full-batch GD: J_t = I − ηH(w_t). With burn-in 0 the tracker's Σ_t ln R_t,ii equals
        // ln R_ii of the QR of J_T ⋯ J_1 Q_0 (a product of triangular R's has the product diagonal),
        // so λ_i·T is exact up to rounding; checked for both QR methods.
        String[] train = {"--data", "gaussian:k=2,dim=3", "--n", "24", "--n-test", "8", "--hidden", "4", "--activation", "tanh",
                "--loss", "mse", "--optimizer", "gd", "--lr", "0.8", "--dtype", "f64", "--seed", "3"};
        int k = 3, steps = 12;
        Trainer tr = trainerOf(train);
        int d = (int) tr.opt.dim();
        Tensor x = tr.initial().x();
        double[] v = LyapunovTracker.randomOrthonormal(tr.be, tr.opt, d, k, 3).toDoubles(); // (k, d) = column-major (d, k)
        double eta = tr.opt.lr();
        for (int t = 0; t < steps; t++) {
            double[] h = denseHessian(tr, x);
            double[] nv = new double[d * k];
            for (int j = 0; j < k; j++)
                for (int r = 0; r < d; r++) {
                    double s = 0;
                    for (int c = 0; c < d; c++) s += h[r * d + c] * v[j * d + c];
                    nv[j * d + r] = v[j * d + r] - eta * s;
                }
            v = nv;
            tr.opt.step(t, x, null, 0);
        }
        double[] r = HouseholderQr.factorHost(v, d, k);
        for (String qr : List.of("householder", "cholqr2")) {
            List<String> a = new ArrayList<>(List.of(train));
            a.addAll(List.of("--k", "" + k, "--steps", "" + steps, "--burn-in", "0", "--segments", "2", "--qr", qr));
            JsonNode j = ok(tmp.resolve(qr), a.toArray(String[]::new));
            double[] l = doubles(j.get("exponents"));
            for (int i = 0; i < k; i++) {
                double ref = Math.log(r[i * k + i]) / steps;
                // atol 1e-12 + rtol 1e-9: float64 rounding through 12 steps of a 26-parameter network
                assertEquals(ref, l[i], 1e-12 + 1e-9 * Math.abs(ref), qr + ": λ_" + (i + 1));
            }
            assertEquals(d, j.get("map").get("parameters").asInt());
            assertEquals("gd", j.get("map").get("optimizer").asText());
        }
    }

    @Test
    void gdOnLinearRegressionTracksLnOneMinusEtaAlpha(@TempDir Path tmp) {
        // The acceptance test. A linear model with MSE has a constant Hessian H = (1/n) Σ x̃ x̃ᵀ
        // (x̃ = (x, 1) per output), so J = I − ηH and λ_i = ln|1 − ηα_i| for the k largest |1 − ηα_i|.
        String[] data = {"--data", "teacher:dim=5", "--n", "64", "--n-test", "8", "--hidden=", "--loss", "mse",
                "--optimizer", "gd", "--dtype", "f64", "--seed", "1"};
        Trainer tr = trainerOf(data);
        int d = (int) tr.opt.dim();
        assertEquals(6, d, "5 weights and a bias");
        double[] alpha = SymmetricEigen.eigenvalues(new DenseMatrix(d, d, denseHessian(tr, tr.initial().x())));
        double eta = 1.0 / alpha[0];
        double[] mu = new double[d];
        for (int i = 0; i < d; i++) mu[i] = Math.abs(1 - eta * alpha[i]);
        Arrays.sort(mu);
        int k = 3;
        double ratio = 0;   // slowest alignment rate of the top-k Oseledets directions
        for (int i = d - 1; i >= d - k; i--) ratio = Math.max(ratio, mu[i - 1] / mu[i]);
        assertTrue(ratio < 0.99, "data give well separated |1 − ηα|: ratio " + ratio);
        long burn = (long) Math.ceil(35 / -Math.log(ratio));   // ratio^burn < 1e-15

        List<String> a = new ArrayList<>(List.of(data));
        a.addAll(List.of("--lr", Double.toString(eta), "--k", "" + k, "--steps", "100", "--burn-in", "" + burn));
        JsonNode j = ok(tmp, a.toArray(String[]::new));
        double[] l = doubles(j.get("exponents"));
        for (int i = 0; i < k; i++) {
            double ref = Math.log(mu[d - 1 - i]);
            assertEquals(ref, l[i], 1e-15 + 1e-6 * Math.abs(ref), "λ_" + (i + 1) + " (rtol 1e-6)");
        }
        assertEquals(0, j.get("qr").get("fallbacks").asLong());
    }

    @Test
    void kTooSmallIsSaidInWords(@TempDir Path tmp) {
        // Lorenz with k = 1: λ_1 ≈ 0.9 > 0, so the one tracked exponent does not contract volume
        JsonNode j = ok(tmp, "--system", "lorenz", "--k", "1", "--steps", "2000", "--burn-in", "500", "--segments", "4");
        assertTrue(j.get("kaplan_yorke").get("k_too_small").asBoolean());
        assertTrue(j.get("note").asText().startsWith("k is too small"), j.get("note").asText());
        assertEquals("NaN", j.get("kaplan_yorke").get("std_error").asText(), "a lower bound has no std error");
        assertEquals(0.01, j.get("settings").get("dt").asDouble());
    }

    @Test
    void fromACheckpointStartsAtItsStep(@TempDir Path tmp) throws Exception {
        TrainConfig cfg = new TrainConfig("gaussian:k=2,dim=3", new int[0], 24, 8, null, "mlp", new int[]{4}, "tanh", true, 1.0,
                "mse", "momentum", 0.1, 0.9, 0, 0, 7, 2, 7, 1, 8, 1e-6, "f64", "cpu", 40, 0);
        Trainer t = new Trainer(cfg, CpuBackend.INSTANCE, QUIET);
        Path run = tmp.resolve("run");
        Files.createDirectories(run);
        t.run(t.initial(), run, null);
        JsonNode j = ok(tmp.resolve("ly"), "--from", run.toString(), "--k", "4", "--steps", "20", "--burn-in", "0", "--segments", "2");
        assertEquals(7, j.get("map").get("from_step").asLong());
        assertEquals(7, j.get("settings").get("t0").asLong());
        assertEquals(2 * t.model.numParams(), j.get("dim").asLong(), "momentum state (w, m)");
        assertEquals(4, j.get("exponents").size());
    }

    @Test
    void pullbackOfAQuadraticContractsAndKeepsTheCloud(@TempDir Path tmp) throws Exception {
        // GD on a quadratic is linear: the difference of two copies shrinks exactly like
        // (I − ηA)^T, so the diameter at T is at most max|1 − ηα|^T times the diameter at 0.
        JsonNode j = ok(tmp, "--system", "quadratic", "--spectrum", "1,3", "--eta", "0.1", "--pullback", "5",
                "--horizons", "0,10,20", "--spread", "1");
        JsonNode p = j.get("points");
        assertEquals(3, p.size());
        double d0 = p.get(0).get("diameter").asDouble();
        assertTrue(d0 > 0.5);
        for (int i = 1; i < 3; i++) {
            long T = p.get(i).get("horizon").asLong();
            double bound = Math.pow(0.9, T) * d0;
            double got = p.get(i).get("diameter").asDouble();
            assertTrue(got <= bound * (1 + 1e-12) && got >= Math.pow(0.7, T) * d0 * (1 - 1e-12), "T=" + T + ": " + got + " vs " + bound);
        }
        try (SafetensorsReader r = SafetensorsReader.open(tmp.resolve(LyapunovCommand.CLOUD))) {
            assertArrayEquals(new long[]{5, 2}, r.shape("cloud"));
            assertEquals("20", r.metadata().get("eoslab.horizon"));
        }
        assertTrue(Files.size(tmp.resolve(LyapunovCommand.PULLBACK_PNG)) > 1000);
    }

    @Test
    void pullbackOfATrainingConfigUsesIndependentInitializations(@TempDir Path tmp) throws Exception {
        JsonNode j = ok(tmp, "--data", "gaussian:k=2,dim=3", "--n", "24", "--n-test", "8", "--hidden", "4", "--optimizer", "sgd",
                "--batch-size", "8", "--lr", "0.1", "--dtype", "f64", "--pullback", "3", "--horizons", "0,5");
        assertEquals(2, j.get("points").size());
        assertTrue(j.get("points").get(1).get("drift").asDouble() > 0);
        try (SafetensorsReader r = SafetensorsReader.open(tmp.resolve(LyapunovCommand.CLOUD))) {
            assertArrayEquals(new long[]{3, 26}, r.shape("cloud"));
        }
    }

    @Test
    void badOptionsAreOneLineUserErrors(@TempDir Path tmp) {
        String out = tmp.toString();
        String[][] cases = {
                {"--system", "rossler"},
                {"--system", "henon", "--k", "3"},
                {"--system", "henon", "--lr", "0.1"},
                {"--system", "henon", "--eta", "0.1"},
                {"--system", "henon", "--steps", "10", "--segments", "11"},
                {"--system", "henon", "--steps", "10", "--qr-interval", "3"},
                {"--system", "henon", "--qr", "gram-schmidt"},
                {"--system", "quadratic", "--spectrum", "1,x"},
                {"--system", "henon", "--pullback", "4", "--k", "2"},
                {"--system", "henon", "--horizons", "1,2"},
                {"--system", "henon", "--pullback", "4", "--horizons", "10,5"},
                {"--from", tmp.resolve("nothing").toString()},
                {"--data", "gaussian:k=2,dim=3", "--hidden", "4", "--eta", "0.1"},
        };
        for (String[] c : cases) {
            List<String> a = new ArrayList<>(List.of(c));
            a.addAll(List.of("--out", out));
            Outcome o = run(a.toArray(String[]::new));
            assertEquals(2, o.rc(), Arrays.toString(c));
            assertInstanceOf(UserError.class, o.error(), Arrays.toString(c) + ": " + o.error());
            String msg = o.error().getMessage();
            assertFalse(msg.contains("\n"), msg);
            assertTrue(msg.startsWith("--"), "names the option: " + msg);
        }
        assertFalse(Files.exists(tmp.resolve(LyapunovCommand.JSON)), "no output after an error");

        // GD on a quadratic with |1 − ηα| = 10^4: over 100 steps without a QR the tangents overflow
        Outcome o = run("--system", "quadratic", "--spectrum", "1e5", "--eta", "0.1", "--qr-interval", "100", "--steps", "200",
                "--burn-in", "0", "--segments", "2", "--out", out);
        assertInstanceOf(UserError.class, o.error(), String.valueOf(o.error()));
        assertTrue(o.error().getMessage().contains("--qr-interval"), o.error().getMessage());
    }
}
