package eoslab.io;


import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

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
 * points also get markers, so sparse diagnostics (every 32 steps) show where the samples are (unless
 * {@link Series#withoutMarkers()}, as for a threshold drawn as a 2-point segment).
 *
 * <p>This class touches no AWT type: drawing lives in {@link ChartRenderer}, loaded only when the
 * runtime has {@code java.desktop}. Without it (a lean runtime image for GPU nodes) every plot call
 * writes nothing and says so once on stderr; the data files next to the plots are written as usual.
 */
public final class Plots {
    static final int MARKER_MAX_POINTS = 40;

    private static final boolean AVAILABLE = ModuleLayer.boot().findModule("java.desktop").isPresent();
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private Plots() {
    }

    /**
     * One curve: {@code y[i]} at {@code x[i]}. The arrays are copied. Optional styling, all off in the
     * three-argument constructor: {@code color} picks a fixed tab10 entry (null: the series' position
     * in the list), {@code dashed} draws a dashed line (e.g. a counterfactual branch next to a solid
     * baseline of the same color), {@code lo}/{@code hi} (both or neither, same length as x) shade a
     * translucent band of the series' color between them (e.g. an interquartile range over seeds),
     * {@code noMarkers} drops the markers and {@code marker} picks their shape ({@link #withMarker}).
     */
    public record Series(String name, double[] x, double[] y, Integer color, boolean dashed, double[] lo, double[] hi, boolean noMarkers,
                         Integer marker) {
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
            if (marker != null && marker < 0) throw new IllegalArgumentException("series '" + name + "': marker index must be >= 0, got " + marker);
            x = x.clone();
            y = y.clone();
            lo = lo == null ? null : lo.clone();
            hi = hi == null ? null : hi.clone();
        }

        public Series(String name, double[] x, double[] y) {
            this(name, x, y, null, false, null, null, false, null);
        }

        /** y against its index 0, 1, 2, ... */
        public static Series of(String name, double[] y) {
            double[] x = new double[y.length];
            for (int i = 0; i < x.length; i++) x[i] = i;
            return new Series(name, x, y);
        }

        /** The same series drawn in palette color {@code index} (mod 10). */
        public Series withColor(int index) {
            return new Series(name, x, y, index, dashed, lo, hi, noMarkers, marker);
        }

        /** The same series drawn dashed. */
        public Series asDashed() {
            return new Series(name, x, y, color, true, lo, hi, noMarkers, marker);
        }

        /** The same series without markers, however few its points (e.g. a threshold drawn as a 2-point segment). */
        public Series withoutMarkers() {
            return new Series(name, x, y, color, dashed, lo, hi, true, marker);
        }

        /**
         * The same series with marker shape {@code index} (mod 6) of circle, diamond, square, triangle
         * up, triangle down, cross (null: circle), e.g. a second grid axis next to the color's first.
         */
        public Series withMarker(int index) {
            return new Series(name, x, y, color, dashed, lo, hi, noMarkers, index);
        }

        /** The same series with a shaded band lo[i]..hi[i]. */
        public Series withBand(double[] lo, double[] hi) {
            return new Series(name, x, y, color, dashed, lo, hi, noMarkers, marker);
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

    /** A chart of a stacked figure: {@link #stackedPlot} draws these one above the other. */
    public record Panel(String title, String xLabel, String yLabel, List<Series> series, Options options) {
        public Panel {
            series = List.copyOf(series);
            if (options == null) throw new IllegalArgumentException("panel '" + title + "' needs options");
        }
    }

    /**
     * An axis tick label: up to 6 significant digits without trailing zeros, plain from 0.001 to
     * 99,999 ({@code 0.05}, not XChart's {@code .05}), otherwise {@code 2.5e-5} / {@code 1e6}.
     */
    public static String tick(double v) {
        return tick(v, 0);
    }

    /** {@link #tick(double)} on an axis spanning {@code span}: a tick within 1e-9·span of 0 is 0 (rounding of the tick arithmetic). */
    public static String tick(double v, double span) {
        if (Double.isNaN(v) || Double.isInfinite(v)) return Double.toString(v);
        double a = Math.abs(v);
        if (a == 0 || a < 1e-9 * span) return "0";
        java.math.BigDecimal b = new java.math.BigDecimal(v).round(new java.math.MathContext(6)).stripTrailingZeros();
        if (a >= 1e-3 && a < 1e5) return b.toPlainString();
        String e = String.format(java.util.Locale.ROOT, "%.5e", b.doubleValue());     // d.ddddde±XX
        int at = e.indexOf('e');
        String mant = e.substring(0, at).replaceAll("0+$", "").replaceAll("\\.$", "");
        int exp = Integer.parseInt(e.substring(at + 1));
        return mant + "e" + exp;
    }

    /** Whether this Java runtime can draw (it has the {@code java.desktop} module). */
    public static boolean available() {
        return AVAILABLE;
    }

    /** {@link #linePlot(Path, String, String, String, List, Options)} with {@link Options#DEFAULT}. */
    public static void linePlot(Path png, String title, String xLabel, String yLabel, List<Series> series) throws IOException {
        linePlot(png, title, xLabel, yLabel, series, Options.DEFAULT);
    }

    /** Draw {@code series} as lines and write the PNG atomically to {@code png}. */
    public static void linePlot(Path png, String title, String xLabel, String yLabel, List<Series> series, Options opt) throws IOException {
        stackedPlot(png, List.of(new Panel(title, xLabel, yLabel, series, opt)));
    }

    /** Draw the panels one above the other (as wide as the first) and write the PNG atomically. */
    public static void stackedPlot(Path png, List<Panel> panels) throws IOException {
        if (panels.isEmpty()) throw new IllegalArgumentException("figure " + png.getFileName() + " has no panels");
        for (Panel p : panels) {
            if (p.series().isEmpty() && p.options().hLines().isEmpty()) throw new IllegalArgumentException("plot '" + p.title() + "' has nothing to draw");
        }
        if (!AVAILABLE) {
            if (!WARNED.getAndSet(true)) {
                System.err.println("eoslab: plots skipped: this Java runtime has no java.desktop module (a lean image,"
                        + " EOSLAB_DIST_PLOTS=0); every data file is written, but no PNG");
            }
            return;
        }
        ChartRenderer.writePng(png, panels.size() == 1 ? ChartRenderer.render(panels.getFirst())
                : ChartRenderer.stack(panels.stream().map(ChartRenderer::render).toList()));
    }
}
