package eoslab.train;

import eoslab.backend.CpuBackend;
import eoslab.io.SafetensorsReader;
import eoslab.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static eoslab.train.TrainerTest.QUIET;
import static org.junit.jupiter.api.Assertions.*;

/** Convolutional architectures in training runs: built from the data's (C, H, W), trained, checkpointed with PyTorch names. */
class TrainerModelsTest {

    /** Fashion-MNIST subset (1×28×28, 2 classes), n = 64, full-batch GD with MSE as in the paper. */
    static TrainConfig config(String model, int[] widths, long steps) {
        return config(model, widths, steps, 64);
    }

    static TrainConfig config(String model, int[] widths, long steps, int n) {
        return new TrainConfig("fashion-mnist", new int[0], n, 32, null, model, widths, "relu", true, 1.0,
                "mse", "gd", 0.05, 0.9, 0, 0, steps, 3, 2, 1, 2, 1e-3, "f32", "cpu", 64, 0);
    }

    @Test
    void tinyCnnTrainsAndCheckpointsWithPyTorchNames(@TempDir Path tmp) throws Exception {
        TrainConfig cfg = config("cnn", new int[]{4, 4, 8, 16}, 3, 32);
        Trainer t = new Trainer(cfg, CpuBackend.INSTANCE, QUIET);
        assertEquals(784, t.model.inputSize());
        Trainer.Result r = t.run(t.initial(), tmp, null);
        double first = (Double) r.metrics().getFirst().get("train_loss"), last = (Double) r.metrics().getLast().get("train_loss");
        assertTrue(Double.isFinite(last) && last < first, "GD lowers the training loss: " + first + " -> " + last);
        Path ck = tmp.resolve(Trainer.CHECKPOINT);
        try (SafetensorsReader rd = SafetensorsReader.open(ck)) {
            // nn.Sequential(Conv2d, ReLU, Conv2d, ReLU, MaxPool2d, Conv2d, ReLU, MaxPool2d, Flatten, Linear, ReLU, Linear)
            assertArrayEquals(new long[]{4, 1, 3, 3}, rd.shape("layers.0.weight"));
            assertArrayEquals(new long[]{4}, rd.shape("layers.0.bias"));
            assertArrayEquals(new long[]{4, 4, 3, 3}, rd.shape("layers.2.weight"));
            assertArrayEquals(new long[]{8, 4, 3, 3}, rd.shape("layers.5.weight"));
            assertArrayEquals(new long[]{16, 8 * 7 * 7}, rd.shape("layers.9.weight"));
            assertArrayEquals(new long[]{2, 16}, rd.shape("layers.11.weight"));
        }
        assertEquals(cfg, Trainer.configOf(ck), "config round trip through the checkpoint keeps model and widths");
        // the checkpoint restores into a fresh trainer built from the stored configuration
        Trainer again = new Trainer(Trainer.configOf(ck), CpuBackend.INSTANCE, QUIET);
        Trainer.State s = again.loadCheckpoint(ck);
        assertEquals(3, s.step());
        try (SafetensorsReader rd = SafetensorsReader.open(ck)) {
            float[] w = again.opt.params(s.x()).toFloats();
            double[] stored = rd.doubles("layers.5.weight");
            long off = again.model.params().stream().filter(p -> p.name().equals("layers.5.weight")).findFirst().orElseThrow().offset();
            for (int i = 0; i < stored.length; i++) assertEquals((float) stored[i], w[(int) off + i], 0f, "layers.5.weight[" + i + "]");
        }
    }

    @Test
    void tinyResNetTrainsAndCheckpointsWithPyTorchNames(@TempDir Path tmp) throws Exception {
        TrainConfig cfg = config("resnet14", new int[]{2, 3, 4}, 2, 32);
        Trainer t = new Trainer(cfg, CpuBackend.INSTANCE, QUIET);
        Trainer.Result r = t.run(t.initial(), tmp, null);
        double first = (Double) r.metrics().getFirst().get("train_loss"), last = (Double) r.metrics().getLast().get("train_loss");
        assertTrue(Double.isFinite(last) && last < first, "GD lowers the training loss: " + first + " -> " + last);
        try (SafetensorsReader rd = SafetensorsReader.open(tmp.resolve(Trainer.CHECKPOINT))) {
            assertArrayEquals(new long[]{2, 1, 3, 3}, rd.shape("layers.0.weight"));   // stem
            assertArrayEquals(new long[]{2, 2, 3, 3}, rd.shape("layers.2.conv1.weight"));
            assertArrayEquals(new long[]{3, 2, 3, 3}, rd.shape("layers.4.conv1.weight")); // first block of stage 2
            assertArrayEquals(new long[]{2, 4}, rd.shape("layers.10.weight"));          // classifier after GAP + Flatten
        }
        assertEquals(cfg, Trainer.configOf(tmp.resolve(Trainer.CHECKPOINT)));
    }

    /** The paper's widths (App. C.1) when --hidden is empty; checked on the initial checkpoint, without training. */
    @Test
    void paperWidthsByDefault(@TempDir Path tmp) throws Exception {
        Trainer cnn = new Trainer(config("cnn", new int[0], 1), CpuBackend.INSTANCE, QUIET);
        cnn.saveCheckpoint(tmp.resolve("cnn.safetensors"), cnn.initial());
        try (SafetensorsReader rd = SafetensorsReader.open(tmp.resolve("cnn.safetensors"))) {
            assertArrayEquals(new long[]{64, 1, 3, 3}, rd.shape("layers.0.weight"));
            assertArrayEquals(new long[]{64, 64, 3, 3}, rd.shape("layers.2.weight"));
            assertArrayEquals(new long[]{128, 64, 3, 3}, rd.shape("layers.5.weight"));
            assertArrayEquals(new long[]{512, 128 * 7 * 7}, rd.shape("layers.9.weight"));
            assertArrayEquals(new long[]{2, 512}, rd.shape("layers.11.weight"));
        }
        Trainer res = new Trainer(config("resnet14", new int[0], 1), CpuBackend.INSTANCE, QUIET);
        res.saveCheckpoint(tmp.resolve("res.safetensors"), res.initial());
        try (SafetensorsReader rd = SafetensorsReader.open(tmp.resolve("res.safetensors"))) {
            assertArrayEquals(new long[]{16, 1, 3, 3}, rd.shape("layers.0.weight"));
            assertArrayEquals(new long[]{64, 32, 3, 3}, rd.shape("layers.6.conv1.weight"));
            assertArrayEquals(new long[]{2, 64}, rd.shape("layers.10.weight"));
        }
    }

    @Test
    void badModelsAreClearUserErrors() {
        UserError flat = assertThrows(UserError.class, () -> new Trainer(new TrainConfig("gaussian:k=2,dim=6", new int[0], 32, 16, null,
                "cnn", new int[0], "relu", true, 1.0, "mse", "gd", 0.05, 0.9, 0, 0, 2, 3, 2, 1, 4, 1e-3, "f32", "cpu", 64, 0),
                CpuBackend.INSTANCE, QUIET));
        assertTrue(flat.getMessage().contains("(C, H, W)"), flat.getMessage());
        UserError name = assertThrows(UserError.class, () -> config("vit", new int[0], 1));
        assertTrue(name.getMessage().contains("--model"), name.getMessage());
        assertThrows(UserError.class, () -> config("cnn", new int[]{4, 4}, 1), "cnn takes 4 widths");
        assertThrows(UserError.class, () -> config("resnet14", new int[]{4, 4, 8, 16}, 1), "resnet14 takes 3 widths");
        assertThrows(UserError.class, () -> new TrainConfig("fashion-mnist", new int[0], 64, 32, null, "resnet14", new int[0], "tanh", true, 1.0,
                "mse", "gd", 0.05, 0.9, 0, 0, 1, 3, 2, 1, 4, 1e-3, "f32", "cpu", 64, 0), "resnet14 is ReLU only");
        // an old MLP config map (no new keys) still round-trips
        TrainConfig mlp = TrainerTest.config("sgd", 16, 10);
        Map<String, Object> m = mlp.toMap();
        assertEquals(mlp, TrainConfig.fromMap(m));
    }
}
