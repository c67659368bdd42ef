package eoslab.nn;

import eoslab.backend.Act;

import java.util.ArrayList;
import java.util.List;

/**
 * The paper's small CNN (Kwag et al. App. A: "3×3 convs 64-64-128, max-pool after the 2nd and
 * 3rd, FC 512"), as a {@link Sequential} whose module indices match the PyTorch
 * <pre>
 *   nn.Sequential(Conv2d(inC,64,3,padding=1), ReLU(), Conv2d(64,64,3,padding=1), ReLU(), MaxPool2d(2),
 *                 Conv2d(64,128,3,padding=1), ReLU(), MaxPool2d(2), Flatten(),
 *                 Linear(128·(H/4)·(W/4), 512), ReLU(), Linear(512, classes))
 * </pre>
 * so its parameters are {@code layers.0.weight}, {@code layers.2.weight}, {@code layers.5.weight},
 * {@code layers.9.weight}, {@code layers.11.weight} (and biases).
 */
public final class Cnn {
    private Cnn() {
    }

    /** The paper's widths: convs 64-64-128, FC 512, biases on. */
    public static Sequential of(int inC, int height, int width, int classes) {
        return of(inC, height, width, classes, 64, 64, 128, 512, Act.RELU, true);
    }

    /** The same architecture with chosen widths and activation (tests use tiny ones). */
    public static Sequential of(int inC, int height, int width, int classes, int c1, int c2, int c3, int fc, Act act, boolean bias) {
        if (height < 4 || width < 4) throw new IllegalArgumentException("the CNN pools twice by 2, so it needs inputs of at least 4x4, got " + height + "x" + width);
        if (classes < 1) throw new IllegalArgumentException("the CNN needs at least one output, got " + classes);
        List<Layer> layers = new ArrayList<>();
        Conv2d a = Conv2d.conv3x3(inC, c1, height, width, 1, bias);
        layers.add(a);
        layers.add(new Activation(act, a.outSize()));
        Conv2d b = Conv2d.conv3x3(c1, c2, height, width, 1, bias);
        layers.add(b);
        layers.add(new Activation(act, b.outSize()));
        MaxPool2d p1 = new MaxPool2d(c2, height, width, 2);
        layers.add(p1);
        Conv2d c = Conv2d.conv3x3(c2, c3, p1.outHeight(), p1.outWidth(), 1, bias);
        layers.add(c);
        layers.add(new Activation(act, c.outSize()));
        MaxPool2d p2 = new MaxPool2d(c3, c.outHeight(), c.outWidth(), 2);
        layers.add(p2);
        layers.add(new Flatten(p2.outSize()));
        layers.add(new Linear(p2.outSize(), fc, bias));
        layers.add(new Activation(act, fc));
        layers.add(new Linear(fc, classes, bias));
        String desc = "CNN " + inC + "x" + height + "x" + width + " conv" + c1 + "-" + c2 + "-pool-" + c3 + "-pool-fc" + fc + "-" + classes
                + " " + act.name().toLowerCase() + (bias ? " bias" : " nobias");
        return new Sequential(layers, desc);
    }
}
