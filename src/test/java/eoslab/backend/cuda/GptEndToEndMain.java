package eoslab.backend.cuda;

import com.fasterxml.jackson.databind.JsonNode;
import eoslab.cli.Main;
import eoslab.io.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * `eoslab train --model gpt-tiny` and `eoslab lyapunov --from` end to end with {@code --device cuda}
 * against {@code --device cpu}: the whole CUDA path of GptTrainer (device-side AdamW, sharpness by
 * Lanczos on device HVPs, the checkpoint, the Lyapunov tracker's tangents and QR) rather than one
 * kernel at a time. Runs in a child JVM on the host emulator ({@link CudaGptEndToEndTest}) or in
 * process on a GPU. Every numeric field of every metrics.jsonl line, and the Lyapunov exponents, must
 * agree with the CPU run within |cuda − cpu| ≤ atol + rtol·|cpu|:
 * <ul>
 * <li>f64: atol 1e-12, rtol 1e-10 (the sums run in different orders, ~1e-16 relative per op; over two
 *     steps and a fixed number of Lanczos iterations the runs agreed to ~4e-15 relative when this
 *     was written, λ_max(P⁻¹H) included); the exponents atol 1e-12, rtol 1e-9 (ln R_ii/T of
 *     a 3d-state QR);
 * <li>f32: atol 1e-4, rtol 2e-3 (float rounding in different orders through a few steps; λ_max of a
 *     float32 Hessian operator).
 * </ul>
 * Cases: AdamW f64 with sharpness (λ_max, λ_max(P⁻¹H)), SGD f64 with sharpness, AdamW f32, AdamW f64
 * on the fused attention path (-Deoslab.gpt.attention=fused), and lyapunov --from the SGD and the
 * AdamW f64 checkpoints (k = 2; SGD's J = I − η(H + λI) on w, AdamW's exact 3d-state map) on each
 * device, Householder QR. Exponents: SGD atol 1e-12, rtol 1e-9 (they agreed to ~1e-14); AdamW rtol
 * 5e-3, a loose bound that catches a wrong layout or coefficient but not rounding: the AdamW map two steps from initialisation is badly conditioned: v ≈ (1 − β₂)g², so its
 * dw-row divides by c₂√v̂ p² ~ |g|³. With ε = 1e-8 the map stretched by ~e^15 per step and the two
 * devices' exponents differed by 0.5% and 2% (the same with CholeskyQR2 and with Householder, and
 * SGD's map on the same HVPs agreed to 1e-14, so it is the HVPs' summation-order rounding amplified
 * by the map, not a wrong kernel); with ε = 1e-3 (used here) it stretches by ~e^4 and the exponents
 * agreed to 1.2e-5 (first) and 7e-4 (second, the one left after projecting out the first) relative on
 * the host emulator.
 */
public final class GptEndToEndMain {
    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("eoslab-gpt-e2e");
        List<String> fails = run(dir, System.out);
        for (String f : fails) System.out.println("FAIL " + f);
        if (!fails.isEmpty()) System.exit(1);
        System.out.println("GPT END TO END OK");
    }

    /**
     * One training run; sharpness = the Lanczos basis size at steps 0 and 2 (0 = none), with tol 0.5 so
     * that the first basis is accepted on both sides (a tolerance it cannot reach would restart and
     * fall back to power iteration: minutes on the emulator).
     */
    record Case(String name, String optimizer, String dtype, boolean fused, int sharpness) {
    }

    static List<String> run(Path dir, PrintStream log) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 60; i++) sb.append("In the beginning ").append(i % 7 == 0 ? "God created" : "was the word").append(" and line ").append(i).append(".\n");
        Path text = dir.resolve("corpus.txt");
        Files.writeString(text, sb.toString());
        List<String> fails = new ArrayList<>();
        // the host emulator takes ~2 s per HVP of this model: sharpness on two runs, few iterations
        List<Case> cases = List.of(new Case("adamw-f64", "adamw", "f64", false, 4), new Case("sgd-f64", "sgd", "f64", false, 0),
                new Case("adamw-f32", "adamw", "f32", false, 0), new Case("adamw-f64-fused", "adamw", "f64", true, 3));
        for (Case c : cases) {
            String old = System.getProperty("eoslab.gpt.attention");
            System.setProperty("eoslab.gpt.attention", c.fused ? "fused" : "materialized");
            try {
                for (String dev : new String[] {"cpu", "cuda"}) {
                    List<String> sharp = c.sharpness == 0 ? List.of()
                            : List.of("--sharpness-every", "2", "--top-k", "1", "--lanczos-steps", "" + c.sharpness, "--lanczos-tol", "0.5");
                    List<String> a = new ArrayList<>(List.of("train", "--device", dev, "--model", "gpt-tiny", "--layers", "1", "--channels", "8", "--heads", "2",
                            "--context", "8", "--seq-len", "8", "--data", "text:" + text, "--tokenizer", "bytes", "--batch-size", "2",
                            "--optimizer", c.optimizer, "--lr", c.optimizer.equals("adamw") ? "0.01" : "0.3", "--weight-decay", "0.01",
                            "--adam-eps", "1e-3",
                            "--steps", "2", "--log-every", "1", "--val-batches", "1", "--dtype", c.dtype, "--seed", "4", "--no-progress",
                            "--out", dir.resolve(c.name + "-" + dev).toString()));
                    a.addAll(sharp);
                    int code = Main.execute(a.toArray(String[]::new));
                    if (code != 0) fails.add(c.name + ": train --device " + dev + " exited " + code);
                }
            } finally {
                if (old == null) System.clearProperty("eoslab.gpt.attention");
                else System.setProperty("eoslab.gpt.attention", old);
            }
            if (!fails.isEmpty()) return fails;
            boolean f64 = c.dtype.equals("f64");
            double atol = f64 ? 1e-12 : 1e-4, rtol = f64 ? 1e-10 : 2e-3;
            List<String> cpu = Files.readAllLines(dir.resolve(c.name + "-cpu/metrics.jsonl"));
            List<String> gpu = Files.readAllLines(dir.resolve(c.name + "-cuda/metrics.jsonl"));
            if (cpu.size() != gpu.size() || cpu.size() != 3) {
                fails.add(c.name + ": metrics.jsonl has " + gpu.size() + " lines on cuda, " + cpu.size() + " on cpu (want 3)");
                continue;
            }
            if (c.sharpness > 0 && !(cpu.get(2).contains("\"lambda_max\":") && cpu.get(2).contains("\"precond_lambda_max\":")))
                fails.add(c.name + ": no lambda_max / precond_lambda_max at step 2: " + cpu.get(2));
            double worst = 0;
            for (int i = 0; i < cpu.size(); i++) worst = Math.max(worst, compare(c.name + " line " + (i + 1), Json.parse("cpu metrics", cpu.get(i)),
                    Json.parse("cuda metrics", gpu.get(i)), atol, rtol, fails));
            log.printf(java.util.Locale.ROOT, "%-16s %d metrics lines, worst err/tol %.3g%n", c.name, cpu.size(), worst);
        }
        // the Lyapunov tracker (k = 2, Householder QR: cuSOLVER geqrf on CUDA) from the SGD and AdamW f64 checkpoints
        for (String[] ly : new String[][] {{"sgd-f64", "1e-9"}, {"adamw-f64", "5e-3"}}) {
            for (String dev : new String[] {"cpu", "cuda"}) {
                int code = Main.execute("lyapunov", "--device", dev, "--from", dir.resolve(ly[0] + "-cpu").toString(), "--k", "2", "--steps", "2",
                        "--burn-in", "0", "--segments", "2", "--seed", "3", "--qr", "householder", "--out", dir.resolve("lyap-" + ly[0] + "-" + dev).toString());
                if (code != 0) fails.add("lyapunov --from " + ly[0] + " --device " + dev + " exited " + code);
            }
            if (!fails.isEmpty()) return fails;
            JsonNode cpu = Json.readTree(dir.resolve("lyap-" + ly[0] + "-cpu/lyapunov.json")), gpu = Json.readTree(dir.resolve("lyap-" + ly[0] + "-cuda/lyapunov.json"));
            if (cpu.get("exponents").size() != 2) fails.add("lyapunov: " + cpu.get("exponents").size() + " exponents, want 2");
            double w = compare("lyapunov --from " + ly[0] + " exponents", cpu.get("exponents"), gpu.get("exponents"), 1e-12, Double.parseDouble(ly[1]), fails);
            log.printf(java.util.Locale.ROOT, "lyapunov %-9s k=2 exponents %s, worst err/tol %.3g%n", ly[0], gpu.get("exponents"), w);
        }
        return fails;
    }

    /** Every number in ref (recursively) against got; same keys, same non-numeric values. Returns the worst err/tol. */
    static double compare(String what, JsonNode ref, JsonNode got, double atol, double rtol, List<String> fails) {
        if (ref.isNumber()) {
            if (!got.isNumber()) {
                fails.add(what + ": " + got + " instead of " + ref);
                return Double.POSITIVE_INFINITY;
            }
            double r = ref.asDouble(), g = got.asDouble(), err = Math.abs(g - r), tol = atol + rtol * Math.abs(r);
            if (!(err <= tol)) fails.add(what + ": cuda " + g + " cpu " + r + " (|err| " + err + " > " + tol + ")");
            return err / tol;
        }
        if (ref.isObject() || ref.isArray()) {
            if (ref.size() != got.size() || ref.isObject() != got.isObject()) {
                fails.add(what + ": " + got + " vs " + ref);
                return Double.POSITIVE_INFINITY;
            }
            double worst = 0;
            if (ref.isArray()) {
                for (int i = 0; i < ref.size(); i++) worst = Math.max(worst, compare(what + "[" + i + "]", ref.get(i), got.get(i), atol, rtol, fails));
            } else {
                for (Iterator<Map.Entry<String, JsonNode>> it = ref.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    JsonNode g = got.get(e.getKey());
                    if (g == null) fails.add(what + ": no " + e.getKey());
                    else worst = Math.max(worst, compare(what + "." + e.getKey(), e.getValue(), g, atol, rtol, fails));
                }
            }
            return worst;
        }
        if (!ref.equals(got)) fails.add(what + ": " + got + " instead of " + ref);
        return 0;
    }
}
