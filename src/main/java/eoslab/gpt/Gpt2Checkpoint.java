package eoslab.gpt;

import eoslab.io.SafetensorsReader;
import eoslab.io.SafetensorsWriter;
import eoslab.nn.ParamSpec;
import eoslab.util.UserError;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * GPT-2 weights in safetensors files.
 * <ul>
 *   <li>eoslab writes GPT-2's names with every linear weight (out, in), nanoGPT's {@code nn.Linear}
 *       layout ({@code h.0.attn.c_attn.weight} is (3C, C)), plus the config as metadata.</li>
 *   <li>Hugging Face's GPT-2 ({@code model.safetensors} of {@code gpt2}) stores the four linear
 *       weights as {@code Conv1D}, (in, out), may prefix names with {@code transformer.}, and carries
 *       the causal-mask buffers {@code h.*.attn.bias} / {@code attn.masked_bias} and sometimes a copy of
 *       the tied {@code lm_head.weight}. {@link #load} reads both: the layout is told by the shape of
 *       {@code h.0.attn.c_attn.weight} ((C, 3C) means Conv1D, and then all four are transposed — the
 *       square attn.c_proj cannot be told by its shape), buffers are ignored, and a stored lm_head must
 *       equal wte.</li>
 * </ul>
 */
public final class Gpt2Checkpoint {
    /** The two layouts of the linear weights. */
    public enum Layout { LINEAR_OUT_IN, CONV1D_IN_OUT }

    private Gpt2Checkpoint() {
    }

    /** Writes w (eoslab layout, F32) with the config as metadata. */
    public static void save(Path file, Gpt2 model, double[] w) throws IOException {
        if (w.length != model.numParams()) throw new IllegalArgumentException("weights have " + w.length + " values, model has " + model.numParams());
        SafetensorsWriter out = new SafetensorsWriter();
        for (ParamSpec p : model.params()) {
            float[] f = new float[(int) p.size()];
            for (int i = 0; i < f.length; i++) f[i] = (float) w[(int) p.offset() + i];
            out.add(p.name(), f, Arrays.stream(p.shape()).asLongStream().toArray());
        }
        GptConfig c = model.config();
        out.metadata("format", "eoslab gpt2, linear weights (out, in)")
                .metadata("vocab", "" + c.vocab()).metadata("maxT", "" + c.maxT()).metadata("layers", "" + c.layers())
                .metadata("heads", "" + c.heads()).metadata("channels", "" + c.channels());
        out.write(file);
    }

    /**
     * The config of an eoslab checkpoint from its metadata; for a file without it (Hugging Face's),
     * V, maxT, C and L from the shapes and the number of heads from {@code heads}.
     */
    public static GptConfig config(Path file, int heads) {
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            var m = r.metadata();
            if (m.containsKey("heads")) {
                return new GptConfig(Integer.parseInt(m.get("vocab")), Integer.parseInt(m.get("maxT")), Integer.parseInt(m.get("layers")),
                        Integer.parseInt(m.get("heads")), Integer.parseInt(m.get("channels")));
            }
            String pre = prefix(r);
            long[] wte = r.shape(pre + "wte.weight"), wpe = r.shape(pre + "wpe.weight");
            int layers = 0;
            while (r.has(pre + "h." + layers + ".ln_1.weight")) layers++;
            return new GptConfig((int) wte[0], (int) wpe[0], layers, heads, (int) wte[1]);
        }
    }

    private static String prefix(SafetensorsReader r) {
        return r.has("wte.weight") ? "" : "transformer.";
    }

    /** The layout of {@code file}'s linear weights. */
    public static Layout layout(SafetensorsReader r, GptConfig c) {
        long[] s = r.shape(prefix(r) + "h.0.attn.c_attn.weight");
        if (Arrays.equals(s, new long[]{3L * c.channels(), c.channels()})) return Layout.LINEAR_OUT_IN;
        if (Arrays.equals(s, new long[]{c.channels(), 3L * c.channels()})) return Layout.CONV1D_IN_OUT;
        throw new UserError(r.path() + ": h.0.attn.c_attn.weight has shape " + Arrays.toString(s) + ", expected (3C, C) or (C, 3C) with C = " + c.channels());
    }

    /** The flat parameter vector of {@code model} from {@code file} (either layout). */
    public static double[] load(Path file, Gpt2 model) {
        double[] w = new double[model.numParams()];
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            String pre = prefix(r);
            Layout layout = layout(r, model.config());
            for (ParamSpec p : model.params()) {
                String name = pre + p.name();
                boolean linear = p.shape().length == 2 && !p.name().startsWith("wte") && !p.name().startsWith("wpe");
                double[] x;
                if (linear && layout == Layout.CONV1D_IN_OUT) {
                    int out = p.shape()[0], in = p.shape()[1];
                    double[] t = r.doubles(name, in, out);
                    x = new double[t.length];
                    for (int i = 0; i < in; i++) for (int o = 0; o < out; o++) x[o * in + i] = t[i * out + o];
                } else {
                    x = r.doubles(name, Arrays.stream(p.shape()).asLongStream().toArray());
                }
                System.arraycopy(x, 0, w, (int) p.offset(), x.length);
            }
            for (String head : new String[]{"lm_head.weight", pre + "lm_head.weight"}) {
                if (!r.has(head)) continue;
                double[] lm = r.doubles(head, model.config().vocab(), model.config().channels());
                for (int i = 0; i < lm.length; i++) {
                    if (lm[i] != w[i]) throw new UserError(file + ": lm_head.weight differs from wte.weight at " + i + "; GPT-2's head is tied to the embedding");
                }
            }
        }
        return w;
    }
}
