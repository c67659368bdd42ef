package eoslab.eos.branch;

import eoslab.eos.Group;
import eoslab.io.Plots;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The figures of a branching experiment, medians over seeds per grid step against η·t (baseline η
 * for both branches), baseline solid and exit branch dashed in the same color per group:
 * <ul>
 *   <li>{@value #SHARPNESS}: λ_1 of both branches with IQR bands, 2/η and 2/(cη) (Fig. 4 left);</li>
 *   <li>{@value #LOSS}: per-group losses ℓ_k (Fig. 4 middle);</li>
 *   <li>{@value #DELTA}: Δℓ_k = ℓ_k(exit) − ℓ_k(EoS) with IQR bands (Fig. 4 right);</li>
 *   <li>{@value #COS2}: cos²θ_k (Fig. 5);</li>
 *   <li>{@value #INFLUENCE}: curvature influence (∇ℓ_k·v_1)² (Figs. 6–7, App. C);</li>
 *   <li>{@value #SELECTOR}: the selector Q_k = ⟨∇ℓ_k, ∇³L[v_1, v_1]⟩ (App. F.3).</li>
 * </ul>
 * The vertical lines are the median t* and (when every forked seed reached it) the median t**.
 */
public final class BranchFigures {
    public static final String SHARPNESS = "fig4_sharpness.png", LOSS = "fig4_group_loss.png", DELTA = "fig4_delta_loss.png",
            COS2 = "fig5_cos2.png", INFLUENCE = "fig6_curvature_influence.png", SELECTOR = "fig_selector_Q.png",
            NATURAL = "fig_natural_spearman.png";

    private BranchFigures() {
    }

    /** Median and quartiles over seeds at each grid step. */
    record Band(double[] x, double[] q25, double[] med, double[] q75) {
    }

    /**
     * The quantity {@code f} over seeds per grid step of the first seed's baseline. Exit curves use
     * the seeds that forked (their exit lines include the shared prefix, so every step is defined).
     */
    static Band band(List<BranchRun.Outcome> os, boolean exit, ToDoubleFunction<GridRecord> f, double lr) {
        List<GridRecord> grid = os.getFirst().baseline();
        int n = grid.size();
        double[] x = new double[n], lo = new double[n], med = new double[n], hi = new double[n];
        for (int i = 0; i < n; i++) {
            long step = grid.get(i).step();
            x[i] = lr * step;
            List<Double> v = new ArrayList<>();
            for (BranchRun.Outcome o : os) {
                List<GridRecord> recs = exit ? o.exit() : o.baseline();
                if (recs.isEmpty()) continue;
                v.add(f.applyAsDouble(BranchSummary.at(recs, step)));
            }
            BranchSummary.Quartiles q = BranchSummary.Quartiles.of(v.stream().mapToDouble(Double::doubleValue).toArray());
            lo[i] = q.q25();
            med[i] = q.median();
            hi[i] = q.q75();
        }
        return new Band(x, lo, med, hi);
    }

    /** Write every figure into {@code dir}; returns the files written. */
    public static List<Path> write(List<BranchRun.Outcome> os, double lr, double exitLr, double threshold, double exitThreshold, Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        boolean anyFork = os.stream().anyMatch(o -> o.tStar() != null);
        Plots.Options base = Plots.Options.DEFAULT.withScale(2);
        List<BranchRun.Outcome> forked = os.stream().filter(o -> o.tStar() != null).toList();
        // both branches over the same seeds, so the shared prefix coincides: the forked seeds when there are any
        List<BranchRun.Outcome> shown = forked.isEmpty() ? os : forked;
        if (anyFork) {
            double tStar = median(forked.stream().mapToDouble(o -> o.tStar()).toArray());
            base = base.withVLine(lr * tStar, String.format(Locale.ROOT, "t* (η·t = %.3g%s)", lr * tStar, forked.size() > 1 ? ", median" : ""));
            if (forked.stream().allMatch(o -> o.tStarStar() != null)) {
                double tss = median(forked.stream().mapToDouble(o -> o.tStarStar()).toArray());
                base = base.withVLine(lr * tss, String.format(Locale.ROOT, "t** (η·t = %.3g%s)", lr * tss, forked.size() > 1 ? ", median" : ""));
            }
        }
        String eta = String.format(Locale.ROOT, "η = %s", fmt(lr)), ceta = String.format(Locale.ROOT, "cη = %s", fmt(exitLr));
        String xl = "η·t (baseline η)";
        String seeds = (shown.size() == 1 ? "1 seed" : "median, IQR over " + shown.size() + " seeds") + (shown.size() < os.size() ? " that forked" : "");

        // Fig. 4 left: sharpness
        List<Plots.Series> sh = new ArrayList<>();
        Band b = band(shown, false, GridRecord::lambda1, lr);
        sh.add(new Plots.Series("baseline λ_1 (" + eta + ")", b.x(), b.med()).withColor(0).withBand(b.q25(), b.q75()));
        if (anyFork) {
            Band e = band(forked, true, GridRecord::lambda1, lr);
            sh.add(new Plots.Series("exit λ_1 (" + ceta + ")", e.x(), e.med()).withColor(3).asDashed().withBand(e.q25(), e.q75()));
        }
        Path p = dir.resolve(SHARPNESS);
        Plots.linePlot(p, "λ_1, baseline solid, exit dashed (" + seeds + ")", xl, "λ_1 of the training-loss Hessian", sh,
                base.withHLine(threshold, "baseline threshold " + fmt(threshold)).withHLine(exitThreshold, "exit threshold " + fmt(exitThreshold)));
        out.add(p);

        out.add(perGroup(shown, forked, "loss", "Group loss ℓ_k: baseline solid, exit dashed", "ℓ_k (group-mean loss)", dir.resolve(LOSS), base.withLogY(true), lr, xl));
        out.add(perGroup(shown, forked, "cos2", "cos²θ_k = (∇ℓ_k·v_1)²/‖∇ℓ_k‖²: baseline solid, exit dashed", "cos²θ_k", dir.resolve(COS2), base.withYRange(0.0, 1.0), lr, xl));
        out.add(perGroup(shown, forked, "influence", "Curvature influence (∇ℓ_k·v_1)²: baseline solid, exit dashed", "(∇ℓ_k·v_1)²", dir.resolve(INFLUENCE), base.withLogY(true), lr, xl));
        out.add(perGroup(shown, forked, "Q", "Q_k = ⟨∇ℓ_k, ∇³L[v_1,v_1]⟩: baseline solid, exit dashed", "Q_k", dir.resolve(SELECTOR), base, lr, xl));

        // Fig. 4 right: the intervention effect, with IQR bands
        p = dir.resolve(DELTA);
        List<Plots.Series> ds = new ArrayList<>();
        if (anyFork) {
            long first = forked.stream().mapToLong(BranchRun.Outcome::tStar).min().orElseThrow();
            for (Group g : Group.values()) {
                int k = g.ordinal();
                // from the earliest fork on: before it there is no exit branch, and the axis starts there
                List<GridRecord> grid = forked.getFirst().baseline().stream().filter(r -> r.step() >= first).toList();
                double[] x = new double[grid.size()], lo = new double[x.length], med = new double[x.length], hi = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    long step = grid.get(i).step();
                    x[i] = lr * step;
                    double[] v = forked.stream().mapToDouble(o -> BranchSummary.delta(o, step)[k]).toArray();
                    BranchSummary.Quartiles q = BranchSummary.Quartiles.of(v);
                    lo[i] = q.q25();
                    med[i] = q.median();
                    hi[i] = q.q75();
                }
                ds.add(new Plots.Series(g.key, x, med).withColor(k).withBand(lo, hi));
            }
        }
        Plots.linePlot(p, "Δℓ_k = ℓ_k(exit) − ℓ_k(EoS), > 0: EoS helps (" + seeds + ")", xl, "Δℓ_k", ds, base.withHLine(0, "Δℓ_k = 0"));
        out.add(p);
        return out;
    }

    /**
     * Fig. 20 (§4.3): Spearman ρ(centroid distance, cos²θ_i) over the natural training rows against
     * η·t on the baseline, median and IQR over the seeds that have a {@code natural.jsonl}
     * ({@code --natural-outliers}); non-finite ρ are left out of the quartiles. Returns the file, or
     * null when no seed has the analysis.
     *
     * @param perSeed per seed, the lines of its natural.jsonl as (step, ρ) rows
     */
    public static Path writeNatural(List<double[][]> perSeed, double lr, Path dir) throws IOException {
        if (perSeed.isEmpty()) return null;
        java.util.TreeMap<Long, List<Double>> bySteps = new java.util.TreeMap<>();
        for (double[][] rows : perSeed) for (double[] r : rows) bySteps.computeIfAbsent((long) r[0], k -> new ArrayList<>()).add(r[1]);
        int n = bySteps.size(), i = 0;
        double[] x = new double[n], lo = new double[n], med = new double[n], hi = new double[n];
        for (var e : bySteps.entrySet()) {
            BranchSummary.Quartiles q = BranchSummary.Quartiles.of(e.getValue().stream().mapToDouble(Double::doubleValue).toArray());
            x[i] = lr * e.getKey();
            lo[i] = q.q25();
            med[i] = q.median();
            hi[i++] = q.q75();
        }
        String seeds = perSeed.size() == 1 ? "1 seed" : "median, IQR over " + perSeed.size() + " seeds";
        Path p = dir.resolve(NATURAL);
        Plots.linePlot(p, "ρ(‖x_i − μ_y‖, cos²θ_i), natural rows, baseline (" + seeds + ")", "η·t (baseline η)", "Spearman ρ",
                List.of(new Plots.Series("ρ over the untracked training rows", x, med).withColor(0).withBand(lo, hi)),
                Plots.Options.DEFAULT.withScale(2).withYRange(-1.0, 1.0).withHLine(0, "ρ = 0"));
        return p;
    }

    private static Path perGroup(List<BranchRun.Outcome> os, List<BranchRun.Outcome> forked, String metric, String title, String yl, Path png,
                                 Plots.Options opt, double lr, String xl) throws IOException {
        List<Plots.Series> s = new ArrayList<>();
        for (Group g : Group.values()) {
            int k = g.ordinal();
            Band b = band(os, false, r -> r.group(metric)[k], lr);
            s.add(new Plots.Series(g.key, b.x(), b.med()).withColor(k));
        }
        if (!forked.isEmpty()) {
            for (Group g : Group.values()) {
                int k = g.ordinal();
                Band e = band(forked, true, r -> r.group(metric)[k], lr);
                s.add(new Plots.Series(g.key + ", exit", e.x(), e.med()).withColor(k).asDashed());
            }
        }
        // 8 entries do not fit a horizontal legend below the plot: put them on the right
        Plots.linePlot(png, title, xl, yl, s, opt.withSize(1100, 560).withLegend(Plots.Legend.RIGHT));
        return png;
    }

    private static double median(double[] v) {
        return eoslab.eos.Stats.median(v);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }
}
