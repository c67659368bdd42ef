package eoslab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import eoslab.io.Json;
import eoslab.sd.GeneralizationBound;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@code eoslab sd} and {@code eoslab sweep} end to end on tiny Gaussian data. */
class SdCommandsTest {
    static final String[] TINY = {"--data", "gaussian:k=3,dim=4,sep=3", "--n", "48", "--n-test", "24", "--hidden", "4",
            "--activation", "tanh", "--loss", "ce", "--steps", "10", "--log-every", "5", "--dtype", "f64", "--threads", "1"};

    /**
     * Runs a command with System.out and System.err captured, user errors mapped to exit code 2 as
     * Main does; returns {exit code, stdout, stderr}.
     */
    static String[] run(Object cmd, String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream(), ebuf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(ebuf, true, StandardCharsets.UTF_8));
            CommandLine cl = new CommandLine(cmd);
            cl.setExecutionExceptionHandler((ex, c, p) -> {
                System.err.println("eoslab: error: " + ex.getMessage());
                return ex instanceof eoslab.util.UserError || ex instanceof IllegalArgumentException ? 2 : 1;
            });
            int rc = cl.execute(args);
            return new String[]{Integer.toString(rc), buf.toString(StandardCharsets.UTF_8), ebuf.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    static String[] concat(String[] a, String... b) {
        String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void sweepWritesAWellFormedReport(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("sweep");
        String[] r = run(new SweepCommand(), concat(TINY, "--lrs", "0.1,0.5", "--batch-sizes", "8,16", "--methods", "exact,ps,slq,kde",
                "--batches", "2", "--sd-lanczos-steps", "8", "--quantiles", "20", "--bins", "10", "--trace-probes", "4", "--out", out.toString()));
        assertEquals("0", r[0], r[2]);
        for (String dir : List.of("lr_0.1_bs_8", "lr_0.1_bs_16", "lr_0.5_bs_8", "lr_0.5_bs_16")) {
            assertTrue(Files.isRegularFile(out.resolve(dir).resolve("checkpoint.safetensors")), dir);
            assertTrue(Files.isRegularFile(out.resolve(dir).resolve("sd.json")), dir);
        }
        // report.csv: header + 4 rows, every value of an ok run finite
        List<String> csv = Files.readAllLines(out.resolve("report.csv"));
        assertEquals(5, csv.size());
        String[] head = csv.get(0).split(",");
        int d = 4 * 4 + 4 + 4 * 3 + 3, n = 48;
        for (String line : csv.subList(1, 5)) {
            String[] v = line.split(",");
            assertEquals(head.length, v.length, line);
            assertEquals("ok", v[2]);
            for (int i = 3; i < v.length; i++) assertTrue(Double.isFinite(Double.parseDouble(v[i])), head[i] + " = " + v[i]);
            for (int i = 0; i < head.length; i++) {
                if (head[i].startsWith("sd_") && !head[i].startsWith("sd_term")) {
                    double sd = Double.parseDouble(v[i]);
                    assertTrue(sd >= 0 && sd <= d, head[i] + " in [0, d]: " + sd);
                    // the SD term of the same row follows from SD: 2B√(4·SD·log(1/δ)/n), B = 1, δ = 0.01
                    String method = head[i].substring(3);
                    int t = List.of(head).indexOf("sd_term_" + method);
                    assertEquals(new GeneralizationBound(n, d, sd, 1, 1, 0.01, 0.05).sdTerm(), Double.parseDouble(v[t]), 1e-5 * (1 + Double.parseDouble(v[t])));
                }
            }
            assertEquals(Math.sqrt((double) d / n), Double.parseDouble(v[List.of(head).indexOf("sqrt_d_over_n")]), 1e-5);
        }
        // report.json parses; correlations are in [−1, 1] or NaN (√(d/n) is constant over the grid: undefined)
        JsonNode js = Json.readTree(out.resolve("report.json"));
        assertEquals(4, js.get("runs").size());
        JsonNode cs = js.get("correlations");
        assertEquals((4 + 4) * 2, cs.size(), "8 measures (4 SDs, λ_max, trace, batch sharpness, √(d/n)) × 2 gaps");
        for (JsonNode c : cs) {
            for (String k : List.of("tau", "psi_lr", "psi_bs", "psi")) {
                double v = c.get(k).asDouble();
                if (c.get("measure").asText().equals("sqrt_d_over_n")) assertTrue(Double.isNaN(v), "constant measure: " + k);
                else assertTrue(Double.isNaN(v) || (v >= -1 - 1e-12 && v <= 1 + 1e-12), c.toString());
            }
        }
        // the csv and the per-run JSON agree
        JsonNode run0 = js.get("runs").get(0).get("analysis");
        assertEquals(Double.parseDouble(csv.get(1).split(",")[List.of(head).indexOf("sd_exact")]), run0.get("sd").get("exact").get("sd").asDouble(), 1e-5);
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("## Runs") && md.contains("## Rank correlations"));
        assertEquals(4 + 2 + (16 + 2), md.lines().filter(l -> l.startsWith("|")).count(), "two tables: header, rule, rows");
        assertTrue(Files.size(out.resolve("sd_exact_vs_gap.png")) > 1000);
        assertTrue(Files.size(out.resolve("lambda_max_vs_gap.png")) > 1000);
        assertTrue(Files.size(out.resolve("batch_sharpness_vs_gap.png")) > 1000);
        // a second sweep into the same directory needs --force
        String[] again = run(new SweepCommand(), concat(TINY, "--lrs", "0.1", "--batch-sizes", "8", "--out", out.toString()));
        assertEquals("2", again[0]);
        assertTrue(again[2].contains("--force"), again[2]);
    }

    @Test
    void sdCommandPrintsJsonForACheckpoint(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        assertEquals("0", run(new TrainCommand(), concat(TINY, "--optimizer", "momentum", "--lr", "0.2", "--out", dir.toString(), "--no-progress"))[0]);
        Path json = tmp.resolve("sd.json");
        String[] r = run(new SdCommand(), dir.toString(), "--method", "exact,ps", "--batches", "3", "--sd-batch-size", "16",
                "--quantiles", "35", "--trace-probes", "4", "--state-jacobian", "--out", json.toString(), "--threads", "1");
        assertEquals("0", r[0], r[2]);
        JsonNode js = Json.parse("stdout", r[1]);
        assertEquals(Json.readTree(json), js);
        int d = 35;
        JsonNode ex = js.get("sd").get("exact");
        assertEquals(2 * d, ex.get("state_dim").asInt(), "--state-jacobian on a momentum run: 2d exponents");
        assertEquals(10, ex.get("lambda_top").size());
        double sd = ex.get("sd").asDouble();
        assertTrue(sd >= 0 && sd <= 2 * d);
        assertEquals(16, ex.get("settings").get("batch_size").asInt());
        assertTrue(js.get("bound").get("ps").get("omitted").asText().contains("I_inf"));
        assertTrue(Double.isFinite(js.get("lambda_max").asDouble()) && Double.isFinite(js.get("trace").asDouble()));
        // bad input: one clear error, exit code 2
        String[] bad = run(new SdCommand(), dir.toString(), "--method", "svd");
        assertEquals("2", bad[0]);
        assertTrue(bad[2].contains("--method 'svd'"), bad[2]);
        bad = run(new SdCommand(), tmp.resolve("nothing").toString());
        assertEquals("2", bad[0]);
        assertTrue(bad[2].contains("no checkpoint there"), bad[2]);
    }
}
