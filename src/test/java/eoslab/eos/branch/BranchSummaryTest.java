package eoslab.eos.branch;

import eoslab.eos.Group;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The summary table's logic on hand-made branch records with known answers. */
class BranchSummaryTest {
    static final double TOL = 1e-12; // exact arithmetic on short decimals, up to rounding

    static GridRecord rec(long step, String branch, boolean shared, double[] loss, double[] influence) {
        double[] z = new double[4];
        return new GridRecord(step, 0.1 * step, branch, shared, 0.1, 20, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, loss, z, z, z, influence, z, z);
    }

    /**
     * Grid 0..4, fork at t*. Baseline losses 1.0 per group throughout; the exit branch's losses equal
     * 1 + Δ_k for steps > t* (Δ given per group), so Δℓ_k is Δ_k at the end and on average after t*.
     */
    static BranchRun.Outcome outcome(long seed, Long tStar, double[] delta, double[] influenceAtFork) {
        double[] one = {1, 1, 1, 1}, small = {0.01, 0.01, 0.01, 0.01};
        List<GridRecord> base = new ArrayList<>(), exit = new ArrayList<>();
        for (long t = 0; t <= 4; t++) {
            base.add(rec(t, "baseline", false, one, tStar != null && t == tStar ? influenceAtFork : small));
            if (tStar == null) continue;
            double[] l = one.clone();
            if (t > tStar) for (int k = 0; k < 4; k++) l[k] += delta[k];
            exit.add(rec(t, "exit", t < tStar, l, small));
        }
        return new BranchRun.Outcome(seed, tStar, null, base, tStar == null ? List.of() : exit, 0);
    }

    @Test
    void deltaSignsMediansAndTheAlignmentVerdict() {
        //                                         inlier boundary input  output
        BranchRun.Outcome a = outcome(0, 2L, new double[]{-0.1, 0.00, 0.3, 0.1}, new double[]{0.1, 0.2, 0.9, 0.5});
        BranchRun.Outcome b = outcome(1, 1L, new double[]{-0.2, 0.05, 0.5, 0.2}, new double[]{0.1, 0.2, 0.6, 0.7});
        BranchRun.Outcome never = outcome(2, null, null, null);
        BranchSummary s = BranchSummary.of(List.of(a, b, never), 0.1, 0.05);

        double[] expectEnd = {-0.15, 0.025, 0.4, 0.15};
        for (Group g : Group.values()) {
            BranchSummary.GroupRow r = s.rows().get(g.ordinal());
            assertEquals(g, r.group());
            assertEquals(2, r.deltaEnd().count(), "the seed without a fork has no Δ");
            assertEquals(expectEnd[g.ordinal()], r.deltaEnd().median(), TOL, g.key + " Δ at the end");
            assertEquals(expectEnd[g.ordinal()], r.deltaMeanAfterFork().median(), TOL, g.key + " mean Δ after t*");
        }
        assertEquals("−", s.rows().get(Group.INLIER.ordinal()).sign());
        assertEquals("+", s.rows().get(Group.BOUNDARY.ordinal()).sign());
        assertEquals("+", s.rows().get(Group.INPUT_OUTLIER.ordinal()).sign());
        // influence at t*: medians 0.1, 0.2, 0.75, 0.6 → input-outliers; per seed: input (seed 0), output (seed 1)
        assertEquals(0.75, s.rows().get(Group.INPUT_OUTLIER.ordinal()).influenceAtFork().median(), TOL);
        assertEquals(1, s.rows().get(Group.INPUT_OUTLIER.ordinal()).seedsWithLargestInfluence());
        assertEquals(1, s.rows().get(Group.OUTPUT_OUTLIER.ordinal()).seedsWithLargestInfluence());
        assertEquals(Group.INPUT_OUTLIER, s.mostInfluential());
        assertEquals(Group.INPUT_OUTLIER, s.beneficiary());
        assertEquals(Boolean.TRUE, s.alignmentHolds());
        assertEquals(Group.OUTPUT_OUTLIER, s.seeds().get(1).largestInfluence());
        assertNull(s.seeds().get(2).tStar());
        String md = s.markdown();
        assertTrue(md.contains("| 2 | never |"), md);
        assertTrue(md.contains("the alignment principle holds"), md);
        assertEquals("input_outlier", s.toMap().get("beneficiary"));
    }

    @Test
    void averageAfterTheForkIsOverTheGridStepsAfterTStar() {
        // exit losses 1 + Δ only at the last step: the mean over steps 3, 4 (t* = 2) is Δ/2, the end value Δ
        BranchRun.Outcome a = outcome(0, 2L, new double[]{0, 0, 0, 0}, new double[]{1, 0, 0, 0});
        List<GridRecord> exit = new ArrayList<>(a.exit());
        exit.set(4, rec(4, "exit", false, new double[]{1.4, 1, 0.8, 1}, new double[4]));
        exit.set(3, rec(3, "exit", false, new double[]{1, 1, 1, 1}, new double[4]));
        BranchSummary s = BranchSummary.of(List.of(new BranchRun.Outcome(0, 2L, null, a.baseline(), exit, 0)), 0.1, 0.05);
        assertEquals(0.4, s.rows().get(0).deltaEnd().median(), TOL);
        assertEquals(0.2, s.rows().get(0).deltaMeanAfterFork().median(), TOL);
        assertEquals(-0.1, s.rows().get(2).deltaMeanAfterFork().median(), TOL);
        assertEquals(Group.INLIER, s.beneficiary());
        assertEquals(Group.INLIER, s.mostInfluential());
    }

    @Test
    void noGainerAndNoForkAreReportedAsSuch() {
        BranchRun.Outcome a = outcome(0, 1L, new double[]{-0.1, -0.2, -0.3, 0}, new double[]{0.1, 0.9, 0.1, 0.1});
        BranchSummary s = BranchSummary.of(List.of(a), 0.1, 0.05);
        assertNull(s.beneficiary(), "no group has Δ > 0");
        assertEquals(Group.BOUNDARY, s.mostInfluential());
        assertNull(s.alignmentHolds());
        assertEquals("0", s.rows().get(3).sign());

        BranchSummary none = BranchSummary.of(List.of(outcome(0, null, null, null)), 0.1, 0.05);
        assertNull(none.mostInfluential());
        assertEquals("n/a", none.rows().get(0).sign());
        assertTrue(none.markdown().contains("No seed reached the threshold"));
    }

    @Test
    void quartilesAreType7OverFiniteValues() {
        BranchSummary.Quartiles q = BranchSummary.Quartiles.of(new double[]{4, 1, 3, 2, Double.NaN});
        assertEquals(4, q.count());
        assertEquals(2.5, q.median(), TOL);
        assertEquals(1.75, q.q25(), TOL); // h = 3·0.25 = 0.75 → 1 + 0.75·(2 − 1)
        assertEquals(3.25, q.q75(), TOL);
    }
}
