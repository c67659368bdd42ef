package eoslab.backend;

import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * sumRows and sumChannels: batched column sums against a loop here, and the contract that the
 * batch's output blocks are disjoint (overlapping ones would be summed into by concurrent tasks:
 * threads here, blocks on a GPU), rejected with a message rather than raced.
 */
class ColumnSumsTest {
    static final CpuBackend BE = CpuBackend.INSTANCE;

    @Test
    void sumRowsAddsEachBlocksRowsIntoItsOwnOutput() {
        int rows = 3, cols = 4, batch = 2;
        double[] x = new double[rows * cols * batch];
        for (int i = 0; i < x.length; i++) x[i] = i * 0.5 - 3;
        Tensor out = BE.fromDoubles(DType.F64, new double[] {1, 1, 1, 1, 9, 2, 2, 2, 2});   // stride 5: a gap at [4]
        BE.sumRows(BE.fromDoubles(DType.F64, x), rows, cols, batch, 0.5, out, 5);
        double[] o = out.toDoubles();
        for (int b = 0; b < batch; b++)
            for (int c = 0; c < cols; c++) {
                double s = 0;
                for (int r = 0; r < rows; r++) s += x[(b * rows + r) * cols + c];
                assertEquals(s + 0.5 * (b + 1), o[b * 5 + c], 1e-12, "out_" + b + "[" + c + "]");
            }
        assertEquals(9, o[4], "the gap between blocks is not touched");
    }

    @Test
    void overlappingOutputBlocksAreRejected() {
        Tensor x = BE.zeros(DType.F32, 2 * 3 * 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BE.sumRows(x, 3, 4, 2, 0, BE.zeros(DType.F32, 8), 0));
        assertTrue(e.getMessage().contains("sumRows") && e.getMessage().contains("overlap"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BE.sumRows(x, 3, 4, 2, 0, BE.zeros(DType.F32, 8), 3));
        BE.sumRows(x, 3, 4, 1, 0, BE.zeros(DType.F32, 4), 0);   // one block: stride 0 is fine
        Tensor xc = BE.zeros(DType.F32, 2 * 1 * 3 * 5);
        e = assertThrows(IllegalArgumentException.class, () -> BE.sumChannels(xc, 1, 3, 5, 2, 0, BE.zeros(DType.F32, 6), 2));
        assertTrue(e.getMessage().contains("sumChannels"), e.getMessage());
    }
}
