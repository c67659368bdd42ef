package eoslab.gpt;

import eoslab.io.SafetensorsWriter;
import eoslab.nn.ParamSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Gpt2CheckpointTest {
    static final GptConfig CFG = new GptConfig(11, 6, 2, 2, 8);

    static double[] weights(Gpt2 m) {
        double[] w = m.init(3, 1.0);
        for (int i = 0; i < w.length; i++) w[i] = (float) (w[i] + 0.01 * Math.sin(i)); // exact in F32
        return w;
    }

    @Test
    void eoslabLayoutRoundTrips(@TempDir Path dir) throws Exception {
        Gpt2 m = new Gpt2(CFG);
        double[] w = weights(m);
        Path f = dir.resolve("w.safetensors");
        Gpt2Checkpoint.save(f, m, w);
        assertEquals(CFG, Gpt2Checkpoint.config(f, 99));
        assertArrayEquals(w, Gpt2Checkpoint.load(f, m));
    }

    /**
     * A file laid out as Hugging Face's GPT-2: Conv1D (in, out) weights, {@code transformer.} prefix, mask
     * buffers and a tied lm_head. Built here by transposing by hand, element by element.
     */
    @Test
    void huggingFaceConv1dLayoutIsTransposedOnLoad(@TempDir Path dir) throws Exception {
        Gpt2 m = new Gpt2(CFG);
        double[] w = weights(m);
        SafetensorsWriter out = new SafetensorsWriter();
        for (ParamSpec p : m.params()) {
            float[] x = new float[(int) p.size()];
            boolean linear = p.name().contains("c_attn.weight") || p.name().contains("c_proj.weight") || p.name().contains("c_fc.weight");
            if (linear) {
                int o = p.shape()[0], in = p.shape()[1];
                for (int r = 0; r < o; r++) for (int c = 0; c < in; c++) x[c * o + r] = (float) w[(int) p.offset() + r * in + c];
                out.add("transformer." + p.name(), x, in, o);
            } else {
                for (int i = 0; i < x.length; i++) x[i] = (float) w[(int) p.offset() + i];
                out.add("transformer." + p.name(), x, Arrays.stream(p.shape()).asLongStream().toArray());
            }
        }
        out.add("transformer.h.0.attn.bias", new float[36], 1, 1, 6, 6);
        float[] lm = new float[11 * 8];
        for (int i = 0; i < lm.length; i++) lm[i] = (float) w[i];
        out.add("lm_head.weight", lm, 11, 8);
        Path f = dir.resolve("hf.safetensors");
        out.write(f);
        assertEquals(CFG, Gpt2Checkpoint.config(f, 2));
        assertArrayEquals(w, Gpt2Checkpoint.load(f, m));

        lm[5] += 1; // an untied head is refused
        SafetensorsWriter bad = new SafetensorsWriter();
        Gpt2 small = new Gpt2(CFG);
        for (ParamSpec p : small.params()) {
            float[] x = new float[(int) p.size()];
            for (int i = 0; i < x.length; i++) x[i] = (float) w[(int) p.offset() + i];
            bad.add(p.name(), x, Arrays.stream(p.shape()).asLongStream().toArray());
        }
        bad.add("lm_head.weight", lm, 11, 8);
        Path g = dir.resolve("bad.safetensors");
        bad.write(g);
        var e = assertThrows(RuntimeException.class, () -> Gpt2Checkpoint.load(g, small));
        assertTrue(e.getMessage().contains("lm_head"), e.getMessage());
    }
}
