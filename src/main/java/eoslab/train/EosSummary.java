package eoslab.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where λ_max first reached the stability threshold (the EoS onset t*, Kwag et al. §2: "the first
 * logged step with λ_1 ≥ 2/η") and how closely it hovered there afterwards: the median and the
 * largest relative deviation |λ/threshold − 1| over the logged steps after onset, and the share of
 * them within ±15%.
 */
public record EosSummary(double threshold, Long onsetStep, Double onsetEtaT, int after, double medianDeviation,
                         double maxDeviation, double withinFifteenPercent, double finalLambda) {

    public static EosSummary of(List<Map<String, Object>> ms, double threshold) {
        Long onset = null;
        Double onsetEt = null;
        List<Double> dev = new ArrayList<>();
        for (Map<String, Object> m : ms) {
            double lam = RunReport.num(m, "lambda_max");
            long step = ((Number) m.get("step")).longValue();
            if (onset == null && lam >= threshold) {
                onset = step;
                onsetEt = RunReport.num(m, "eta_t");
            } else if (onset != null) {
                dev.add(Math.abs(lam / threshold - 1));
            }
        }
        double[] d = dev.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double med = d.length == 0 ? Double.NaN : d[d.length / 2];
        double max = d.length == 0 ? Double.NaN : d[d.length - 1];
        double within = d.length == 0 ? Double.NaN : Arrays.stream(d).filter(v -> v <= 0.15).count() / (double) d.length;
        double fin = ms.isEmpty() ? Double.NaN : RunReport.num(ms.getLast(), "lambda_max");
        return new EosSummary(threshold, onset, onsetEt, d.length, med, max, within, fin);
    }

    public boolean reached() {
        return onsetStep != null;
    }

    public String describe() {
        if (!reached()) {
            return String.format(Locale.ROOT, "eoslab: λ_max never reached the threshold %.4g (last λ_max %.4g): the run ended before the edge of stability.", threshold, finalLambda);
        }
        return String.format(Locale.ROOT,
                "eoslab: λ_max crossed the stability threshold %.4g at step %d (η·t = %.3g); over the %d logged steps after that it stayed within %.1f%% of it (median %.1f%%, %.0f%% of them within ±15%%); final λ_max %.4g.",
                threshold, onsetStep, onsetEtaT, after, 100 * maxDeviation, 100 * medianDeviation, 100 * withinFifteenPercent, finalLambda);
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("threshold", threshold);
        m.put("onset_step", onsetStep);
        m.put("onset_eta_t", onsetEtaT);
        m.put("logged_after_onset", after);
        m.put("median_rel_deviation", medianDeviation);
        m.put("max_rel_deviation", maxDeviation);
        m.put("share_within_15pct", withinFifteenPercent);
        m.put("final_lambda_max", finalLambda);
        return m;
    }
}
