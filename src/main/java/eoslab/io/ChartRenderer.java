package eoslab.io;

import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.Marker;
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
 * The AWT side of {@link Plots}: draws a chart with XChart and writes PNGs. Only {@link Plots} loads
 * this class, and only when the runtime has the {@code java.desktop} module, so a runtime image built
 * without it (native/dist/build-dist.sh, EOSLAB_DIST_PLOTS=0) still runs every command.
 */
final class ChartRenderer {
    static {
        // must be set before AWT initializes; a training node has no display
        System.setProperty("java.awt.headless", "true");
    }

    /** matplotlib tab10. */
    private static final Color[] PALETTE = {
            new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
            new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)};

    /** Marker shapes, in the order {@link Plots.Series#withMarker} counts them. */
    private static final Marker[] MARKERS = {SeriesMarkers.CIRCLE, SeriesMarkers.DIAMOND,
            SeriesMarkers.SQUARE, SeriesMarkers.TRIANGLE_UP, SeriesMarkers.TRIANGLE_DOWN, SeriesMarkers.CROSS};

    /** Dash patterns for successive reference lines, so several thresholds stay distinguishable. */
    private static final float[][] DASHES = {{8f, 5f}, {2f, 4f}, {10f, 4f, 2f, 4f}, {14f, 6f}};
    private static final Color REF_COLOR = new Color(0x303030);
    /** Layout sizes in points (times the scale): legend padding and series line length, chart padding. */
    private static final int LEGEND_PADDING = 14, LEGEND_LINE = 28, CHART_PADDING = 12;

    private ChartRenderer() {
    }

    static void writePng(Path png, BufferedImage img) throws IOException {
        AtomicFiles.write(png, out -> {
            if (!ImageIO.write(img, "png", out)) throw new IOException("no PNG writer available in this JVM");
        });
    }

    /** Panels one above the other on white, as wide as the first. */
    static BufferedImage stack(List<BufferedImage> panels) {
        int w = panels.getFirst().getWidth(), h = 0;
        for (BufferedImage p : panels) h += p.getHeight();
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
            int y = 0;
            for (BufferedImage p : panels) {
                g.drawImage(p, 0, y, null);
                y += p.getHeight();
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    static BufferedImage render(Plots.Panel p) {
        return render(p.title(), p.xLabel(), p.yLabel(), p.series(), p.options());
    }

    /** The rendered chart. */
    static BufferedImage render(String title, String xLabel, String yLabel, List<Plots.Series> series, Plots.Options opt) {
        if (series.isEmpty() && opt.hLines().isEmpty()) throw new IllegalArgumentException("plot '" + title + "' has nothing to draw");
        // Scale by laying the chart out at full pixel size with every font, stroke and padding
        // multiplied, rather than by Graphics2D.scale: XChart measures legend text unscaled, and its
        // horizontal legend then overlaps under a scaled transform.
        int sc = opt.scale();
        XYChart chart = new XYChartBuilder().width(opt.width() * sc).height(opt.height() * sc)
                .title(title == null ? "" : title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        List<String> entries = new ArrayList<>();
        for (Plots.Series s : series) entries.add(s.name());
        for (Plots.RefLine r : opt.hLines()) entries.add(r.label());
        for (Plots.RefLine r : opt.vLines()) entries.add(r.label());
        style(chart.getStyler(), opt.withLegend(legendFor(entries, opt)), title != null && !title.isBlank());

        // Data extent of what will actually be drawn, for the reference lines.
        double xLo = Double.POSITIVE_INFINITY, xHi = Double.NEGATIVE_INFINITY;
        double yLo = Double.POSITIVE_INFINITY, yHi = Double.NEGATIVE_INFINITY;
        List<double[][]> clean = new ArrayList<>();
        for (Plots.Series s : series) {
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
        for (Plots.RefLine r : opt.hLines()) {
            yLo = Math.min(yLo, r.value());
            yHi = Math.max(yHi, r.value());
        }
        for (Plots.RefLine r : opt.vLines()) {
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
        // XChart's own labels drop the leading zero (.05) and switch to 2.5E-5; a formatting function
        // replaces its log-axis tick calculation though, so log axes keep XChart's decade labels
        double xSpan = Math.max(Math.abs(xLo), Math.abs(xHi)), ySpan = Math.max(Math.abs(yLo), Math.abs(yHi));
        if (!opt.logX()) chart.getStyler().setxAxisTickLabelsFormattingFunction(v -> Plots.tick(v, xSpan));
        if (!opt.logY()) chart.getStyler().setyAxisTickLabelsFormattingFunction(v -> Plots.tick(v, ySpan));

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
            Plots.Series src = series.get(k);
            Color c = PALETTE[(src.color() == null ? k : src.color()) % PALETTE.length];
            if (src.lo() != null) band(chart, opt, src, c);
            XYSeries s = chart.addSeries(unique(chart, name), xy[0], xy[1]);
            s.setLineColor(c);
            s.setMarkerColor(c);
            s.setLineStyle(src.dashed()
                    ? new BasicStroke(2.0f * sc, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[]{7f * sc, 4f * sc}, 0f)
                    : new BasicStroke(2.0f * sc, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            s.setMarker(!src.noMarkers() && xy[0].length <= Plots.MARKER_MAX_POINTS
                    ? MARKERS[(src.marker() == null ? 0 : src.marker()) % MARKERS.length] : SeriesMarkers.NONE);
        }
        int dash = 0;
        for (Plots.RefLine r : opt.hLines()) {
            refSeries(chart, opt, r.label(), new double[]{xLo, xHi}, new double[]{r.value(), r.value()}, dash++, sc);
        }
        for (Plots.RefLine r : opt.vLines()) {
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
    private static void band(XYChart chart, Plots.Options opt, Plots.Series src, Color c) {
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

    private static void refSeries(XYChart chart, Plots.Options opt, String label, double[] x, double[] y, int dash, int sc) {
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

    /**
     * The legend position used: {@code opt.legend()}, except that a legend BELOW the plot, which XChart
     * lays out as one row, moves to the RIGHT (one entry per line) when that row would be wider than
     * the figure and cut its first and last entries off.
     */
    static Plots.Legend legendFor(List<String> entries, Plots.Options opt) {
        if (opt.legend() != Plots.Legend.BELOW) return opt.legend();
        int sc = opt.scale();
        Font font = legendFont(sc);
        BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scratch.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            double row = LEGEND_PADDING * sc; // XChart: padding, then per entry line + padding + text + padding
            for (String e : entries) row += (LEGEND_LINE + 2 * LEGEND_PADDING) * sc + font.getStringBounds(e, g.getFontRenderContext()).getWidth();
            // XChart centres the row under the plot area, which the y axis's labels push right: keep 2 x 50 points free
            return row <= (opt.width() - 2 * CHART_PADDING - 100) * sc ? Plots.Legend.BELOW : Plots.Legend.RIGHT;
        } finally {
            g.dispose();
        }
    }

    private static Font legendFont(int sc) {
        return new Font(Font.SANS_SERIF, Font.PLAIN, 14 * sc);
    }

    private static void style(XYStyler st, Plots.Options opt, boolean hasTitle) {
        int sc = opt.scale();
        Font base = new Font(Font.SANS_SERIF, Font.PLAIN, 14 * sc);
        st.setBaseFont(base);
        st.setChartTitleFont(base.deriveFont(Font.BOLD, 18f * sc));
        st.setChartTitleVisible(hasTitle);
        st.setChartTitleBoxVisible(false);
        st.setChartTitlePadding(6 * sc);
        st.setAxisTitleFont(base.deriveFont(16f * sc));
        st.setAxisTickLabelsFont(base.deriveFont(13f * sc));
        st.setLegendFont(legendFont(sc));
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
        st.setChartPadding(CHART_PADDING * sc);
        st.setLegendPadding(LEGEND_PADDING * sc); // also the gap between entries of a horizontal legend
        st.setLegendBorderColor(Color.WHITE);
        st.setLegendBackgroundColor(Color.WHITE);
        st.setLegendSeriesLineLength(LEGEND_LINE * sc);
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
