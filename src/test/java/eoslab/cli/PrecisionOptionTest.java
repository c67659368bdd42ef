package eoslab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eoslab.backend.CpuBackend;
import eoslab.backend.GemmPrecision;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --precision f32|tf32|bf16} (CommonOptions, every command): a bad value or a combination
 * with {@code --dtype f64} (where it would change nothing) is one error line naming the option;
 * a run sets the backend's GEMM precision, logs it with the device, and saves it in config.json
 * next to the backend.
 */
class PrecisionOptionTest {
    @AfterEach
    void backToF32() {
        CpuBackend.INSTANCE.setGemmPrecision(GemmPrecision.F32);   // the CPU backend is process-wide
    }

    @Test
    void badValuesAndF64CombinationsAreOneLineErrors(@TempDir Path tmp) {
        Path out = tmp.resolve("run");
        CliErrorTest.oneLineError(CliErrorTest.run("train", "--precision", "fp16", "--out", out.toString()), "--precision", "fp16");
        CliErrorTest.oneLineError(CliErrorTest.run("train", "--precision", "bf16", "--dtype", "f64", "--out", out.toString()),
                "--precision bf16", "--dtype f64");
        CliErrorTest.oneLineError(CliErrorTest.run("grok", "--precision", "tf32", "--dtype", "f64", "--out", out.toString()),
                "--precision tf32", "--dtype f64");
        assertFalse(Files.exists(out.resolve("config.json")), "no output on error");
        assertEquals(GemmPrecision.F32, CpuBackend.INSTANCE.gemmPrecision());
    }

    @Test
    void aBf16RunLogsAndSavesThePrecision(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        CliErrorTest.Run r = CliErrorTest.run("train", "--data", "gaussian", "--n-train", "64", "--n-test", "32", "--hidden", "16",
                "--steps", "4", "--log-every", "2", "--precision", "bf16", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("eoslab: device cpu") && r.err().contains("gemm precision bf16"), r.err());
        JsonNode conf = new ObjectMapper().readTree(Files.readString(out.resolve("config.json")));
        assertEquals("bf16", conf.get("resolved").get("gemm_precision").asText(), conf.toString());
        assertEquals(GemmPrecision.BF16, CpuBackend.INSTANCE.gemmPrecision(), "the run set the backend");
    }
}
