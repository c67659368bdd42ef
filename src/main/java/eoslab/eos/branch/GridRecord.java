package eoslab.eos.branch;

import com.fasterxml.jackson.databind.JsonNode;
import eoslab.eos.Group;
import eoslab.io.Json;
import eoslab.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One line of {@code baseline.jsonl} / {@code exit.jsonl}: the diagnostics of one branch at one step
 * of the logging grid (Kwag et al. 2026, App. A.3: both branches log on the same every-32-steps
 * grid, so they are compared index for index). Group arrays are indexed by {@link Group#ordinal()}.
 *
 * @param step       optimizer steps taken (the state is the one before step {@code step} is applied)
 * @param etaT       η·step with the <em>baseline's</em> η for both branches (the paper's time axis)
 * @param branch     "baseline" or "exit"
 * @param shared     true on the exit branch's lines before t*, which are the baseline's (the
 *                   trajectory is shared up to the fork); false on every computed line
 * @param lr         learning rate in force at this step
 * @param threshold  stability threshold of that learning rate ({@code Optimizer.threshold()})
 * @param lambda1    top Hessian eigenvalue of the full training loss
 * @param lambdaRes  its relative Lanczos residual ‖Hv − λv‖/|λ|
 * @param gradNorm2  ‖∇L‖²
 * @param alpha      −⟨∇L, ∇S⟩ (Lemma 1)
 * @param beta       ‖∇S‖² (Lemma 1)
 * @param fdStep     the finite-difference step h of ∇S
 */
public record GridRecord(long step, double etaT, String branch, boolean shared, double lr, double threshold,
                         double trainLoss, double trainAcc, double testLoss, double testAcc,
                         double lambda1, double lambdaRes, double gradNorm2, double alpha, double beta, double fdStep,
                         double[] loss, double[] gradNormSq, double[] proj, double[] cos2, double[] influence,
                         double[] selectorQ, double[] confounderR) {

    /** The metric names of the per-group arrays, as in the files and figures. */
    public static final List<String> GROUP_METRICS = List.of("loss", "grad_norm2", "proj", "cos2", "influence", "Q", "R");

    public boolean aboveThreshold() {
        return lambda1 >= threshold;
    }

    /** A per-group metric by its file name ({@link #GROUP_METRICS}). */
    public double[] group(String metric) {
        return switch (metric) {
            case "loss" -> loss;
            case "grad_norm2" -> gradNormSq;
            case "proj" -> proj;
            case "cos2" -> cos2;
            case "influence" -> influence;
            case "Q" -> selectorQ;
            case "R" -> confounderR;
            default -> throw new IllegalArgumentException("unknown group metric '" + metric + "'; one of " + GROUP_METRICS);
        };
    }

    /** The same line relabelled as the other branch's shared prefix (before the fork). */
    public GridRecord asShared(String newBranch) {
        return new GridRecord(step, etaT, newBranch, true, lr, threshold, trainLoss, trainAcc, testLoss, testAcc, lambda1, lambdaRes,
                gradNorm2, alpha, beta, fdStep, loss, gradNormSq, proj, cos2, influence, selectorQ, confounderR);
    }

    /** Ordered map for one JSON line. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("eta_t", etaT);
        m.put("branch", branch);
        m.put("shared", shared);
        m.put("lr", lr);
        m.put("threshold", threshold);
        m.put("train_loss", trainLoss);
        m.put("train_acc", trainAcc);
        m.put("test_loss", testLoss);
        m.put("test_acc", testAcc);
        m.put("lambda_1", lambda1);
        m.put("lambda_1_rel_residual", lambdaRes);
        m.put("above_threshold", aboveThreshold());
        m.put("grad_norm2", gradNorm2);
        m.put("alpha", alpha);
        m.put("beta", beta);
        m.put("fd_step", fdStep);
        Map<String, Object> groups = new LinkedHashMap<>();
        for (Group g : Group.values()) {
            Map<String, Object> gm = new LinkedHashMap<>();
            for (String k : GROUP_METRICS) gm.put(k, group(k)[g.ordinal()]);
            groups.put(g.key, gm);
        }
        m.put("groups", groups);
        return m;
    }

    /** Parse one line written by {@link #toMap}; {@code source} names it in errors. */
    public static GridRecord fromJson(JsonNode n, String source) {
        try {
            int G = Group.values().length;
            double[][] a = new double[GROUP_METRICS.size()][G];
            JsonNode groups = req(n, "groups", source);
            for (Group g : Group.values()) {
                JsonNode gn = req(groups, g.key, source);
                for (int j = 0; j < GROUP_METRICS.size(); j++) a[j][g.ordinal()] = num(gn, GROUP_METRICS.get(j), source);
            }
            return new GridRecord(req(n, "step", source).asLong(), num(n, "eta_t", source), req(n, "branch", source).asText(),
                    req(n, "shared", source).asBoolean(), num(n, "lr", source), num(n, "threshold", source),
                    num(n, "train_loss", source), num(n, "train_acc", source), num(n, "test_loss", source), num(n, "test_acc", source),
                    num(n, "lambda_1", source), num(n, "lambda_1_rel_residual", source), num(n, "grad_norm2", source),
                    num(n, "alpha", source), num(n, "beta", source), num(n, "fd_step", source),
                    a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
        } catch (RuntimeException e) {
            if (e instanceof UserError) throw e;
            throw new UserError(source + ": malformed branch record (" + e.getMessage() + ")");
        }
    }

    /** Every line of a branch file, in order. */
    public static List<GridRecord> readAll(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new UserError(file + ": no such file");
        List<GridRecord> out = new ArrayList<>();
        int no = 0;
        for (String line : Files.readAllLines(file)) {
            no++;
            if (line.isBlank()) continue;
            String src = file + " line " + no;
            out.add(fromJson(Json.parse(src, line), src));
        }
        return out;
    }

    private static JsonNode req(JsonNode n, String k, String source) {
        JsonNode v = n.get(k);
        if (v == null || v.isNull()) throw new UserError(source + ": missing field '" + k + "'");
        return v;
    }

    /** Numbers, including the "NaN"/"Infinity" strings eoslab writes for non-finite values. */
    private static double num(JsonNode n, String k, String source) {
        JsonNode v = req(n, k, source);
        if (v.isNumber()) return v.doubleValue();
        if (v.isTextual()) {
            try {
                return Double.parseDouble(v.asText());
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        throw new UserError(source + ": field '" + k + "' must be a number, got " + v);
    }
}
