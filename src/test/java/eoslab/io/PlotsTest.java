package eoslab.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class PlotsTest {
    @TempDir
    Path dir;

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    /** A sharpness curve that rises to 2/η and hovers there (the EoS picture), plus a loss curve. */
    static List<Plots.Series> eosLike(double eta) {
        int n = 400;
        double[] t = new double[n], lam = new double[n], loss = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = eta * i * 25;
            double rise = (2 / eta) * (1 - Math.exp(-i / 80.0)) * 1.02;
            lam[i] = Math.min(rise, 2 / eta + 4 * Math.sin(i / 3.0));
            loss[i] = 0.5 * Math.exp(-i / 150.0) + 0.02 * Math.abs(Math.sin(i / 2.0));
        }
        return List.of(new Plots.Series("λ_max (top Hessian eigenvalue)", t, lam), new Plots.Series("loss", t, loss));
    }

    private BufferedImage readPng(Path png) throws Exception {
        byte[] bytes = Files.readAllBytes(png);
        assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(bytes, 8), "PNG signature");
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "ImageIO could not decode " + png);
        return img;
    }

    /** Count pixels that are neither white nor near-white: a blank chart would have almost none. */
    private static long inkPixels(BufferedImage img) {
        long ink = 0;
        for (int y = 0; y < img.getHeight(); y++)
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y);
                int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
                if (r + g + b < 600) ink++;
            }
        return ink;
    }

    @Test
    void linePlotWritesPngOfRequestedSize() throws Exception {
        double eta = 0.01;
        Path png = dir.resolve("sharpness.png");
        List<Plots.Series> s = eosLike(eta);
        Plots.linePlot(png, "Sharpness at the edge of stability (GD, η = 0.01)", "η·t", "λ_max",
                List.of(s.get(0)), Plots.Options.DEFAULT.withHLine(2 / eta, "2/η").withVLine(2.0, "t*"));
        BufferedImage img = readPng(png);
        assertEquals(900, img.getWidth());
        assertEquals(560, img.getHeight());
        assertTrue(inkPixels(img) > 2000, "chart looks blank");
        // no temp files left in the directory
        try (var files = Files.list(dir)) {
            assertEquals(List.of(png), files.toList());
        }
        if (System.getenv("EOSLAB_PLOTDIR") != null) Files.copy(png, Path.of(System.getenv("EOSLAB_PLOTDIR"), "sharpness.png"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void logYWithNonPositiveAndNonFiniteValuesDrawsGaps() throws Exception {
        double[] x = {0, 1, 2, 3, 4, 5, 6, 7};
        double[] y = {1, 0.5, 0.0, -1, Double.NaN, 0.1, Double.POSITIVE_INFINITY, 0.01};
        Path png = dir.resolve("loss.png");
        Plots.linePlot(png, "Loss", "step", "loss", List.of(new Plots.Series("train", x, y),
                        Plots.Series.of("test", new double[]{0.9, 0.8, 0.7, 0.65, 0.6, 0.58, 0.57, 0.56}),
                        new Plots.Series("diverged", new double[]{0, 1}, new double[]{Double.NaN, Double.NaN})),
                Plots.Options.DEFAULT.withLogY(true).withSize(640, 400).withScale(2).withHLine(0.05, "target"));
        BufferedImage img = readPng(png);
        assertEquals(1280, img.getWidth());
        assertEquals(800, img.getHeight());
        if (System.getenv("EOSLAB_PLOTDIR") != null) Files.copy(png, Path.of(System.getenv("EOSLAB_PLOTDIR"), "loss.png"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Most dark-gray pixels (the reference line colour, antialiased) found in one image row. */
    private static int bestDarkGrayRow(BufferedImage img) {
        int best = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            int c = 0;
            for (int x = 0; x < img.getWidth(); x++) {
                int p = img.getRGB(x, y), r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;
                if (Math.max(r, Math.max(g, b)) < 0x80 && Math.abs(r - g) < 16 && Math.abs(g - b) < 16) c++;
            }
            best = Math.max(best, c);
        }
        return best;
    }

    /** The dashed 2/η line must be drawn across the plot, and the series in the first palette color. */
    @Test
    void referenceLineAndSeriesAreDrawn() {
        double eta = 0.01;
        List<Plots.Series> s = List.of(eosLike(eta).get(0));
        BufferedImage with = ChartRenderer.render("t", "η·t", "λ", s, Plots.Options.DEFAULT.withHLine(2 / eta, "2/η"));
        BufferedImage without = ChartRenderer.render("t", "η·t", "λ", s, Plots.Options.DEFAULT);
        int blue = 0x1f77b4;
        // a dash pattern of 8 on / 5 off over a ~800 px plot leaves > 300 dark pixels in one row;
        // without the line, the darkest row (tick labels) has far fewer
        assertTrue(bestDarkGrayRow(with) > 300, "no horizontal reference line found: " + bestDarkGrayRow(with));
        assertTrue(bestDarkGrayRow(without) < 200, "long dark row without a reference line: " + bestDarkGrayRow(without));
        long bluePixels = 0;
        for (int y = 0; y < with.getHeight(); y++)
            for (int x = 0; x < with.getWidth(); x++) if ((with.getRGB(x, y) & 0xffffff) == blue) bluePixels++;
        assertTrue(bluePixels > 500, "series not drawn: " + bluePixels);
    }

    /** A scatter point is a series of one finite point and a NaN gap: its marker must show; a segment withoutMarkers draws none. */
    @Test
    void singlePointsGetMarkersAndMarkerlessSegmentsDoNot() {
        int orange = 0xff7f0e;
        List<Plots.Series> pts = List.of(new Plots.Series("a", new double[] {1, 2}, new double[] {1, 2}),
                new Plots.Series("b", new double[] {1.5, 1.5}, new double[] {1.5, Double.NaN}));
        BufferedImage img = ChartRenderer.render("t", "x", "y", pts, Plots.Options.DEFAULT.withLegend(Plots.Legend.NONE));
        assertTrue(count(img, orange) > 20, "the lone point of series b is drawn as a marker: " + count(img, orange));
        List<Plots.Series> seg = List.of(new Plots.Series("a", new double[] {1, 2}, new double[] {1, 2}).withoutMarkers());
        BufferedImage a = ChartRenderer.render("t", "x", "y", seg, Plots.Options.DEFAULT.withLegend(Plots.Legend.NONE));
        BufferedImage b = ChartRenderer.render("t", "x", "y", List.of(new Plots.Series("a", new double[] {1, 2}, new double[] {1, 2})),
                Plots.Options.DEFAULT.withLegend(Plots.Legend.NONE));
        assertTrue(count(b, 0x1f77b4) > count(a, 0x1f77b4) + 20, "markers add ink; withoutMarkers leaves them out");
    }

    private static long count(BufferedImage img, int rgb) {
        long n = 0;
        for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) if ((img.getRGB(x, y) & 0xffffff) == rgb) n++;
        return n;
    }

    @Test
    void tickLabelsArePlainInTheMiddleAndScientificAtTheEnds() {
        assertEquals("0.05", Plots.tick(0.05));
        assertEquals("0.3", Plots.tick(0.30000000000000004));
        assertEquals("-0.01", Plots.tick(-0.01));
        assertEquals("0", Plots.tick(-1.0000000000000002e-17, 1.0), "rounding of a tick at 0 on an axis of span 1");
        assertEquals("1e-17", Plots.tick(1e-17, 2e-17), "not on an axis whose values are all that small");
        assertEquals("12345", Plots.tick(12345));
        assertEquals("0.001", Plots.tick(1e-3));
        assertEquals("1e-4", Plots.tick(1e-4));
        assertEquals("2.5e-5", Plots.tick(2.5e-5));
        assertEquals("1e5", Plots.tick(1e5));
        assertEquals("-12670", Plots.tick(-1.267e4));
        assertEquals("1.23457e6", Plots.tick(1234567.8), "6 significant digits");
    }

    @Test
    void badInputsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Plots.Series("a", new double[2], new double[3]));
        assertThrows(IllegalArgumentException.class, () -> Plots.Options.DEFAULT.withSize(10, 10));
        assertThrows(IllegalArgumentException.class, () -> Plots.Options.DEFAULT.withHLine(Double.NaN, "x"));
        assertThrows(IllegalArgumentException.class, () -> ChartRenderer.render("t", "x", "y", List.of(), Plots.Options.DEFAULT));
    }
}
