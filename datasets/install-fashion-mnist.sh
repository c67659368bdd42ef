#!/usr/bin/env bash
# Install the full Fashion-MNIST data set (60,000 train + 10,000 test images, IDX gzip files) from the
# Debian package `dataset-fashion-mnist` and print where it is. eoslab reads it as `fashion-mnist:full`
# (or `fashion-mnist:<dir>` for a copy elsewhere). Needs root (or sudo) for apt-get.
set -euo pipefail
dir=/usr/share/datasets/fashion-mnist
if ! dpkg -s dataset-fashion-mnist >/dev/null 2>&1; then
  sudo_=""
  [ "$(id -u)" -ne 0 ] && sudo_="sudo"
  $sudo_ apt-get update
  $sudo_ apt-get install -y dataset-fashion-mnist
fi
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
  [ -f "$dir/$f" ] || { echo "install-fashion-mnist: $dir/$f is missing after installing dataset-fashion-mnist (dpkg -L dataset-fashion-mnist lists what was installed)" >&2; exit 1; }
done
echo "Fashion-MNIST is in $dir"
echo "use it with: --data fashion-mnist:full   (or --data fashion-mnist:$dir)"
