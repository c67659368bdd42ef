package eoslab.nn;

import eoslab.tensor.Tensor;

/**
 * Examples on a backend: inputs x (n, features), class labels (n) as I32, and for MSE the targets
 * (n, outputs) — one-hot rows for classification. Any of labels/targets may be null when the loss
 * does not need it.
 */
public record Batch(Tensor x, Tensor labels, Tensor targets, int n) {
}
