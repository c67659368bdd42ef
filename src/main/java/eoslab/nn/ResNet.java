package eoslab.nn;

import eoslab.backend.Act;

import java.util.ArrayList;
import java.util.List;

/**
 * BN-free residual networks (Kwag et al. App. A: "BN-free ResNet-14 with a 3×3 conv stem of width
 * 16, three stages 16, 32, 64 with [2, 2, 2] blocks, two 3×3 convs with ReLU per block,
 * downsampling in the first block of stages 2 and 3, global average pooling, linear classifier").
 * Built as a {@link Sequential} matching the PyTorch
 * <pre>
 *   nn.Sequential(Conv2d(inC,16,3,padding=1), ReLU(), Block, Block, Block, Block, Block, Block,
 *                 AdaptiveAvgPool2d(1), Flatten(), Linear(64, classes))
 * </pre>
 * where each Block has attributes conv1, conv2 and (when downsampling) shortcut, see
 * {@link ResidualBlock}: names {@code layers.0.weight}, {@code layers.2.conv1.weight}, …,
 * {@code layers.10.weight}. Depth 14 = stem + 2·6 block convs + classifier.
 */
public final class ResNet {
    private ResNet() {
    }

    /** ResNet-14 as in the paper, biases on (there is no batch norm to supply a shift). */
    public static Sequential resnet14(int inC, int height, int width, int classes) {
        return of(inC, height, width, classes, new int[]{16, 32, 64}, new int[]{2, 2, 2}, true);
    }

    /**
     * @param widths channels of each stage; the stem has widths[0]
     * @param blocks residual blocks per stage; every stage after the first starts with a stride-2 block
     */
    public static Sequential of(int inC, int height, int width, int classes, int[] widths, int[] blocks, boolean bias) {
        if (widths.length == 0 || widths.length != blocks.length) {
            throw new IllegalArgumentException("ResNet needs one width per stage and one block count per stage, got " + widths.length + " and " + blocks.length);
        }
        for (int b : blocks) if (b < 1) throw new IllegalArgumentException("every ResNet stage needs at least one block, got " + b);
        if (classes < 1) throw new IllegalArgumentException("ResNet needs at least one output, got " + classes);
        List<Layer> layers = new ArrayList<>();
        Conv2d stem = Conv2d.conv3x3(inC, widths[0], height, width, 1, bias);
        layers.add(stem);
        layers.add(new Activation(Act.RELU, stem.outSize()));
        int c = widths[0], h = height, w = width, depth = 2;
        StringBuilder desc = new StringBuilder("ResNet-BN-free " + inC + "x" + height + "x" + width + " stem" + c);
        for (int s = 0; s < widths.length; s++) {
            desc.append(s == 0 ? " stages " : "-").append(widths[s]).append('x').append(blocks[s]);
            for (int b = 0; b < blocks[s]; b++) {
                int stride = s > 0 && b == 0 ? 2 : 1;
                ResidualBlock block = new ResidualBlock(c, widths[s], h, w, stride, bias);
                layers.add(block);
                c = widths[s];
                h = (h - 1) / stride + 1; // ⌈h / stride⌉ for a 3×3 conv with padding 1
                w = (w - 1) / stride + 1;
                depth += 2;
            }
        }
        layers.add(new GlobalAvgPool(c, h, w));
        layers.add(new Flatten(c));
        layers.add(new Linear(c, classes, bias));
        desc.append(" gap fc").append(classes).append(" (depth ").append(depth).append(')').append(bias ? " bias" : " nobias");
        return new Sequential(layers, desc.toString());
    }
}
