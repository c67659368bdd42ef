package eoslab.io;

import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The per-series styles of {@link Plots.Series}: fixed palette colour, dashed lines, shaded bands. */
class PlotsStyleTest {
    static final double[] X = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

    static BufferedImage draw(Plots.Series s) {
        return ChartRenderer.render(null, "x", "y", List.of(s), Plots.Options.DEFAULT.withYRange(0.0, 1.0).withLegend(Plots.Legend.NONE));
    }

    static double[] constant(double v) {
        double[] y = new double[X.length];
        java.util.Arrays.fill(y, v);
        return y;
    }

    /** Pixels of the image whose colour is within {@code tol} per channel of rgb. */
    static int count(BufferedImage img, int rgb, int tol, int x0, int x1, int y0, int y1) {
        int n = 0;
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                int p = img.getRGB(x, y);
                if (Math.abs(((p >> 16) & 255) - ((rgb >> 16) & 255)) < tol && Math.abs(((p >> 8) & 255) - ((rgb >> 8) & 255)) < tol
                        && Math.abs((p & 255) - (rgb & 255)) < tol) n++;
            }
        }
        return n;
    }

    @Test
    void colourDashesAndBandsAreDrawn() {
        int red = 0xd62728, blue = 0x1f77b4;
        BufferedImage solid = draw(new Plots.Series("a", X, constant(0.5)).withColor(3));
        BufferedImage dashed = draw(new Plots.Series("a", X, constant(0.5)).withColor(3).asDashed());
        int w = solid.getWidth(), h = solid.getHeight();
        int solidRed = count(solid, red, 40, 0, w, 0, h), dashedRed = count(dashed, red, 40, 0, w, 0, h);
        assertTrue(solidRed > 300, "withColor(3) draws in tab10 red, got " + solidRed + " red pixels");
        assertEquals(0, count(solid, blue, 40, 0, w, 0, h), "and not in the default first colour");
        assertTrue(dashedRed < 0.8 * solidRed, "a dashed line leaves gaps: " + dashedRed + " vs " + solidRed + " pixels");

        // band 0.2..0.8 around the line: a translucent blue-tinted area above and below it
        int tint = 0xd5e3ef; // tab10 blue at alpha 50/255 over white
        BufferedImage banded = draw(new Plots.Series("b", X, constant(0.5)).withBand(constant(0.2), constant(0.8)));
        BufferedImage plain = draw(new Plots.Series("b", X, constant(0.5)));
        int inBand = count(banded, tint, 10, w / 4, 3 * w / 4, 0, h), without = count(plain, tint, 10, w / 4, 3 * w / 4, 0, h);
        assertTrue(inBand > 20 * Math.max(without, 10), "band pixels: " + inBand + " with the band, " + without + " without");
        assertThrows(IllegalArgumentException.class, () -> new Plots.Series("c", X, X).withBand(X, null));
        assertThrows(IllegalArgumentException.class, () -> new Plots.Series("c", X, X).withBand(new double[2], new double[2]));
    }

    @Test
    void markerShapesDiffer() {
        // isolated points (a NaN y after each, as the sweep's scatter plots draw them): only the markers show
        double[] x = {1, 1, 5, 5, 9, 9}, y = {0.5, Double.NaN, 0.5, Double.NaN, 0.5, Double.NaN};
        int blue = 0x1f77b4;
        BufferedImage circle = draw(new Plots.Series("p", x, y).withColor(0));
        BufferedImage square = draw(new Plots.Series("p", x, y).withColor(0).withMarker(2));
        BufferedImage cross = draw(new Plots.Series("p", x, y).withColor(0).withMarker(5));
        int w = circle.getWidth(), h = circle.getHeight();
        int c = count(circle, blue, 40, 0, w, 0, h), s = count(square, blue, 40, 0, w, 0, h), k = count(cross, blue, 40, 0, w, 0, h);
        assertTrue(c > 30, "three circle markers drawn: " + c + " pixels");
        assertTrue(s > c, "a square covers more than the circle inside it: " + s + " vs " + c);
        assertTrue(k < c, "a cross covers less than a filled circle: " + k + " vs " + c);
        assertEquals(s, count(draw(new Plots.Series("p", x, y).withColor(0).withMarker(8)), blue, 40, 0, w, 0, h), "shapes cycle mod 6");
        assertThrows(IllegalArgumentException.class, () -> new Plots.Series("p", x, y).withMarker(-1));
    }

    @Test
    void aLegendTooWideForOneRowBelowMovesToTheRight() {
        Plots.Options below = Plots.Options.DEFAULT; // 900 points wide, legend BELOW
        assertEquals(Plots.Legend.BELOW, ChartRenderer.legendFor(List.of("train", "test", "2/η"), below));
        List<String> wide = List.of("baseline λ_1 (η = 0.4000)", "exit λ_1 (cη = 0.2000)", "baseline threshold 5.000",
                "exit threshold 10.00", "t* (η·t = 51.2, median)");
        assertEquals(Plots.Legend.RIGHT, ChartRenderer.legendFor(wide, below));
        assertEquals(Plots.Legend.BELOW, ChartRenderer.legendFor(wide, below.withSize(2400, 560)), "fits a wider figure");
        assertEquals(Plots.Legend.INSIDE_NE, ChartRenderer.legendFor(wide, below.withLegend(Plots.Legend.INSIDE_NE)), "only BELOW moves");
    }
}
