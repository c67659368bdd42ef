package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/** cuSOLVER QR and eigh on a GPU, by their defining identities (see {@link LinalgChecks}); skipped without a GPU. */
class CudaLinalgTest {
    @Test
    void qrAndEighSatisfyTheirIdentities() {
        assumeTrue(CudaBackend.available() && Cusolver.loaded(), "no CUDA GPU with cuSOLVER");
        try (CudaBackend gpu = CudaBackend.open()) {
            LinalgChecks.run(gpu);
        }
    }
}
