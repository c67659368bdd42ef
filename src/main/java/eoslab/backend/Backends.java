package eoslab.backend;

import eoslab.util.UserError;

/**
 * The one place a device is chosen. {@code cpu} is always there; {@code cuda} fails loudly when no
 * GPU is usable (it never falls back); {@code auto} takes CUDA when it opens and the CPU otherwise.
 */
public final class Backends {
    private Backends() {
    }

    public static Backend select(String device) {
        return switch (device) {
            case "cpu" -> CpuBackend.INSTANCE;
            case "cuda" -> throw new UserError("--device cuda: this build has no CUDA backend yet");
            case "auto" -> CpuBackend.INSTANCE;
            default -> throw new UserError("--device must be cpu, cuda or auto, got '" + device + "'");
        };
    }
}
