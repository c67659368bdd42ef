package eoslab.nn;

import eoslab.backend.Act;

import java.util.ArrayList;
import java.util.List;

/** Multi-layer perceptron: Linear → σ → … → Linear, as a {@link Sequential}. */
public final class Mlp {
    private Mlp() {
    }

    /**
     * @param sizes input, hidden…, output widths, e.g. {784, 512, 512, 2}
     */
    public static Sequential of(int[] sizes, Act act, boolean bias) {
        if (sizes.length < 2) throw new IllegalArgumentException("an MLP needs at least input and output sizes");
        List<Layer> layers = new ArrayList<>();
        StringBuilder desc = new StringBuilder("MLP ");
        for (int i = 0; i + 1 < sizes.length; i++) {
            layers.add(new Linear(sizes[i], sizes[i + 1], bias));
            if (i + 2 < sizes.length) layers.add(new Activation(act, sizes[i + 1]));
            desc.append(sizes[i]).append('-');
        }
        desc.append(sizes[sizes.length - 1]).append(' ').append(act.name().toLowerCase()).append(bias ? " bias" : " nobias");
        return new Sequential(layers, desc.toString());
    }
}
