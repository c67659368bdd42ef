package eoslab.train;

import eoslab.backend.CpuBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Integration: full-batch GD on the committed Fashion-MNIST subset enters the edge of stability
 * (Cohen et al. 2021). λ_max rises from well below 2/η (progressive sharpening), reaches it, and
 * from then on stays within ±15% of 2/η for the rest of the run (self-stabilization).
 * η = 0.04 keeps the first overshoot small: the overshoot after onset grows with the sharpening
 * per step relative to 2/η, which scales with η (see README, "The demo").
 */
class EdgeOfStabilityTest {
    @Test
    void gradientDescentReachesAndHoversAtTwoOverEta(@TempDir Path dir) throws Exception {
        TrainConfig cfg = new TrainConfig("fashion-mnist", new int[0], 500, 100, null, "mlp", new int[]{64, 64}, "tanh", true, 1.0,
                "mse", "gd", 0.04, 0.9, 0, 0, 2200, 0, 10, 1, 30, 1e-4, "f32", "cpu", 4096, 0);
        Trainer t = new Trainer(cfg, CpuBackend.INSTANCE, System.err);
        Trainer.Result r = t.run(t.initial(), dir, null);
        List<Map<String, Object>> ms = r.metrics();
        double thr = 2 / 0.04;
        double lam0 = (Double) ms.getFirst().get("lambda_max");
        assertTrue(lam0 < 0.5 * thr, "starts well below 2/η: λ_max(0) = " + lam0);
        assertNotNull(r.eosOnsetStep(), "λ_max reached 2/η");
        int after = 0;
        for (Map<String, Object> m : ms) {
            long step = (Long) m.get("step");
            if (step <= r.eosOnsetStep()) continue;
            double lam = (Double) m.get("lambda_max");
            assertTrue(Math.abs(lam / thr - 1) <= 0.15, "step " + step + ": λ_max " + lam + " is more than 15% from 2/η = " + thr);
            after++;
        }
        assertTrue(after >= 100, "the run spends most of its time at EoS (" + after + " logged steps after onset)");
        EosSummary s = EosSummary.of(ms, thr);
        assertTrue(s.reached() && s.maxDeviation() <= 0.15, s.describe());
    }
}
