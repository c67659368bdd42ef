package eoslab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import eoslab.backend.CpuBackend;
import eoslab.io.Json;
import eoslab.linalg.DenseMatrix;
import eoslab.linalg.SymmetricEigen;
import eoslab.sd.SdEstimators;
import eoslab.tensor.Tensor;
import eoslab.train.TrainConfig;
import eoslab.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code eoslab hessian} on a trained checkpoint against independent computations on the same
 * small model's full Hessian, assembled densely from d exact HVPs and eigendecomposed.
 */
class HessianCommandTest {
    @Test
    void curvatureOfACheckpointMatchesTheDenseHessian(@TempDir Path dir) throws Exception {
        // float64 so the dense reference and the Lanczos residuals are at full precision
        TrainConfig cfg = new TrainConfig("gaussian:k=3,dim=6,sep=3", new int[0], 90, 30, null, "mlp", new int[]{7}, "tanh", true, 1.0,
                "mse", "gd", 0.2, 0.9, 0, 0, 40, 3, 20, 3, 30, 1e-8, "f64", "cpu", 64, 0);
        Trainer tr = new Trainer(cfg, CpuBackend.INSTANCE, new PrintStream(OutputStream.nullOutputStream()));
        tr.run(tr.initial(), dir, null);
        Path out = dir.resolve("h.json");
        int code = Main.execute("hessian", dir.toString(), "--top-k", "3", "--tol", "1e-9", "--trace-probes", "400", "--ggn",
                "--batch-sharpness", "4", "--batch-size", "30", "--density", "--slq-probes", "2", "--slq-steps", "20", "--out", out.toString());
        assertEquals(0, code);
        JsonNode h = Json.readTree(out);

        // the dense Hessian of the same checkpoint, from d HVPs against the unit vectors
        Trainer ref = new Trainer(cfg, CpuBackend.INSTANCE, new PrintStream(OutputStream.nullOutputStream()));
        Tensor w = ref.opt.params(ref.loadCheckpoint(dir.resolve(Trainer.CHECKPOINT)).x());
        DenseMatrix H = SdEstimators.minibatchHessian(ref.train, w, IntStream.range(0, ref.train.n()).toArray(), 8);
        double[] exact = SymmetricEigen.eigenvalues(H);
        for (int i = 0; i < 3; i++) {
            double got = h.get("eigenvalues").get(i).asDouble();
            // Lanczos stops at a relative residual of 1e-9; an eigenvalue error is O(residual²/gap)
            assertEquals(exact[i], got, 1e-7 * Math.abs(exact[i]), "λ_" + (i + 1) + " vs the dense Hessian");
        }
        // --ggn: the Gauss-Newton matrix's top eigenvalues against its dense form (G itself is checked
        // against Jᵀ H_ℓ J from finite-difference Jacobians in GgnTest); G is PSD and differs from H here
        double[] gExact = SymmetricEigen.eigenvalues(SdEstimators.dense(eoslab.nn.HessianOperator.gaussNewton(ref.train, w, null), 8));
        for (int i = 0; i < 3; i++) {
            assertEquals(gExact[i], h.get("ggn").get("eigenvalues").get(i).asDouble(), 1e-7 * Math.abs(gExact[i]), "GGN λ_" + (i + 1));
        }
        assertTrue(gExact[gExact.length - 1] >= -1e-10 * gExact[0], "G is positive semi-definite: smallest " + gExact[gExact.length - 1]);
        assertNotEquals(exact[0], gExact[0], 1e-6 * Math.abs(exact[0]), "λ_max(G) ≠ λ_max(H) away from a zero-residual point");
        // Hutchinson with 400 Rademacher probes: within 4 standard errors of the exact trace
        double trace = H.trace(), est = h.get("trace").get("estimate").asDouble(), se = h.get("trace").get("std_error").asDouble();
        assertTrue(Math.abs(est - trace) <= 4 * se, "trace " + est + " ± " + se + " vs exact " + trace);
        // loss and gradient norm as the objective computes them
        Tensor g = CpuBackend.INSTANCE.zeros(eoslab.tensor.DType.F64, ref.train.dim());
        assertEquals(ref.train.evaluate(w, null, g, null, 0, null, null), h.get("loss").asDouble(), 1e-15);
        assertEquals(Math.sqrt(CpuBackend.INSTANCE.dot(g, g)), h.get("grad_norm").asDouble(), 1e-15);
        // batch sharpness is a mean of Rayleigh quotients of minibatch Hessians: within their spectra's span,
        // which for minibatches of 30 of these 90 rows stays well inside [−10, 10]·|λ_max| (a sanity bound)
        double bs = h.get("batch_sharpness").get("estimate").asDouble();
        assertTrue(Double.isFinite(bs) && Math.abs(bs) <= 10 * Math.abs(exact[0]), "batch sharpness " + bs);
        // λ_max/threshold is consistent with the reported eigenvalue
        assertEquals(h.get("eigenvalues").get(0).asDouble() / (2 / 0.2), h.get("lambda_max_over_threshold").asDouble(), 1e-12);
        // the SLQ density is a probability density on its grid
        JsonNode grid = h.get("density").get("grid"), dens = h.get("density").get("density");
        double mass = 0;
        for (int i = 1; i < grid.size(); i++) mass += 0.5 * (dens.get(i).asDouble() + dens.get(i - 1).asDouble()) * (grid.get(i).asDouble() - grid.get(i - 1).asDouble());
        assertEquals(1.0, mass, 0.05, "density integrates to ~1 (Gaussian kernels, trapezoid rule)");
    }

    @Test
    void densityPlotIsAPngAndNeedsTheDensity(@TempDir Path dir) throws Exception {
        TrainConfig cfg = new TrainConfig("gaussian:k=3,dim=6,sep=3", new int[0], 90, 30, null, "mlp", new int[]{7}, "tanh", true, 1.0,
                "mse", "gd", 0.2, 0.9, 0, 0, 20, 3, 20, 1, 30, 1e-6, "f32", "cpu", 64, 0);
        Trainer tr = new Trainer(cfg, CpuBackend.INSTANCE, new PrintStream(OutputStream.nullOutputStream()));
        tr.run(tr.initial(), dir, null);
        Path png = dir.resolve("density.png");
        CliErrorTest.oneLineError(CliErrorTest.run("hessian", dir.toString(), "--plot", png.toString()), "--plot", "--density");
        CliErrorTest.oneLineError(CliErrorTest.run("hessian", dir.toString(), "--density", "--plot", dir.resolve("d.pdf").toString()), "--plot", ".png");
        assertFalse(java.nio.file.Files.exists(png), "nothing written on an error");
        CliErrorTest.Run r = CliErrorTest.run("hessian", dir.toString(), "--top-k", "1", "--trace-probes", "0", "--batch-sharpness", "0",
                "--density", "--slq-probes", "2", "--slq-steps", "12", "--plot", png.toString());
        assertEquals(0, r.code(), r.err());
        java.awt.image.BufferedImage im = javax.imageio.ImageIO.read(png.toFile());
        assertNotNull(im, "a PNG");
        assertEquals(900, im.getWidth());
    }
}
