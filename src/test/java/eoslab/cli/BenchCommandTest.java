package eoslab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import eoslab.backend.CpuBackend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The pieces of {@code eoslab bench} that bench/gpu/run-all.sh relies on, on the CPU. */
class BenchCommandTest {
    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(2.0, BenchCommand.median(new double[] {3, 1, 2}));
        assertEquals(2.5, BenchCommand.median(new double[] {4, 1, 3, 2}));
    }

    /** V = [B; B; ...]: every vector is its random block of length 2^20 repeated, and the blocks differ. */
    @Test
    void tallMatrixIsATiledRandomBlock() {
        int m = 1 << 20, d = m + 7, k = 2;
        Tensor v = BenchCommand.Qr.randomTall(CpuBackend.INSTANCE, DType.F64, d, k, 5);
        double[] x = v.toDoubles();
        for (int j = 0; j < k; j++) {
            for (int i = 0; i < 7; i++) assertEquals(x[j * d + i], x[j * d + m + i], "vector " + j + " row " + (m + i));
        }
        // VᵀV is far from singular: |cos| of the two vectors well below 1 (independent uniforms: ~1e-3)
        double a = 0, b = 0, ab = 0;
        for (int i = 0; i < d; i++) { a += x[i] * x[i]; b += x[d + i] * x[d + i]; ab += x[i] * x[d + i]; }
        assertTrue(Math.abs(ab) / Math.sqrt(a * b) < 0.01, "cos = " + ab / Math.sqrt(a * b));
    }

    @Test
    void hvpPrintsOneResultLinePerK() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int rc;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            rc = new CommandLine(new BenchCommand()).execute("hvp", "--device", "cpu", "--n", "16", "--dim", "6", "--classes", "3",
                    "--hidden", "5", "--k", "1,2", "--warmup", "0", "--repeats", "1");
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, out);
        // d = 6·5 + 5 + 5·3 + 3 = 53 parameters
        assertTrue(out.contains("RESULT bench=hvp device=cpu k=1 n=16 d=53 "), out);
        assertTrue(out.contains("RESULT bench=hvp device=cpu k=2 n=16 d=53 "), out);
    }

    /** bench gpt2 on a micro model: one JSON line per measurement, with consistent fields. */
    @Test
    void gpt2PrintsOneJsonLinePerMeasurement() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int rc;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            rc = new CommandLine(new BenchCommand()).execute("gpt2", "--device", "cpu", "--model", "tiny", "--layers", "1", "--max-t", "8",
                    "--batch", "2", "--seq-len", "8", "--k", "1,2", "--lyap-k", "2", "--lyap-map", "sgd", "--warmup", "0", "--repeats", "2");
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, out);
        var lines = out.lines().filter(l -> l.startsWith("{")).map(l -> eoslab.io.Json.parse("bench output", l)).toList();
        assertEquals(4, lines.size(), out);
        assertEquals("d", lines.get(0).get("part").asText());
        var d = lines.get(0);
        assertEquals(16 / d.get("step_s").asDouble(), d.get("tokens_per_s").asDouble(), 1e-9 * d.get("tokens_per_s").asDouble(), "B·T / step");
        for (int i = 1; i <= 2; i++) {
            var e = lines.get(i);
            assertEquals("e", e.get("part").asText());
            assertEquals(i, e.get("k").asInt());
            double want = e.get("hvp_s").asDouble() / (i * e.get("grad_s").asDouble());
            assertEquals(want, e.get("hvp_over_grad").asDouble(), 1e-12 * want);
        }
        var f = lines.get(3);
        assertEquals("f", f.get("part").asText());
        assertEquals("sgd", f.get("map").asText());
        assertEquals(f.get("params").asLong(), f.get("state_dim").asLong());
        assertTrue(f.get("step_s").asDouble() >= f.get("hvp_s").asDouble(), out);
    }

    @Test
    void gpt2RejectsBadSettingsInOneLine() {
        CliErrorTest.oneLineError(CliErrorTest.run("bench", "gpt2", "--device", "cpu", "--model", "tiny", "--seq-len", "17"),
                "--seq-len must be in [1, maxT = 16]");
        CliErrorTest.oneLineError(CliErrorTest.run("bench", "gpt2", "--device", "cpu", "--model", "tiny", "--parts", "d,x"), "--parts", "'x'");
        CliErrorTest.oneLineError(CliErrorTest.run("bench", "gpt2", "--device", "cpu", "--model", "nano"), "unknown GPT preset 'nano'");
    }

    @Test
    void qrReportsTheGramPassAndTheWholeQrSeparately() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int rc;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            rc = new CommandLine(new BenchCommand()).execute("qr", "--device", "cpu", "--d", "3000", "--k", "4",
                    "--methods", "gram,cholqr2", "--warmup", "0", "--repeats", "1");
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, out);
        assertTrue(out.contains("RESULT bench=qr method=gram d=3000 k=4 dtype=F32 "), out);
        assertTrue(out.contains("RESULT bench=qr method=cholqr2 d=3000 k=4 dtype=F32 "), out);
        assertTrue(out.contains(" path=CHOLESKY_QR own_dk=3 "), out);   // well conditioned: one pass (3 dk of traffic), no fallback
        assertTrue(out.contains("on its own 3dk·4B traffic"), out);
    }
}
