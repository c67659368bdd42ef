package eoslab.gpt;

import com.fasterxml.jackson.databind.JsonNode;
import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.io.Json;
import eoslab.io.SafetensorsWriter;
import eoslab.nn.Batch;
import eoslab.nn.Loss;
import eoslab.nn.ParamSpec;
import eoslab.optim.AdamW;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import eoslab.util.CounterRng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tiny GPT-2 against PyTorch, as llm.c checks train_gpt2.c: logits, loss, every gradient's
 * norm, a Hessian-vector product, and 10-step SGD and AdamW loss curves. The reference values in
 * {@code src/test/resources/gpt/tiny_loss_curve.json} were computed by PyTorch 1.13 (float64) with
 * an independent nanoGPT-style implementation ({@code src/test/python/make_gpt_fixture.py}) from the
 * weights, probe and batches that {@link #exportInputsForPyTorch} writes — the same ones this test
 * regenerates from the seeds. Tolerances: float64 1e-9 + 1e-8·|ref| (summation order differs from
 * PyTorch's; 10 steps amplify rounding little); float32 1e-4 + 1e-3·|ref| for the curves.
 */
class GptFixtureTest {
    static final Backend BE = CpuBackend.INSTANCE;
    static final GptConfig CFG = GptConfig.tiny();
    static final long INIT_SEED = 1337, PROBE_SEED = 42, BATCH_SEED = 7;
    static final int B = 4, T = 16, STEPS = 10;
    static final double SGD_LR = 0.5;

    /** Genesis 1:1–8, King James Version (public domain), the byte-level corpus of the fixture. */
    static final String TEXT = """
            In the beginning God created the heaven and the earth. And the earth was without form, and void; \
            and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters. \
            And God said, Let there be light: and there was light. And God saw the light, that it was good: \
            and God divided the light from the darkness. And God called the light Day, and the darkness he \
            called Night. And the evening and the morning were the first day. And God said, Let there be a \
            firmament in the midst of the waters, and let it divide the waters from the waters. And God made \
            the firmament, and divided the waters which were under the firmament from the waters which were \
            above the firmament: and it was so. And God called the firmament Heaven. And the evening and the \
            morning were the second day.
            """;

    static TextBatches batches() {
        return new TextBatches(TextData.of("genesis", TEXT, ByteTokenizer.INSTANCE).train(), B, T, BATCH_SEED);
    }

    static double[] probe(int d) {
        double[] v = new double[d];
        for (int i = 0; i < d; i++) v[i] = CounterRng.gaussian(PROBE_SEED, 0, i);
        return v;
    }

    static JsonNode fixture() throws Exception {
        try (InputStream in = GptFixtureTest.class.getResourceAsStream("/gpt/tiny_loss_curve.json")) {
            if (in == null) throw new IllegalStateException("missing test resource gpt/tiny_loss_curve.json");
            return Json.parse("tiny_loss_curve.json", new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    static void close(double ref, double got, double atol, double rtol, String what) {
        assertTrue(Math.abs(ref - got) <= atol + rtol * Math.abs(ref), what + ": PyTorch " + ref + ", eoslab " + got + " (diff " + Math.abs(ref - got) + ")");
    }

    static double norm(double[] a, long off, long len) {
        double s = 0;
        for (long i = off; i < off + len; i++) s += a[(int) i] * a[(int) i];
        return Math.sqrt(s);
    }

    @Test
    void batchesAreTheOnesPyTorchSaw() throws Exception {
        JsonNode fx = fixture();
        TextBatches tb = batches();
        for (int s = 0; s < STEPS; s++) {
            int[][] h = tb.hostBatch(s);
            for (int i = 0; i < B * T; i++) {
                assertEquals(fx.get("x").get(s).get(i / T).get(i % T).asInt(), h[0][i], "x of step " + s);
                assertEquals(fx.get("y").get(s).get(i / T).get(i % T).asInt(), h[1][i], "y of step " + s);
            }
        }
        assertEquals(INIT_SEED, fx.get("init_seed").asLong());
    }

    @Test
    void lossLogitsGradientsAndHvpMatchPyTorch() throws Exception {
        JsonNode fx = fixture();
        Gpt2 m = new Gpt2(CFG);
        int d = m.numParams();
        Tensor w = BE.fromDoubles(DType.F64, m.init(INIT_SEED, 1.0));
        Tensor g = BE.zeros(DType.F64, d), hv = BE.zeros(DType.F64, d), logits = BE.zeros(DType.F64, (long) B * T * CFG.vocab());
        Batch b = batches().batch(BE, 0);
        double loss = m.lossGradHvp(BE, w, b, Loss.CE, 1.0 / B, g, BE.fromDoubles(DType.F64, probe(d)), 1, hv, null, logits);
        close(fx.get("loss").asDouble(), loss, 1e-12, 1e-10, "loss");
        double[] z = logits.toDoubles();
        JsonNode zr = fx.get("logits_first_two_positions");
        for (int i = 0; i < zr.size(); i++) close(zr.get(i).asDouble(), z[i], 1e-12, 1e-9, "logit " + i);
        double[] gg = g.toDoubles(), hh = hv.toDoubles(), v = probe(d);
        for (ParamSpec p : m.params()) {
            close(fx.get("grad_norms").get(p.name()).asDouble(), norm(gg, p.offset(), p.size()), 1e-12, 1e-8, "|grad " + p.name() + "|");
            close(fx.get("hv_norms").get(p.name()).asDouble(), norm(hh, p.offset(), p.size()), 1e-12, 1e-8, "|Hv " + p.name() + "|");
        }
        double vhv = 0;
        for (int i = 0; i < d; i++) vhv += v[i] * hh[i];
        close(fx.get("vHv").asDouble(), vhv, 1e-9, 1e-8, "vᵀHv");
    }

    static double[] sgdCurve(DType dt) {
        Gpt2 m = new Gpt2(CFG);
        int d = m.numParams();
        Tensor w = BE.fromDoubles(dt, m.init(INIT_SEED, 1.0)), g = BE.zeros(dt, d);
        GptObjective f = new GptObjective(BE, dt, m, batches());
        double[] losses = new double[STEPS];
        for (int s = 0; s < STEPS; s++) {
            losses[s] = f.evaluate(s, w, g, null, 0, null);
            BE.axpby(-SGD_LR, g, 1, w);
        }
        return losses;
    }

    static double[] adamwCurve(DType dt, JsonNode cfg) {
        Gpt2 m = new Gpt2(CFG);
        GptObjective f = new GptObjective(BE, dt, m, batches());
        AdamW opt = new AdamW(f, cfg.get("lr").asDouble(), cfg.get("betas").get(0).asDouble(), cfg.get("betas").get(1).asDouble(),
                cfg.get("eps").asDouble(), cfg.get("weight_decay").asDouble(), false, null);
        Tensor state = opt.initialState(m.init(INIT_SEED, 1.0));
        double[] losses = new double[STEPS];
        for (int s = 0; s < STEPS; s++) {
            losses[s] = f.evaluate(s, opt.params(state), null, null, 0, null);
            opt.step(s, state, null, 0);
        }
        return losses;
    }

    @Test
    void tenStepLossCurvesMatchPyTorch() throws Exception {
        JsonNode fx = fixture();
        assertEquals(SGD_LR, fx.get("sgd").get("lr").asDouble());
        double[][] curves = {sgdCurve(DType.F64), adamwCurve(DType.F64, fx.get("adamw")), sgdCurve(DType.F32), adamwCurve(DType.F32, fx.get("adamw"))};
        String[] names = {"sgd", "adamw", "sgd", "adamw"};
        for (int c = 0; c < 4; c++) {
            JsonNode ref = fx.get(names[c]).get("losses");
            boolean f64 = c < 2;
            for (int s = 0; s < STEPS; s++) {
                close(ref.get(s).asDouble(), curves[c][s], f64 ? 1e-9 : 1e-4, f64 ? 1e-8 : 1e-3, names[c] + (f64 ? " f64" : " f32") + " loss at step " + s);
            }
        }
        // the curves are learning curves, not flat lines
        assertTrue(curves[0][STEPS - 1] < curves[0][0] - 0.1, "SGD lowers the loss");
        assertTrue(curves[1][STEPS - 1] < curves[1][0] - 0.1, "AdamW lowers the loss");
    }

    /** Writes the inputs of make_gpt_fixture.py: {@code -Deoslab.gpt.exportFixture=DIR}. */
    @Test
    @EnabledIfSystemProperty(named = "eoslab.gpt.exportFixture", matches = ".+")
    void exportInputsForPyTorch() throws Exception {
        Path dir = Path.of(System.getProperty("eoslab.gpt.exportFixture"));
        Files.createDirectories(dir);
        Gpt2 m = new Gpt2(CFG);
        double[] w = m.init(INIT_SEED, 1.0), v = probe(m.numParams());
        SafetensorsWriter out = new SafetensorsWriter();
        List<String> names = new ArrayList<>();
        for (ParamSpec p : m.params()) {
            long[] shape = java.util.Arrays.stream(p.shape()).asLongStream().toArray();
            out.add(p.name(), java.util.Arrays.copyOfRange(w, (int) p.offset(), (int) (p.offset() + p.size())), shape);
            out.add("probe." + p.name(), java.util.Arrays.copyOfRange(v, (int) p.offset(), (int) (p.offset() + p.size())), shape);
            names.add(p.name());
        }
        TextBatches tb = batches();
        int[] xs = new int[STEPS * B * T], ys = new int[STEPS * B * T];
        for (int s = 0; s < STEPS; s++) {
            int[][] h = tb.hostBatch(s);
            System.arraycopy(h[0], 0, xs, s * B * T, B * T);
            System.arraycopy(h[1], 0, ys, s * B * T, B * T);
        }
        out.add("x", xs, STEPS, B, T).add("y", ys, STEPS, B, T);
        out.metadata("vocab", "" + CFG.vocab()).metadata("maxT", "" + CFG.maxT()).metadata("layers", "" + CFG.layers())
                .metadata("heads", "" + CFG.heads()).metadata("channels", "" + CFG.channels())
                .metadata("init_seed", "" + INIT_SEED).metadata("probe_seed", "" + PROBE_SEED)
                .metadata("param_names", Json.line(names));
        out.write(dir.resolve("tiny_fixture_input.safetensors"));
    }
}
