package eoslab.optim;

/** The loss became NaN or infinite: training diverged at a known step. */
public final class DivergedException extends RuntimeException {
    public final long step;

    public DivergedException(long step, double loss) {
        super("loss is " + loss + " at step " + step + ": training diverged (try a smaller learning rate or init scale)");
        this.step = step;
    }
}
