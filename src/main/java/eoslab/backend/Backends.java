package eoslab.backend;

import eoslab.backend.cuda.CudaBackend;
import eoslab.backend.cuda.CudaUnavailableException;

/**
 * The one place the device is chosen (STYLE.md principle 5) and the choice is logged.
 * {@code cpu}: the reference backend. {@code cuda}: the GPU or a clear error, never a silent
 * fallback. {@code auto}: the GPU when {@link CudaBackend#available()}, else the CPU, saying why.
 */
public final class Backends {
    private Backends() {
    }

    private static final System.Logger LOG = System.getLogger("eoslab.backend");

    /**
     * @param device "cpu", "cuda" (or "cuda:N" for device N) or "auto"
     * @throws IllegalArgumentException for any other value
     * @throws CudaUnavailableException when "cuda" is asked for and cannot be used (the message says why)
     */
    public static Backend select(String device) {
        String d = device == null ? "auto" : device.trim().toLowerCase();
        switch (d) {
            case "cpu" -> {
                LOG.log(System.Logger.Level.DEBUG, "device: cpu ({0} threads)", eoslab.util.Parallel.threads());
                return CpuBackend.INSTANCE;
            }
            case "auto" -> {
                String why = CudaBackend.unavailableReason();
                if (why != null) {
                    LOG.log(System.Logger.Level.DEBUG, "device: cpu (auto: CUDA not usable: {0})", why);
                    return CpuBackend.INSTANCE;
                }
                return openCuda(0);
            }
            default -> {
                if (d.equals("cuda")) return openCuda(0);
                if (d.startsWith("cuda:")) {
                    int n;
                    try {
                        n = Integer.parseInt(d.substring(5));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--device " + device + ": expected cuda:N with N a device number");
                    }
                    return openCuda(n);
                }
                throw new IllegalArgumentException("unknown --device '" + device + "' (use cpu, cuda, cuda:N or auto)");
            }
        }
    }

    private static Backend openCuda(int ordinal) {
        CudaBackend b = CudaBackend.open(ordinal);
        LOG.log(System.Logger.Level.DEBUG, "device: cuda:{0} {1}", ordinal, b.deviceName());
        return b;
    }
}
