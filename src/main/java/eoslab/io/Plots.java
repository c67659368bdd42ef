package eoslab.io;

import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * PNG line plots for run directories (loss, sharpness against 2/η, Lyapunov exponents ...), drawn with
 * XChart, headless, and written atomically so a plot being refreshed during a run is never half a file.
 *
 * <pre>{@code
 * Plots.linePlot(dir.resolve("sharpness.png"), "Sharpness, GD η = 0.01", "η·t", "λ_max",
 *         List.of(new Plots.Series("λ_max", t, lam)),
 *         Plots.Options.DEFAULT.withHLine(2 / eta, "2/η"));
 * }</pre>
 *
 * <p>Data rules: non-finite points (NaN, ±Inf, e.g. a diverged loss) are not drawn and break the line
 * there; on a log axis, points ≤ 0 are treated the same way. Reference lines are dashed, dark gray,
 * span the whole plot and are named in the legend. Series colors are matplotlib's "tab10" cycle, so
 * figures look like the ones researchers already read; series with at most {@value #MARKER_MAX_POINTS}
 * points also get markers, so sparse diagnostics (every 32 steps) show where the samples are.
 */
public final class Plots {
    static {
        // must be set before AWT initializes; a training node has no display
        System.setProperty("java.awt.headless", "true");
    }

    static final int MARKER_MAX_POINTS = 40;

    /** matplotlib tab10. */
    private static final Color[] PALETTE = {
            new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
            new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)};

    /** Dash patterns for successive reference lines, so several thresholds stay distinguishable. */
    private static final float[][] DASHES = {{8f, 5f}, {2f, 4f}, {10f, 4f, 2f, 4f}, {14f, 6f}};
    private static final Color REF_COLOR = new Color(0x303030);

    private Plots() {
    }

    /**
     * One curve: {@code y[i]} at {@code x[i]}. The arrays are copied. Optional styling, all off in the
     * three-argument constructor: {@code color} picks a fixed tab10 entry (null: the series' position
     * in the list), {@code dashed} draws a dashed line (e.g. a counterfactual branch next to a solid
     * baseline of the same color), and {@code lo}/{@code hi} (both or neither, same length as x) shade a
     * translucent band of the series' color between them (e.g. an interquartile range over seeds).
     */
    public record Series(String name, double[] x, double[] y, Integer color, boolean dashed, double[] lo, double[] hi) {
        public Series {
            if (name == null || name.isBlank()) throw new IllegalArgumentException("series name must be non-blank");
            if (x.length != y.length) {
                throw new IllegalArgumentException("series '" + name + "': x has " + x.length + " points but y has " + y.length);
            }
            if ((lo == null) != (hi == null)) throw new IllegalArgumentException("series '" + name + "': a band needs both lo and hi");
            if (lo != null && (lo.length != x.length || hi.length != x.length)) {
                throw new IllegalArgumentException("series '" + name + "': band has " + lo.length + "/" + hi.length + " points but x has " + x.length);
            }
            if (color != null && color < 0) throw new IllegalArgumentException("series '" + name + "': color index must be >= 0, got " + color);
            x = x.clone();
            y = y.clone();
            lo = lo == null ? null : lo.clone();
            hi = hi == null ? null : hi.clone();
        }

        public Series(String name, double[] x, double[] y) {
            this(name, x, y, null, false, null, null);
        }

        /** y against its index 0, 1, 2, ... */
        public static Series of(String name, double[] y) {
            double[] x = new double[y.length];
            for (int i = 0; i < x.length; i++) x[i] = i;
            return new Series(name, x, y);
        }

        /** The same series drawn in palette color {@code index} (mod 10). */
        public Series withColor(int index) {
            return new Series(name, x, y, index, dashed, lo, hi);
        }

        /** The same series drawn dashed. */
        public Series asDashed() {
            return new Series(name, x, y, color, true, lo, hi);
        }

        /** The same series with a shaded band lo[i]..hi[i]. */
        public Series withBand(double[] lo, double[] hi) {
            return new Series(name, x, y, color, dashed, lo, hi);
        }
    }

    /** A labelled reference line at {@code value} (horizontal: a y value such as 2/η; vertical: an x such as t*). */
    public record RefLine(double value, String label) {
        public RefLine {
            if (!Double.isFinite(value)) throw new IllegalArgumentException("reference line '" + label + "' at non-finite " + value);
            if (label == null || label.isBlank()) throw new IllegalArgumentException("reference line needs a label");
        }
    }

    /** Where the legend goes. BELOW never covers data and is the default. */
    public enum Legend { BELOW, RIGHT, INSIDE_NE, INSIDE_NW, INSIDE_SE, INSIDE_SW, NONE }

    /**
     * Plot options. {@code width × height} is the layout size in points; the PNG has
     * {@code scale} times as many pixels per side (use 2 for crisp figures on high-DPI screens or in
     * papers). {@code yMin}/{@code yMax} may be null (automatic).
     */
    public record Options(int width, int height, int scale, boolean logX, boolean logY,
                          List<RefLine> hLines, List<RefLine> vLines, Double yMin, Double yMax, Legend legend) {
        public static final Options DEFAULT = new Options(900, 560, 1, false, false, List.of(), List.of(), null, null, Legend.BELOW);

        public Options {
            if (width < 200 || height < 150 || width > 8000 || height > 8000) {
                throw new IllegalArgumentException("plot size " + width + "x" + height + " outside [200..8000]x[150..8000]");
            }
            if (scale < 1 || scale > 4) throw new IllegalArgumentException("plot scale must be in 1..4, got " + scale);
            hLines = List.copyOf(hLines);
            vLines = List.copyOf(vLines);
            if (yMin != null && yMax != null && !(yMin < yMax)) throw new IllegalArgumentException("yMin " + yMin + " must be < yMax " + yMax);
            if (legend == null) throw new IllegalArgumentException("legend position must be non-null");
        }

        public Options withSize(int w, int h) {
            return new Options(w, h, scale, logX, logY, hLines, vLines, yMin, yMax, legend);
        }

        public Options withScale(int s) {
            return new Options(width, height, s, logX, logY, hLines, vLines, yMin, yMax, legend);
        }

        public Options withLogX(boolean on) {
            return new Options(width, height, scale, on, logY, hLines, vLines, yMin, yMax, legend);
        }

        public Options withLogY(boolean on) {
            return new Options(width, height, scale, logX, on, hLines, vLines, yMin, yMax, legend);
        }

        /** Add a horizontal reference line, e.g. {@code withHLine(2 / eta, "2/η")}. */
        public Options withHLine(double y, String label) {
            List<RefLine> l = new ArrayList<>(hLines);
            l.add(new RefLine(y, label));
            return new Options(width, height, scale, logX, logY, l, vLines, yMin, yMax, legend);
        }

        /** Add a vertical reference line, e.g. {@code withVLine(tStar, "t*")}. */
        public Options withVLine(double x, String label) {
            List<RefLine> l = new ArrayList<>(vLines);
            l.add(new RefLine(x, label));
            return new Options(width, height, scale, logX, logY, hLines, l, yMin, yMax, legend);
        }

        public Options withYRange(Double min, Double max) {
            return new Options(width, height, scale, logX, logY, hLines, vLines, min, max, legend);
        }

        public Options withLegend(Legend where) {
            return new Options(width, height, scale, logX, logY, hLines, vLines, yMin, yMax, where);
        }
    }

    /** {@link #linePlot(Path, String, String, String, List, Options)} with {@link Options#DEFAULT}. */
    public static void linePlot(Path png, String title, String xLabel, String yLabel, List<Series> series) throws IOException {
        linePlot(png, title, xLabel, yLabel, series, Options.DEFAULT);
    }

    /** Draw {@code series} as lines and write the PNG atomically to {@code png}. */
    public static void linePlot(Path png, String title, String xLabel, String yLabel, List<Series> series, Options opt) throws IOException {
        BufferedImage img = render(title, xLabel, yLabel, series, opt);
        AtomicFiles.write(png, out -> {
            if (!ImageIO.write(img, "png", out)) throw new IOException("no PNG writer available in this JVM");
        });
    }

    /** The rendered image (for tests and for callers that compose figures). */
    public static BufferedImage render(String title, String xLabel, String yLabel, List<Series> series, Options opt) {
        if (series.isEmpty() && opt.hLines().isEmpty()) throw new IllegalArgumentException("plot '" + title + "' has nothing to draw");
        // Scale by laying the chart out at full pixel size with every font, stroke and padding
        // multiplied, rather than by Graphics2D.scale: XChart measures legend text unscaled, and its
        // horizontal legend then overlaps under a scaled transform.
        int sc = opt.scale();
        XYChart chart = new XYChartBuilder().width(opt.width() * sc).height(opt.height() * sc)
                .title(title == null ? "" : title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        style(chart.getStyler(), opt, title != null && !title.isBlank());

        // Data extent of what will actually be drawn, for the reference lines.
        double xLo = Double.POSITIVE_INFINITY, xHi = Double.NEGATIVE_INFINITY;
        double yLo = Double.POSITIVE_INFINITY, yHi = Double.NEGATIVE_INFINITY;
        List<double[][]> clean = new ArrayList<>();
        for (Series s : series) {
            double[] x = s.x().clone(), y = s.y().clone();
            for (int i = 0; i < x.length; i++) {
                boolean ok = Double.isFinite(x[i]) && Double.isFinite(y[i]) && (!opt.logX() || x[i] > 0) && (!opt.logY() || y[i] > 0);
                if (!ok) {
                    y[i] = Double.NaN; // XChart leaves a gap at NaN
                    if (!Double.isFinite(x[i]) || (opt.logX() && x[i] <= 0)) x[i] = Double.NaN;
                    continue;
                }
                xLo = Math.min(xLo, x[i]);
                xHi = Math.max(xHi, x[i]);
                yLo = Math.min(yLo, y[i]);
                yHi = Math.max(yHi, y[i]);
            }
            if (s.lo() != null) {
                for (int i = 0; i < x.length; i++) {
                    for (double b : new double[]{s.lo()[i], s.hi()[i]}) {
                        if (Double.isFinite(s.x()[i]) && Double.isFinite(b) && (!opt.logY() || b > 0)) {
                            yLo = Math.min(yLo, b);
                            yHi = Math.max(yHi, b);
                        }
                    }
                }
            }
            clean.add(dropBadX(x, y));
        }
        for (RefLine r : opt.hLines()) {
            yLo = Math.min(yLo, r.value());
            yHi = Math.max(yHi, r.value());
        }
        for (RefLine r : opt.vLines()) {
            xLo = Math.min(xLo, r.value());
            xHi = Math.max(xHi, r.value());
        }
        if (!(xLo <= xHi)) { // no finite data at all: draw the reference lines over [0, 1]
            xLo = opt.logX() ? 1 : 0;
            xHi = opt.logX() ? 10 : 1;
        }
        if (!(yLo <= yHi)) {
            yLo = opt.logY() ? 1 : 0;
            yHi = opt.logY() ? 10 : 1;
        }
        if (opt.yMin() != null) yLo = opt.yMin();
        if (opt.yMax() != null) yHi = opt.yMax();

        // XChart puts x ticks on data points when all x values (in insertion order) are equally
        // spaced, which training curves always are: ticks then fall on 0, 4.5, 9, ... . An invisible
        // first series whose x values run backwards breaks that test, so XChart uses its usual
        // round-number ticks; it spans the data extent, so the axis range is unchanged.
        XYSeries extent = chart.addSeries("\u200b", new double[]{xHi, xLo}, new double[]{Double.NaN, Double.NaN});
        extent.setShowInLegend(false);
        extent.setMarker(SeriesMarkers.NONE);
        extent.setLineColor(new Color(0, 0, 0, 0));

        for (int k = 0; k < series.size(); k++) {
            double[][] xy = clean.get(k);
            String name = series.get(k).name();
            if (xy[0].length == 0) { // keep the legend entry, draw nothing visible
                xy = new double[][]{{xLo}, {Double.NaN}};
                name += " (no finite data)";
            }
            Series src = series.get(k);
            Color c = PALETTE[(src.color() == null ? k : src.color()) % PALETTE.length];
            if (src.lo() != null) band(chart, opt, src, c);
            XYSeries s = chart.addSeries(unique(chart, name), xy[0], xy[1]);
            s.setLineColor(c);
            s.setMarkerColor(c);
            s.setLineStyle(src.dashed()
                    ? new BasicStroke(2.0f * sc, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[]{7f * sc, 4f * sc}, 0f)
                    : new BasicStroke(2.0f * sc, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            s.setMarker(xy[0].length <= MARKER_MAX_POINTS ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        }
        int dash = 0;
        for (RefLine r : opt.hLines()) {
            refSeries(chart, opt, r.label(), new double[]{xLo, xHi}, new double[]{r.value(), r.value()}, dash++, sc);
        }
        for (RefLine r : opt.vLines()) {
            refSeries(chart, opt, r.label(), new double[]{r.value(), r.value()}, new double[]{yLo, yHi}, dash++, sc);
        }

        int w = opt.width() * opt.scale(), h = opt.height() * opt.scale();
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            chart.paint(g, w, h);
        } finally {
            g.dispose();
        }
        return img;
    }

    /**
     * The band of {@code src} as a closed polygon (x ascending along hi, then back along lo), filled
     * translucently in the series' color, without legend entry or outline. Points where x, lo or hi
     * cannot be drawn are left out (the polygon bridges them).
     */
    private static void band(XYChart chart, Options opt, Series src, Color c) {
        List<double[]> pts = new ArrayList<>();
        for (int i = 0; i < src.x().length; i++) {
            double x = src.x()[i], lo = src.lo()[i], hi = src.hi()[i];
            boolean ok = Double.isFinite(x) && Double.isFinite(lo) && Double.isFinite(hi) && (!opt.logX() || x > 0) && (!opt.logY() || lo > 0 && hi > 0);
            if (ok) pts.add(new double[]{x, lo, hi});
        }
        if (pts.size() < 2) return;
        int n = pts.size();
        double[] px = new double[2 * n], py = new double[2 * n];
        for (int i = 0; i < n; i++) {
            px[i] = pts.get(i)[0];
            py[i] = pts.get(i)[2];
            px[2 * n - 1 - i] = pts.get(i)[0];
            py[2 * n - 1 - i] = pts.get(i)[1];
        }
        XYSeries b = chart.addSeries(unique(chart, "\u200b" + src.name() + " band"), px, py);
        b.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
        b.setFillColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 50));
        b.setLineColor(new Color(0, 0, 0, 0));
        b.setMarker(SeriesMarkers.NONE);
        b.setShowInLegend(false);
    }

    /** Remove points whose x is undrawable (XChart cannot place them); NaN y values stay as gaps. */
    private static double[][] dropBadX(double[] x, double[] y) {
        int n = 0;
        for (double v : x) if (!Double.isNaN(v)) n++;
        if (n == x.length) {
            boolean anyFinite = false;
            for (double v : y) anyFinite |= !Double.isNaN(v);
            return anyFinite ? new double[][]{x, y} : new double[][]{new double[0], new double[0]};
        }
        double[] xs = new double[n], ys = new double[n];
        boolean anyFinite = false;
        for (int i = 0, j = 0; i < x.length; i++) {
            if (Double.isNaN(x[i])) continue;
            xs[j] = x[i];
            ys[j++] = y[i];
            anyFinite |= !Double.isNaN(y[i]);
        }
        return anyFinite ? new double[][]{xs, ys} : new double[][]{new double[0], new double[0]};
    }

    private static void refSeries(XYChart chart, Options opt, String label, double[] x, double[] y, int dash, int sc) {
        XYSeries s = chart.addSeries(unique(chart, label), x, y);
        s.setLineColor(REF_COLOR);
        float[] pattern = DASHES[dash % DASHES.length].clone();
        for (int i = 0; i < pattern.length; i++) pattern[i] *= sc;
        s.setLineStyle(new BasicStroke(1.6f * sc, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, pattern, 0f));
        s.setMarker(SeriesMarkers.NONE);
    }

    /** XChart keys series by name; a repeated name gets a suffix rather than an exception. */
    private static String unique(XYChart chart, String name) {
        String n = name;
        for (int i = 2; chart.getSeriesMap().containsKey(n); i++) n = name + " (" + i + ")";
        return n;
    }

    private static void style(XYStyler st, Options opt, boolean hasTitle) {
        int sc = opt.scale();
        Font base = new Font(Font.SANS_SERIF, Font.PLAIN, 14 * sc);
        st.setBaseFont(base);
        st.setChartTitleFont(base.deriveFont(Font.BOLD, 18f * sc));
        st.setChartTitleVisible(hasTitle);
        st.setChartTitleBoxVisible(false);
        st.setChartTitlePadding(6 * sc);
        st.setAxisTitleFont(base.deriveFont(16f * sc));
        st.setAxisTickLabelsFont(base.deriveFont(13f * sc));
        st.setLegendFont(base.deriveFont(14f * sc));
        st.setAxisTitlePadding(8 * sc);
        st.setAxisTickPadding(5 * sc);
        st.setAxisTickMarkLength(4 * sc);
        st.setAxisTickMarksStroke(new BasicStroke(1f * sc));
        st.setMarkerSize(7 * sc);
        // fewer, rounder ticks than XChart's default density (which gives 0, 4.5, 9, ...)
        st.setXAxisTickMarkSpacingHint(110 * sc);
        st.setYAxisTickMarkSpacingHint(60 * sc);
        st.setChartFontColor(Color.BLACK);
        st.setAxisTickLabelsColor(new Color(0x222222));
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setPlotBorderVisible(true);
        st.setPlotBorderColor(new Color(0x999999));
        st.setPlotGridLinesVisible(true);
        st.setPlotGridLinesColor(new Color(0xE6E6E6));
        st.setPlotGridLinesStroke(new BasicStroke(1f * sc));
        st.setAxisTickMarksColor(new Color(0x999999));
        st.setPlotMargin(0);
        st.setChartPadding(12 * sc);
        st.setLegendPadding(14 * sc); // also the gap between entries of a horizontal legend
        st.setLegendBorderColor(Color.WHITE);
        st.setLegendBackgroundColor(Color.WHITE);
        st.setLegendSeriesLineLength(28 * sc);
        st.setToolTipsEnabled(false);
        st.setZoomEnabled(false);
        st.setCursorEnabled(false);
        st.setAntiAlias(true);
        st.setXAxisLogarithmic(opt.logX());
        st.setYAxisLogarithmic(opt.logY());
        if (opt.yMin() != null) st.setYAxisMin(opt.yMin());
        if (opt.yMax() != null) st.setYAxisMax(opt.yMax());
        switch (opt.legend()) {
            case NONE -> st.setLegendVisible(false);
            case BELOW -> {
                st.setLegendPosition(Styler.LegendPosition.OutsideS);
                st.setLegendLayout(Styler.LegendLayout.Horizontal);
            }
            case RIGHT -> st.setLegendPosition(Styler.LegendPosition.OutsideE);
            case INSIDE_NE -> st.setLegendPosition(Styler.LegendPosition.InsideNE);
            case INSIDE_NW -> st.setLegendPosition(Styler.LegendPosition.InsideNW);
            case INSIDE_SE -> st.setLegendPosition(Styler.LegendPosition.InsideSE);
            case INSIDE_SW -> st.setLegendPosition(Styler.LegendPosition.InsideSW);
        }
    }
}
